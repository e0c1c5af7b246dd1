"""The learners behind a figure (docs/analytics.md, "API" and "Groups"): `learners`, the drill-down of the
dashboard's figures, a page at a time with each person's figures over their active enrollments; the page is chosen
from the people's own rows (`analytics_people`) when those say what the audience sees of them. Built on the
building blocks of `figures.py` (the conditions, the snapshot's columns) and `definitions.py`."""

from datetime import timedelta

import sqlalchemy as sa

from app.api.listing import ListSpec, Page, apply_list_query, parse_list_query, run_list_query
from app.errors import BadRequest
from app.extensions import db
from blueprints.analytics.definitions import rounded
from blueprints.analytics.figures import (
    active_enrollments,
    day_conditions,
    did_something,
    person_filters,
    snapshot_columns,
)
from blueprints.analytics.models import AnalyticsDay, AnalyticsPerson, LearnerCourse
from blueprints.users.queries import contacts_of

FIGURES = ("all", "active", "inactive", "overdue", "due_soon", "at_risk", "completed", "in_progress")

LEARNER_SORTS = ("user_id", "enrollments", "completed", "overdue", "average_progress", "seconds", "last_activity_at")


def learners(filters, audience, args):
    """The learners behind a figure (`figure` in `args`: all, active, inactive, overdue, due_soon, at_risk,
    completed, in_progress), a page at a time (`page`, `per_page`, `sort`): each with their active
    enrollments, completed, overdue, average progress, seconds, last activity and at-risk reason
    (three statements: the page, its count, the people's names)."""
    figure = args.get("figure") or "all"
    if figure not in FIGURES:
        raise BadRequest("Unknown figure.", {"figure": [f"One of {', '.join(FIGURES)}."]})
    items, columns = snapshot_columns(filters)
    names = ("enrollments", "completed", "overdue", "due_soon", "average_progress", "seconds", "last_activity_at")
    labelled = {name: columns[name].label(name) for name in (*names, "risk")}
    stmt = active_enrollments(filters, audience, items, LearnerCourse.user_id, *labelled.values()).group_by(
        LearnerCourse.user_id
    )
    stmt = _for_figure(stmt, figure, filters, audience, columns)
    spec = ListSpec(
        filters={},
        sorts={"user_id": LearnerCourse.user_id, **{name: labelled[name] for name in LEARNER_SORTS[1:]}},
        default_sort=("-last_activity_at",),
        tiebreaker=LearnerCourse.user_id,
    )
    query = parse_list_query({key: value for key, value in args.items() if key != "figure"}, spec)
    if _people_rows_answer(filters, audience, figure, query):
        page = _page_of_people(filters, audience, figure, query, stmt, spec)
    else:
        page = run_list_query(db.session, stmt, query, spec, rows=True)
    contacts = contacts_of([row.user_id for row in page.items])
    reasons = {2: "overdue", 1: "inactive"}
    return {
        "figure": figure,
        "items": [
            {
                "user_id": row.user_id,
                "name": contacts.get(row.user_id, ("", ""))[0],
                "email": contacts.get(row.user_id, ("", ""))[1],
                "enrollments": row.enrollments,
                "completed": row.completed,
                "overdue": int(row.overdue),
                "due_soon": int(row.due_soon),
                "average_progress": rounded(row.average_progress),
                "seconds": int(row.seconds),
                "last_activity_at": row.last_activity_at,
                "at_risk_reason": reasons.get(row.risk),
            }
            for row in page.items
        ],
        "meta": page.meta,
    }


# the drill-down's sorts that a person's `AnalyticsPerson` row holds, and the figures it can tell
PERSON_SORTS = {
    "user_id": AnalyticsPerson.user_id,
    "enrollments": AnalyticsPerson.active_enrollments,
    "last_activity_at": AnalyticsPerson.last_activity_at,
}
PERSON_FIGURES = ("all", "overdue", "at_risk")


def _people_rows_answer(filters, audience, figure, query):
    """Whether the people's roll-up rows can choose the page: their figures are over all of a person's active
    enrollments, which is what the audience sees of them unless it is a teacher's (their courses only) or the
    list is about one course."""
    return (
        audience.teacher_id is None
        and filters.course_id is None
        and figure in PERSON_FIGURES
        and all(name in PERSON_SORTS for name, _descending in query.order)
    )


def _page_of_people(filters, audience, figure, query, stmt, spec):
    """The drill-down's page chosen from the people's rows (`analytics_people`: overdue is `open_due_at` before
    now, inactive `open_activity_at` before the at-risk days, ordered by their own columns), then the figures of
    those people only from their enrollments (`stmt`, the per-person statement, in the same order); the total
    is a count of the same rows (two statements instead of two passes over every active enrollment)."""
    p = AnalyticsPerson
    where = [p.active_enrollments > 0, audience.people(p.user_id), *person_filters(filters, p.user_id)]
    overdue = p.open_due_at < filters.now
    if figure == "overdue":
        where.append(overdue)
    elif figure == "at_risk":
        where.append(sa.or_(overdue, p.open_activity_at < filters.now - timedelta(days=filters.at_risk_days)))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(p).where(*where))
    order = [PERSON_SORTS[name].desc() if descending else PERSON_SORTS[name].asc() for name, descending in query.order]
    chosen = (
        sa.select(p.user_id)
        .where(*where)
        .order_by(*order, p.user_id.asc())
        .limit(query.per_page)
        .offset((query.page - 1) * query.per_page)
    )
    items = db.session.execute(apply_list_query(stmt.where(LearnerCourse.user_id.in_(chosen)), query, spec)).all()
    return Page(items=list(items), page=query.page, per_page=query.per_page, total=total)


def _for_figure(stmt, figure, filters, audience, columns):
    if figure in ("active", "inactive"):
        active = (
            sa.select(AnalyticsDay.user_id)
            .where(did_something(), *day_conditions(filters, audience, filters.date_from))
            .distinct()
        )
        condition = LearnerCourse.user_id.in_(active)
        return stmt.where(condition if figure == "active" else sa.not_(condition))
    having = {
        "overdue": columns["overdue"] > 0,
        "due_soon": columns["due_soon"] > 0,
        "at_risk": columns["risk"] > 0,
        "completed": columns["completed"] > 0,
        "in_progress": columns["completed"] < columns["enrollments"],
    }.get(figure)
    return stmt if having is None else stmt.having(having)
