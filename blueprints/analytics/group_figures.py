"""The figures per branch and per class (docs/analytics.md, "Groups", "Per branch and per class" and "Per branch
and per class, rolled up"): `performance`, and `course_figures`, a course's overview with its classes. Each
person's figures are summed once, then over the members of each group (`_group_figures`), or read from the roll-ups
per group (`analytics_groups`, `analytics_group_days`) when they answer. Built on the building blocks of
`figures.py` (the conditions, the snapshot and the period), `filters.py`, `definitions.py` and, for whether the
roll-ups answer, `everyone_figures.py`."""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from types import SimpleNamespace

import sqlalchemy as sa

from app.extensions import db
from app.security.actor import current_actor
from blueprints.analytics.audience import Audience
from blueprints.analytics.definitions import rate, rounded, score
from blueprints.analytics.everyone_figures import organization_wide
from blueprints.analytics.figures import (
    GRADED_NONE,
    day_conditions,
    engagement_days,
    enrollment_conditions,
    period_and_days,
    period_figures_of,
    snapshot,
    snapshot_columns,
)
from blueprints.analytics.filters import Filters, course_filter
from blueprints.analytics.models import (
    ACTIVE_ENROLLMENT,
    DEFAULT_AT_RISK_DAYS,
    GROUP_FIGURES,
    NO_COURSE,
    OPEN_ENROLLMENT,
    AnalyticsDay,
    AnalyticsGroup,
    AnalyticsGroupDay,
    AnalyticsGroupMember,
    AnalyticsPerson,
    LearnerCourse,
)
from blueprints.branches.queries import branch_members, branch_names
from blueprints.classes.queries import branches_of_classes, class_names, classes_in_branches, student_classes
from blueprints.courses import access

# --- per person, then per group -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Groups:
    """One kind of group of `performance`: `members`, a select of (`key`, user_id); `allowed`, a condition on
    the group id column (None: every group)."""

    members: object
    key: str
    allowed: object = None


def _people_now(filters, audience):
    """Per person of the audience with an active enrollment in it: enrollments, completed, overdue, at risk, and
    the sum and count of the progress of those in courses with items (a CTE). From the people's own rows when
    those are what the audience sees of them (`_people_rows_hold_all`), else one pass over the active
    enrollments in person order, read from the index `ix_analytics_enrollments_active_person` alone."""
    if _people_rows_hold_all(filters, audience):
        return _people_now_from_people(filters, audience)
    lc = LearnerCourse
    items, columns = snapshot_columns(filters)
    return (
        sa.select(
            lc.user_id.label("user_id"),
            *(columns[name].label(name) for name in PERSON_NOW),
        )
        .select_from(lc)
        .outerjoin(items, items.c.course_id == lc.course_id)
        .where(sa.text(ACTIVE_ENROLLMENT), *enrollment_conditions(filters, audience))
        .group_by(lc.user_id)
        .cte("people_now")
    )


def _people_rows_hold_all(filters, audience):
    """Whether a person's `AnalyticsPerson` row (their figures over all their active enrollments) is what the
    audience sees of them: not for a teacher (their courses only), nor about one course."""
    return audience.teacher_id is None and filters.course_id is None


def _people_now_from_people(filters, audience):
    """`_people_now` with the person's completed enrollments and progress from their `AnalyticsPerson` row (kept
    with their enrollments and their courses' items): the pass over the active enrollments counts only what
    depends on now (overdue, at risk), without each course's item count; each person's row is then one lookup
    by its key."""
    lc, p = LearnerCourse, AnalyticsPerson
    _items, columns = snapshot_columns(filters)
    counted = (
        sa.select(
            lc.user_id.label("user_id"),
            *(columns[name].label(name) for name in ("enrollments", "overdue", "at_risk_count")),
        )
        .where(sa.text(ACTIVE_ENROLLMENT), *enrollment_conditions(filters, audience))
        .group_by(lc.user_id)
        .subquery("counted")
    )
    return (
        sa.select(
            counted.c.user_id,
            counted.c.enrollments,
            p.completed.label("completed"),
            counted.c.overdue,
            counted.c.at_risk_count,
            p.progress_sum.label("progress_sum"),
            p.progress_count.label("progress_count"),
        )
        .join(p, p.user_id == counted.c.user_id)
        .cte("people_now")
    )


PERSON_NOW = ("enrollments", "completed", "overdue", "at_risk_count", "progress_sum", "progress_count")


def _people_scores(filters, audience):
    """Per person of the audience, their graded attempts in the period and the sum of their percents (a CTE over
    the day rows with graded attempts, `ix_analytics_days_graded`)."""
    a = AnalyticsDay
    return (
        sa.select(
            a.user_id.label("user_id"),
            sa.func.sum(a.graded_attempts).label("graded"),
            sa.func.sum(a.percent_sum).label("percent_sum"),
        )
        .where(
            a.course_id != NO_COURSE,
            a.graded_attempts > GRADED_NONE,
            *course_filter(filters, a.course_id),  # graded rows are course rows: the course's, with a filter
            *day_conditions(filters, audience, filters.date_from),
        )
        .group_by(a.user_id)
        .cte("people_scores")
    )


def _per_group(kinds, people, *sums):
    """One statement: per kind of group and group, the `sums` of `people` (a CTE of one row per person) over the
    group's members; rows (kind, group_id, learners, *sums)."""
    selects = []
    for kind, groups in kinds.items():
        members = groups.members.subquery()
        group_id = members.c[groups.key]
        stmt = (
            sa.select(
                sa.literal(kind).label("kind"),
                group_id.label("group_id"),
                sa.func.count().label("learners"),
                *(sa.func.sum(people.c[name]).label(name) for name in sums),
            )
            # `+ 0`: no index on the person's row, so that SQLite reads each person once and looks their
            # memberships up (the memberships' user id index) instead of scanning every membership
            .select_from(people)
            .join(members, members.c.user_id == people.c.user_id + 0)
            .group_by(group_id)
        )
        if groups.allowed is not None:
            stmt = stmt.where(groups.allowed(group_id))
        selects.append(stmt)
    return selects[0] if len(selects) == 1 else sa.union_all(*selects)


# a UNION carries no entity the session could route by: the read model's database, like its tables
ON_READ_MODEL = {"bind_arguments": {"mapper": LearnerCourse}}


# --- the roll-ups per group: an organization-wide audience ----------------------------------------------------


def _groups_rolled_up(filters, audience, kinds):
    """Whether the roll-ups per group answer `_group_figures`: every group of the organization (an org admin), no
    filter, the at-risk days their risk days are counted for (docs/analytics.md, "Per branch and per class,
    rolled up")."""
    return (
        organization_wide(filters, audience)
        and filters.course_id is None
        and filters.at_risk_days == DEFAULT_AT_RISK_DAYS
        and all(groups.allowed is None for groups in kinds.values())
    )


def _today_s_risks(filters):
    """Per open enrollment due or becoming at risk today before now (a select of user_id, overdue, at_risk): what
    the group days cannot tell apart from later today. Two disjoint index ranges of the open enrollments: due
    today before now (at risk today too unless inactive since before today), and inactive from today before now
    without being due before now."""
    lc = LearnerCourse
    start = datetime.combine(filters.now.date(), time())
    inactive = timedelta(days=DEFAULT_AT_RISK_DAYS)
    due_today = sa.select(
        lc.user_id.label("user_id"),
        sa.literal(1).label("overdue"),
        sa.case((lc.last_activity_at >= start - inactive, 1), else_=0).label("at_risk"),
    ).where(sa.text(OPEN_ENROLLMENT), lc.due_at >= start, lc.due_at < filters.now)
    inactive_today = sa.select(lc.user_id, sa.literal(0), sa.literal(1)).where(
        sa.text(OPEN_ENROLLMENT),
        lc.last_activity_at >= start - inactive,
        lc.last_activity_at < filters.now - inactive,
        sa.or_(lc.due_at.is_(None), lc.due_at >= filters.now),
    )
    return sa.union_all(due_today, inactive_today).subquery("today")


def _group_figures_rolled_up(filters, kinds):
    """`_group_figures` from the roll-ups per group (one statement): learners, enrollments, completed and progress
    from `analytics_groups`; overdue and at risk from the group days before today plus today's open enrollments
    due or at risk before now (`_today_s_risks`, joined to the copy of the memberships); the period's scores
    from its group days."""
    g, gd, gm = AnalyticsGroup, AnalyticsGroupDay, AnalyticsGroupMember
    today = filters.now.date()
    zero, zero_float = sa.literal(0), sa.literal(0.0, sa.Float)
    names = GROUP_FIGURES
    now_part = sa.select(
        g.kind.label("kind"),
        g.group_id.label("group_id"),
        *(getattr(g, name).label(name) for name in names),
        zero.label("overdue"),
        zero.label("at_risk"),
        zero.label("graded"),
        zero_float.label("percent_sum"),
    )
    before_today, in_the_period = gd.day < today, sa.and_(gd.day >= filters.date_from, gd.day <= filters.date_to)
    days_part = (
        sa.select(
            gd.kind,
            gd.group_id,
            *(zero_float if name == "progress_sum" else zero for name in names),
            sa.func.coalesce(sa.func.sum(sa.case((before_today, gd.due_open), else_=0)), 0),
            sa.func.coalesce(sa.func.sum(sa.case((before_today, gd.risk_open), else_=0)), 0),
            sa.func.coalesce(sa.func.sum(sa.case((in_the_period, gd.graded), else_=0)), 0),
            sa.func.coalesce(sa.func.sum(sa.case((in_the_period, gd.percent_sum), else_=0.0)), 0.0),
        )
        .where(sa.or_(before_today, in_the_period))
        .group_by(gd.kind, gd.group_id)
    )
    risks = _today_s_risks(filters)
    today_part = (
        sa.select(
            gm.kind,
            gm.group_id,
            *(zero_float if name == "progress_sum" else zero for name in names),
            sa.func.sum(risks.c.overdue),
            sa.func.sum(risks.c.at_risk),
            zero,
            zero_float,
        )
        .join(gm, gm.user_id == risks.c.user_id)
        .group_by(gm.kind, gm.group_id)
    )
    parts = sa.union_all(now_part, days_part, today_part).subquery("parts")
    sums = ("overdue", "at_risk", "graded", "percent_sum")
    stmt = sa.select(
        parts.c.kind, parts.c.group_id, *(sa.func.sum(parts.c[name]).label(name) for name in (*names, *sums))
    ).group_by(parts.c.kind, parts.c.group_id)
    found = {kind: ({}, {}) for kind in kinds}
    for row in db.session.execute(stmt, **ON_READ_MODEL):
        if row.kind not in found:
            continue
        now, period = found[row.kind]
        if row.learners:
            now[row.group_id] = SimpleNamespace(
                learners=int(row.learners),
                enrollments=int(row.enrollments),
                completed=int(row.completed),
                overdue=int(row.overdue),
                at_risk=int(row.at_risk),
                average_progress=_average_of(row.progress_sum, row.progress_count),
            )
        if row.graded:
            period[row.group_id] = SimpleNamespace(graded=int(row.graded), percent_sum=float(row.percent_sum))
    return found


def _average_of(total, count):
    return None if not count else float(total) / int(count)


# --- the figures ----------------------------------------------------------------------------------------------


def _group_figures(filters, audience, kinds):
    """Per kind of group (`kinds`: {kind: Groups}) and group: learners, completion rate, average progress,
    overdue, at risk (now) and the period's average score; two statements whatever the kinds (one from the
    roll-ups per group when they answer: `_groups_rolled_up`). Each person's figures are summed once
    (`_people_now`, `_people_scores`), then over the groups' members: a person counts in every group they are a
    member of, with the audience's enrollments only. Answers {kind: (now, period)}."""
    if _groups_rolled_up(filters, audience, kinds):
        return _group_figures_rolled_up(filters, kinds)
    found = {kind: ({}, {}) for kind in kinds}
    on_read_model = ON_READ_MODEL
    for row in db.session.execute(_per_group(kinds, _people_now(filters, audience), *PERSON_NOW), **on_read_model):
        found[row.kind][0][row.group_id] = SimpleNamespace(
            learners=row.learners,
            enrollments=int(row.enrollments),
            completed=int(row.completed),
            overdue=int(row.overdue),
            at_risk=int(row.at_risk_count),
            average_progress=_average_of(row.progress_sum, row.progress_count),
        )
    scores = _per_group(kinds, _people_scores(filters, audience), "graded", "percent_sum")
    for row in db.session.execute(scores, **on_read_model):
        found[row.kind][1][row.group_id] = row
    return found


def _group_rows(now, period, labels, key):
    rows = []
    for group_id in sorted(set(now) | set(period), key=lambda found: (labels.get(found, "").lower(), found)):
        current, done = now.get(group_id), period.get(group_id)
        rows.append(
            {
                key: group_id,
                "name": labels.get(group_id, ""),
                "learners": current.learners if current else 0,
                "enrollments": current.enrollments if current else 0,
                "completion_rate": rate(current.completed, current.enrollments) if current else None,
                "average_progress": rounded(current.average_progress) if current else None,
                "overdue": int(current.overdue) if current else 0,
                "at_risk": int(current.at_risk) if current else 0,
                "average_score": score(done.percent_sum, int(done.graded or 0)) if done else None,
            }
        )
    return rows


def _reachable_branches(audience):
    """The branches whose rows the audience may see grouped: None for all (org-wide)."""
    if audience.everyone:
        return None
    return audience.branch_ids | branches_of_classes(audience.class_ids)


def performance(filters, audience):
    """Per branch and per class: learners, completion rate, average progress, overdue, at risk (now) and the
    period's average score. A branch manager sees their branches' rows, a teacher the rows of their classes
    (and of their classes' branches); every row counts only the audience's enrollments (six statements)."""
    branch_ids = _reachable_branches(audience)
    in_branches = None if branch_ids is None else (lambda group_id: group_id.in_(branch_ids or [-1]))
    found = _group_figures(
        filters,
        audience,
        {
            "branch": Groups(branch_members(branch_ids), "branch_id", in_branches),
            "class": Groups(student_classes(), "class_id", _classes_in_reach(audience, branch_ids)),
        },
    )
    now, period = found["branch"]
    branches = _group_rows(now, period, branch_names(set(now) | set(period)), "branch_id")
    now, period = found["class"]
    labels = {class_id: name for class_id, (name, _branch) in class_names(set(now) | set(period)).items()}
    classes = _group_rows(now, period, labels, "class_id")
    return {"period": filters.period(), "filters": filters.echo(), "branches": branches, "classes": classes}


def _classes_in_reach(audience, branch_ids):
    """A condition on a class id column: a class of the audience's branches or one it teaches (None: all)."""
    if branch_ids is None:
        return None
    return lambda class_id: sa.or_(
        class_id.in_(classes_in_branches(branch_ids)), class_id.in_(audience.class_ids or [-1])
    )


def course_figures(course_id, filters, actor=current_actor):
    """The overview of one course for its managers (every learner of it) and for the branch managers who see
    it (their branches' learners), plus its classes and its engagement days; 403 for anyone else who sees
    the course, 404 for who does not."""
    course, branch_ids = access.roster_for(course_id, actor)
    audience = Audience(everyone=True) if branch_ids is None else Audience(branch_ids=frozenset(branch_ids))
    narrowed = Filters(
        date_from=filters.date_from,
        date_to=filters.date_to,
        branch_id=filters.branch_id,
        class_id=filters.class_id,
        course_id=course.id,
        at_risk_days=filters.at_risk_days,
        now=filters.now,
    )
    period_row, day_rows = period_and_days(narrowed, audience)
    figures = {
        "period": narrowed.period(),
        "filters": narrowed.echo(),
        **snapshot(narrowed, audience),
        **period_figures_of(period_row),
    }
    in_reach = _classes_in_reach(audience, _reachable_branches(audience))  # a branch manager: their classes only
    now, period = _group_figures(narrowed, audience, {"class": Groups(student_classes(), "class_id", in_reach)})[
        "class"
    ]
    labels = {class_id: name for class_id, (name, _branch) in class_names(set(now) | set(period)).items()}
    return {
        "course": {"id": course.id, "title": course.title},
        **figures,
        "classes": _group_rows(now, period, labels, "class_id"),
        "days": engagement_days(narrowed, day_rows)["days"],
    }
