"""The analytics pages: the dashboard of org admins, branch managers and teachers (each sees their audience),
the learners behind a figure, one course's figures, and a learner's own progress. Every figure comes from
`figures.py`, `group_figures.py` and `learner_figures.py`, the same functions the API answers with, so a page and
`/api/v1/analytics/...` agree."""

from flask import Blueprint, render_template, request, url_for

from app.errors import DomainError, NotFound
from app.pages import organizations_only, render_page
from app.security.actor import current_actor
from app.security.principal import requires
from blueprints.analytics import charts, figures, group_figures, learner_figures
from blueprints.analytics.audience import Audience, audience_of
from blueprints.analytics.choices import filter_choices
from blueprints.analytics.display import format_figure
from blueprints.analytics.filters import filters_from
from blueprints.courses import access
from blueprints.courses.services import can_manage

bp = Blueprint("analytics_pages", __name__)
bp.add_app_template_filter(format_figure, "figure")

AT_RISK_SHOWN = 10
LEARNERS_PER_PAGE = 20
FILTER_FIELDS = ("date_from", "date_to", "branch_id", "class_id", "course_id", "at_risk_days")
# The learners behind a figure: what the drill-down's heading says (`figure` of /api/v1/analytics/users).
FIGURE_TITLES = {
    "all": "All learners",
    "active": "Active learners in the period",
    "inactive": "Learners not active in the period",
    "overdue": "Learners with an overdue course",
    "due_soon": "Learners with a course due within 7 days",
    "at_risk": "Learners at risk",
    "completed": "Learners who completed a course",
    "in_progress": "Learners with a course in progress",
}
# The drill-down's sortable columns (learner_figures.LEARNER_SORTS, less the id); the newest activity first by default.
SORT_KEYS = ("enrollments", "completed", "overdue", "average_progress", "seconds", "last_activity_at")
DEFAULT_SORT = "-last_activity_at"


# Analytics are an organization's: the platform's host has none
organizations_only(bp)


def _filters_or_errors(args):
    """The filters of the page's query (checked against the caller's scope: out of reach is a 404), or the
    default filters and the form's errors when a date is malformed or the range is wrong."""
    try:
        return filters_from(args, current_actor, blank_is_absent=True), {}
    except NotFound:
        raise
    except DomainError as error:
        kept = {name: value for name, value in args.items() if name not in error.details}
        try:
            filters = filters_from(kept, current_actor, blank_is_absent=True)
        except DomainError:
            filters = filters_from({}, current_actor)
        return filters, error.details or {"date_from": [error.message]}


def _shown_args(args, filters, errors):
    """The filter form's values: what was asked, and the period's dates the figures use when none was asked (a
    blank From shows the default period's first day rather than nothing)."""
    shown = args.to_dict() if hasattr(args, "to_dict") else dict(args)
    for name in ("date_from", "date_to"):
        if not shown.get(name) and name not in errors:
            shown[name] = getattr(filters, name).isoformat()
    return shown


def _filter_args(args):
    """The filters as the page's own query arguments (links keep them)."""
    return {name: args[name] for name in FILTER_FIELDS if args.get(name)}


@bp.get("/analytics")
@requires("analytics.read")
def dashboard():
    """Your learners at a glance: who is behind, who is active, how each course, branch and class is doing."""
    filters, errors = _filters_or_errors(request.args)
    audience = audience_of(current_actor)
    overview = figures.overview(filters, audience)
    engagement = figures.engagement(filters, audience)
    courses = figures.courses(filters, audience)
    return render_template(
        "analytics/dashboard.html",
        overview=overview,
        engagement=engagement,
        active_chart=charts.line_chart(engagement["days"], "active_learners"),
        time_chart=charts.line_chart(engagement["days"], "seconds", unit=60),
        courses=courses,
        course_chart=charts.completion_rate_chart(courses["courses"], "title"),
        choices=filter_choices(current_actor),
        args=_shown_args(request.args, filters, errors),
        filter_args=_filter_args(request.args),
        course_args={k: v for k, v in _filter_args(request.args).items() if k != "course_id"},
        audience_label=_audience_label(current_actor.scope),
        errors=errors,
    )


# The dashboard's slower panels, each a request of its own that the page asks for once it is there (htmx
# `hx-trigger="load"`), so that its first answer is the overview, engagement and courses (docs/analytics.md,
# "Speed"). Without htmx each is a page of its own.


def _panel(partial, title, **context):
    return render_page(
        "analytics/panel.html",
        partial=partial,
        panel=partial,
        title=title,
        filter_args=_filter_args(request.args),
        **context,
    )


@bp.get("/analytics/panels/performance")
@requires("analytics.read")
def performance_panel():
    """The dashboard's branches and classes."""
    filters, _errors = _filters_or_errors(request.args)
    performance = group_figures.performance(filters, audience_of(current_actor))
    return _panel(
        "analytics/_performance.html",
        "Branches and classes",
        performance=performance,
        branch_chart=charts.completion_rate_chart(performance["branches"], "name"),
        class_chart=charts.completion_rate_chart(performance["classes"], "name"),
    )


@bp.get("/analytics/panels/quizzes")
@requires("analytics.read")
def quizzes_panel():
    """The dashboard's quizzes: attempts, learners, average score and pass rate in the period, with their course."""
    filters, _errors = _filters_or_errors(request.args)
    quizzes = figures.assessments(filters, audience_of(current_actor))["assessments"]
    return _panel("analytics/_quizzes.html", "Quizzes", quizzes=quizzes)


@bp.get("/analytics/panels/at-risk")
@requires("analytics.read")
def at_risk_panel():
    """The dashboard's first learners at risk."""
    filters, _errors = _filters_or_errors(request.args)
    at_risk = learner_figures.learners(
        filters, audience_of(current_actor), {"figure": "at_risk", "per_page": str(AT_RISK_SHOWN)}
    )
    return _panel("analytics/_at_risk.html", "Learners at risk", at_risk=at_risk, at_risk_days=filters.at_risk_days)


def _audience_label(scope):
    if scope.organization_wide:
        return "everyone in the organization"
    if scope.branch_ids:
        return "the people of your branches" + (" and the learners you teach" if scope.taught_class_ids else "")
    return "the learners of your courses and classes"


@bp.get("/analytics/learners")
@requires("analytics.read")
def learners():
    """The learners behind one of the dashboard's figures, with the same filters; paged, sortable."""
    figure = request.args.get("figure", "all")
    if figure not in FIGURE_TITLES:
        figure = "all"
    sort = request.args.get("sort", DEFAULT_SORT)
    if sort.lstrip("-") not in SORT_KEYS:
        sort = DEFAULT_SORT
    filters, errors = _filters_or_errors(request.args)
    page = learner_figures.learners(
        filters,
        audience_of(current_actor),
        {
            "figure": figure,
            "sort": sort,
            "page": str(_page_number(request.args.get("page"))),
            "per_page": str(LEARNERS_PER_PAGE),
        },
    )
    return render_page(
        "analytics/learners.html",
        partial="analytics/_learners.html",
        page=page,
        figure=figure,
        title=FIGURE_TITLES[figure],
        titles=FIGURE_TITLES,
        sort=sort,
        sort_keys=SORT_KEYS,
        choices=filter_choices(current_actor),
        args=_shown_args(request.args, filters, errors),
        filter_args=_filter_args(request.args),
        errors=errors,
        last_page=max(1, -(-page["meta"]["total"] // LEARNERS_PER_PAGE)),
    )


def _page_number(text):
    try:
        return max(1, min(int(text or 1), 100_000))
    except ValueError:
        return 1


@bp.get("/analytics/courses/<int:course_id>")
@requires("analytics.read")
def course(course_id):
    """One course: its learners' progress, its classes, its engagement day by day."""
    args = {**request.args.to_dict(), "course_id": str(course_id)}
    filters, errors = _filters_or_errors(args)
    result = group_figures.course_figures(course_id, filters, current_actor)
    return render_template(
        "analytics/course.html",
        result=result,
        overview=result,
        active_chart=charts.line_chart(result["days"], "active_learners"),
        class_chart=charts.completion_rate_chart(result["classes"], "name"),
        args=_shown_args(request.args, filters, errors),
        filter_args=_filter_args(args),
        dashboard_args={k: v for k, v in _filter_args(args).items() if k != "course_id"},
        can_edit=can_manage(access.course_for(course_id), current_actor.principal, current_actor.scope),
        errors=errors,
        course_id=course_id,
    )


@bp.get("/learn/progress")
@requires("courses.learn")
def my_progress():
    """Your own figures: each course's progress, time spent day by day, attempts and scores."""
    filters, errors = _filters_or_errors({k: v for k, v in request.args.items() if k in ("date_from", "date_to")})
    audience = Audience.learner(current_actor.id)
    engagement = figures.engagement(filters, audience)
    return render_template(
        "analytics/my_progress.html",
        overview=figures.overview(filters, audience),
        engagement=engagement,
        time_chart=charts.line_chart(engagement["days"], "seconds", unit=60),
        courses=figures.courses(filters, audience),
        args=_shown_args(request.args, filters, errors),
        errors=errors,
    )


def learner_link(row, filter_args):
    """Where a learner's name leads: their page (people who may read people), else their progress in the
    course the list is filtered on (the course's staff), else nowhere."""
    if current_actor.can("users.read"):
        return url_for("people_pages.detail", user_id=row["user_id"])
    if filter_args.get("course_id"):
        return url_for("teaching_pages.learner", course_id=filter_args["course_id"], user_id=row["user_id"])
    return None


bp.add_app_template_global(learner_link, "learner_link")
