"""The analytics API's query parameters and responses, as the OpenAPI document shows them (docs/analytics.md).

The filters are read by `filters.filters_from` (400 with the field named, 404 out of reach), not by webargs
(whose 422 is for bodies): the parameters are documented here by hand, with the bounds the parser enforces.
"""

import marshmallow as ma

from app.api.listing import DEFAULT_PER_PAGE, MAX_PAGE, MAX_PER_PAGE
from app.api.types import MAX_ID, UtcDateTime
from blueprints.analytics.filters import MAX_AT_RISK_DAYS, MAX_DAYS
from blueprints.analytics.learner_figures import FIGURES, LEARNER_SORTS
from blueprints.analytics.models import DEFAULT_AT_RISK_DAYS

FILTER_PARAMETERS = [
    {
        "in": "query",
        "name": "date_from",
        "schema": {"type": "string", "format": "date"},
        "description": f"First day (UTC) of the period; default: 29 days before `date_to`. At most {MAX_DAYS} days.",
    },
    {
        "in": "query",
        "name": "date_to",
        "schema": {"type": "string", "format": "date"},
        "description": "Last day (UTC) of the period, inclusive; default: today.",
    },
    {
        "in": "query",
        "name": "branch_id",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
        "description": "Only the people who are members of this branch (404 out of your reach).",
    },
    {
        "in": "query",
        "name": "class_id",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
        "description": "Only the students of this class (404 out of your reach).",
    },
    {
        "in": "query",
        "name": "course_id",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
        "description": "Only the enrollments of this course; for person-level figures, the people enrolled in it.",
    },
    {
        "in": "query",
        "name": "at_risk_days",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_AT_RISK_DAYS, "default": DEFAULT_AT_RISK_DAYS},
        "description": "A learner with no activity for this many days is at risk.",
    },
]
COURSE_FILTER_PARAMETERS = [parameter for parameter in FILTER_PARAMETERS if parameter["name"] != "course_id"]
LEARNER_PARAMETERS = [
    *FILTER_PARAMETERS,
    {
        "in": "query",
        "name": "figure",
        "schema": {"type": "string", "enum": list(FIGURES), "default": "all"},
        "description": "Whose rows: the learners behind this figure.",
    },
    {"in": "query", "name": "page", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1}},
    {
        "in": "query",
        "name": "per_page",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": DEFAULT_PER_PAGE},
    },
    {
        "in": "query",
        "name": "sort",
        "schema": {"type": "string"},
        "description": f"Comma-separated; prefix `-` for descending. Allowed: {', '.join(LEARNER_SORTS)}. "
        "Default: -last_activity_at.",
    },
]


def _count(**kwargs):
    return ma.fields.Integer(**kwargs)


def _percent(description):
    return ma.fields.Float(allow_none=True, metadata={"description": description})


class PeriodSchema(ma.Schema):
    date_from = ma.fields.String(metadata={"format": "date"})
    date_to = ma.fields.String(metadata={"format": "date"})
    days = _count()


class FiltersEchoSchema(ma.Schema):
    branch_id = ma.fields.Integer(allow_none=True)
    class_id = ma.fields.Integer(allow_none=True)
    course_id = ma.fields.Integer(allow_none=True)
    at_risk_days = _count()


class ActiveLearnersSchema(ma.Schema):
    day = _count(metadata={"description": "people with activity on date_to"})
    week = _count(metadata={"description": "in the 7 days ending date_to"})
    month = _count(metadata={"description": "in the 30 days ending date_to"})
    period = _count(metadata={"description": "in the whole period"})


class OverviewSchema(ma.Schema):
    period = ma.fields.Nested(PeriodSchema)
    filters = ma.fields.Nested(FiltersEchoSchema)
    learners = _count(metadata={"description": "distinct people with an active enrollment"})
    active_enrollments = _count()
    completed = _count(metadata={"description": "of the active enrollments, completed"})
    completion_rate = _percent("completed / active enrollments x 100; null: none")
    overdue = _count(metadata={"description": "not completed, due before now"})
    due_soon = _count(metadata={"description": "not completed, due within 7 days"})
    average_progress = _percent("average progress % of active enrollments in courses with items")
    at_risk = _count(metadata={"description": "overdue, or inactive for at_risk_days"})
    active_learners = ma.fields.Nested(ActiveLearnersSchema)
    sign_ins = _count()
    enrollments = _count(metadata={"description": "enrolled in the period"})
    completions = _count(metadata={"description": "courses completed in the period"})
    items_completed = _count()
    seconds_spent = _count()
    attempts = _count(metadata={"description": "submitted in the period"})
    graded_attempts = _count()
    average_score = _percent("average percent of the graded attempts; null: none graded")
    pass_rate = _percent("passed / graded x 100; null: none graded")


class DaySchema(ma.Schema):
    day = ma.fields.String(metadata={"format": "date"})
    active_learners = _count()
    sign_ins = _count()
    enrollments = _count()
    completions = _count()
    items_completed = _count()
    seconds = _count()
    attempts = _count()


class EngagementSchema(ma.Schema):
    period = ma.fields.Nested(PeriodSchema)
    days = ma.fields.List(ma.fields.Nested(DaySchema))


class LearnerRowSchema(ma.Schema):
    user_id = ma.fields.Integer()
    name = ma.fields.String()
    email = ma.fields.String()
    enrollments = _count(metadata={"description": "active enrollments"})
    completed = _count()
    overdue = _count()
    due_soon = _count()
    average_progress = _percent("over their enrollments in courses with items")
    seconds = _count()
    last_activity_at = UtcDateTime(allow_none=True)
    at_risk_reason = ma.fields.String(allow_none=True, metadata={"enum": ["overdue", "inactive", None]})


class CourseRowSchema(ma.Schema):
    course_id = ma.fields.Integer()
    title = ma.fields.String()
    learners = _count()
    enrollments = _count()
    completed = _count()
    completion_rate = _percent("completed / active enrollments x 100")
    overdue = _count()
    due_soon = _count()
    average_progress = _percent("average progress %")
    seconds = _count(metadata={"description": "spent in the period"})
    attempts = _count(metadata={"description": "submitted in the period"})
    average_score = _percent("of the period's graded attempts")
    pass_rate = _percent("of the period's graded attempts")


class CoursesSchema(ma.Schema):
    period = ma.fields.Nested(PeriodSchema)
    filters = ma.fields.Nested(FiltersEchoSchema)
    courses = ma.fields.List(ma.fields.Nested(CourseRowSchema))


class AssessmentRowSchema(ma.Schema):
    quiz_id = ma.fields.Integer()
    title = ma.fields.String()
    course_id = ma.fields.Integer()
    course_title = ma.fields.String()
    attempts = _count(metadata={"description": "submitted in the period"})
    learners = _count()
    graded = _count()
    average_score = _percent("average percent of the graded ones")
    pass_rate = _percent("passed / graded x 100")


class AssessmentsSchema(ma.Schema):
    period = ma.fields.Nested(PeriodSchema)
    filters = ma.fields.Nested(FiltersEchoSchema)
    assessments = ma.fields.List(ma.fields.Nested(AssessmentRowSchema))


class GroupRowSchema(ma.Schema):
    branch_id = ma.fields.Integer()
    class_id = ma.fields.Integer()
    name = ma.fields.String()
    learners = _count()
    enrollments = _count()
    completion_rate = _percent("completed / active enrollments x 100")
    average_progress = _percent("average progress %")
    overdue = _count()
    at_risk = _count()
    average_score = _percent("of the period's graded attempts")


class PerformanceSchema(ma.Schema):
    period = ma.fields.Nested(PeriodSchema)
    filters = ma.fields.Nested(FiltersEchoSchema)
    branches = ma.fields.List(ma.fields.Nested(GroupRowSchema))
    classes = ma.fields.List(ma.fields.Nested(GroupRowSchema))


class CourseRefSchema(ma.Schema):
    id = ma.fields.Integer()
    title = ma.fields.String()


class CourseAnalyticsSchema(OverviewSchema):
    course = ma.fields.Nested(CourseRefSchema)
    classes = ma.fields.List(ma.fields.Nested(GroupRowSchema))
    days = ma.fields.List(ma.fields.Nested(DaySchema))
