"""`GET /api/v1/assessments/{id}/analytics`: a quiz's item analysis, for the staff who see its results."""

import marshmallow as ma
from flask.views import MethodView
from marshmallow import validate

from app.api.blueprint import ApiBlueprint
from app.api.types import Boolean, Id, Integer, UtcDateTime
from app.security.actor import current_actor
from app.security.principal import requires
from blueprints.assessments import analysis

blp = ApiBlueprint(
    "assessment_analytics",
    __name__,
    url_prefix="/api/v1/assessments",
    description="Item analysis of assessments (Moodle's definitions).",
)
BEARER = [{"bearerAuth": []}]


def _figure(description):
    return ma.fields.Float(allow_none=True, metadata={"description": description})


class AnalyticsArgs(ma.Schema):
    by_version = Boolean(strict=False, load_default=False, metadata={"description": "one row per question version"})
    attempts = ma.fields.String(
        load_default=analysis.FIRST,
        validate=validate.OneOf(analysis.WHICH_ATTEMPTS),
        metadata={"description": "`first`: each learner's first graded attempt (default); `all`: every graded one"},
    )


class QuizFiguresSchema(ma.Schema):
    attempts = Integer(metadata={"description": "attempts analysed"})
    max_score = _figure("the most points an attempt could score")
    mean = _figure("mean total, in points")
    median = _figure("median total, in points")
    standard_deviation = _figure("sample standard deviation of the totals")
    skewness = _figure("skewness of the totals")
    kurtosis = _figure("excess kurtosis of the totals")
    cronbach_alpha = _figure("Cronbach's alpha (internal consistency), 0..1 (can be negative)")
    standard_error = _figure("standard error of measurement, in points")


class OptionShareSchema(ma.Schema):
    option_id = ma.fields.String()
    text = ma.fields.String()
    correct = ma.fields.Boolean()
    share = ma.fields.Float(metadata={"description": "share of the question's attempts that chose it"})


class QuestionFiguresSchema(ma.Schema):
    question_id = Id()
    version = Integer(allow_none=True, metadata={"description": "set when grouped by version"})
    title = ma.fields.String()
    kind = ma.fields.String()
    attempts = Integer()
    facility = _figure("facility index: mean share of the points scored, 0..1")
    standard_deviation = _figure("sample standard deviation of the share scored")
    discrimination_index = _figure("correlation of the question's score with the rest of the test, -1..1")
    discriminative_efficiency = _figure("discrimination as a share of the most these scores allow")
    flags = ma.fields.List(
        ma.fields.String(validate=validate.OneOf(list(analysis.FLAG_LABELS))),
        metadata={
            "description": "too_easy (facility > 0.9), too_hard (< 0.1), negative_discrimination (< 0), "
            "weak_discrimination (< 0.2)"
        },
    )
    responses = ma.fields.List(ma.fields.Nested(OptionShareSchema), metadata={"description": "distractor analysis"})


class AnalyticsSchema(ma.Schema):
    assessment_id = Id()
    attempts = ma.fields.String(metadata={"description": "first or all"})
    by_version = ma.fields.Boolean()
    learners = ma.fields.String(metadata={"description": "everyone, or your_branches (a branch manager's learners)"})
    computed_at = UtcDateTime(allow_none=True, metadata={"description": "when stored figures were computed; null: now"})
    quiz = ma.fields.Nested(QuizFiguresSchema)
    questions = ma.fields.List(ma.fields.Nested(QuestionFiguresSchema))


@blp.route("/<int:assessment_id>/analytics")
class AssessmentAnalytics(MethodView):
    @requires("courses.manage")
    @blp.doc(security=BEARER)
    @blp.arguments(AnalyticsArgs, location="query")
    @blp.response(200, AnalyticsSchema)
    def get(self, args, assessment_id):
        """Item analysis: the quiz's mean, median, SD, skewness, kurtosis, Cronbach's alpha and standard error;
        per question facility, SD, discrimination index and efficiency, flags, and the share of learners who chose
        each option. Over each learner's first graded attempt unless `attempts=all`; per version with
        `by_version=true`. A branch manager gets the figures of their branches' learners."""
        quiz, result = analysis.analytics(assessment_id, args["attempts"], args["by_version"], current_actor)
        return {
            "assessment_id": quiz.id,
            "attempts": result.which,
            "by_version": result.by_version,
            "learners": result.learners,
            "computed_at": result.computed_at,
            "quiz": result.figures,
            "questions": list(result.rows()),
        }
