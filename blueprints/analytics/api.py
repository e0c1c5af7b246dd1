"""`/api/v1/analytics/...`: the figures of docs/analytics.md scoped to the caller, and `/api/v1/courses/{id}/analytics`
(one course's overview for the people who follow it)."""

from flask import g, request
from flask.views import MethodView

from app.api.blueprint import ApiBlueprint
from app.security.actor import current_actor
from app.security.principal import requires
from blueprints.analytics import figures, group_figures, learner_figures, schemas
from blueprints.analytics.audience import audience_of
from blueprints.analytics.filters import filters_from

blp = ApiBlueprint(
    "analytics", __name__, url_prefix="/api/v1/analytics", description="Analytics: figures scoped to the caller."
)
course_blp = ApiBlueprint(
    "course_analytics", __name__, url_prefix="/api/v1/courses", description="Analytics: figures scoped to the caller."
)
BEARER = [{"bearerAuth": []}]
PERMISSION = "analytics.read"


def _figures_of(answer):
    """The request's filters (400/404) and audience, handed to one figures function."""
    return answer(_filters(), audience_of(current_actor))


def _filters():
    return filters_from(request.args, current_actor, blank_is_absent=False)


@blp.route("/overview")
class Overview(MethodView):
    @requires(PERMISSION)
    @blp.doc(parameters=schemas.FILTER_PARAMETERS, security=BEARER, tags=["analytics"])
    @blp.response(200, schemas.OverviewSchema)
    def get(self):
        """Every figure in one object: learners, completion, overdue, at risk, progress now; activity, time,
        attempts and scores over the period (default: the 30 days ending today)."""
        return _figures_of(figures.overview)


@blp.route("/engagement")
class Engagement(MethodView):
    @requires(PERMISSION)
    @blp.doc(parameters=schemas.FILTER_PARAMETERS, security=BEARER, tags=["analytics"])
    @blp.response(200, schemas.EngagementSchema)
    def get(self):
        """Every day of the period (zeros included): active learners, sign-ins, enrollments, completions, items
        completed, seconds spent and attempts submitted."""
        return _figures_of(figures.engagement)


@blp.route("/users")
class Learners(MethodView):
    @requires(PERMISSION)
    @blp.doc(parameters=schemas.LEARNER_PARAMETERS, security=BEARER, tags=["analytics"])
    @blp.response(200, schemas.LearnerRowSchema(many=True))
    def get(self):
        """The learners behind a figure (`figure`: all, active, inactive, overdue, due_soon, at_risk, completed,
        in_progress), paginated: their enrollments, progress, time, last activity and at-risk reason."""
        found = _figures_of(lambda filters, audience: learner_figures.learners(filters, audience, request.args))
        g.api_meta = found["meta"]
        return found["items"]


@blp.route("/courses")
class Courses(MethodView):
    @requires(PERMISSION)
    @blp.doc(parameters=schemas.FILTER_PARAMETERS, security=BEARER, tags=["analytics"])
    @blp.response(200, schemas.CoursesSchema)
    def get(self):
        """Per course: learners, completion, overdue, due soon and progress now; seconds, attempts, average score
        and pass rate over the period."""
        return _figures_of(figures.courses)


@blp.route("/assessments")
class Assessments(MethodView):
    @requires(PERMISSION)
    @blp.doc(parameters=schemas.FILTER_PARAMETERS, security=BEARER, tags=["analytics"])
    @blp.response(200, schemas.AssessmentsSchema)
    def get(self):
        """Per quiz, the attempts submitted in the period: attempts, learners, average score and pass rate."""
        return _figures_of(figures.assessments)


@blp.route("/performance")
class Performance(MethodView):
    @requires(PERMISSION)
    @blp.doc(parameters=schemas.FILTER_PARAMETERS, security=BEARER, tags=["analytics"])
    @blp.response(200, schemas.PerformanceSchema)
    def get(self):
        """Per branch and per class: learners, completion rate, average progress, overdue, at risk and average
        score."""
        return _figures_of(group_figures.performance)


@course_blp.route("/<int:course_id>/analytics")
class CourseAnalytics(MethodView):
    @requires(PERMISSION)
    @course_blp.doc(parameters=schemas.COURSE_FILTER_PARAMETERS, security=BEARER, tags=["analytics"])
    @course_blp.response(200, schemas.CourseAnalyticsSchema)
    def get(self, course_id):
        """One course's overview, its classes and its engagement days: every learner of it for its teachers and
        managers, their branches' learners for the branch managers who see it (403 for other people)."""
        return group_figures.course_figures(course_id, _filters(), current_actor)
