"""The roll-ups per branch and per class (`analytics_group_members`, `analytics_groups`, `analytics_group_days`):
who counts in which group (a copy of the memberships), and per group the sum of its members' shares (learners,
active enrollments, completed, progress) and per day their open enrollments due or becoming at risk and their
graded attempts. Kept by the refreshes of `readmodel.py` (a person's change goes to each of their groups), by
`memberships.changed` (`refresh_memberships`: a person's whole share moves with them) and by the rebuild
(`insert_group_roll_ups`). See docs/analytics.md, "Per branch and per class, rolled up"."""

import contextvars
from contextlib import contextmanager
from datetime import timedelta
from functools import cache
from types import SimpleNamespace

import sqlalchemy as sa

from app.tenancy.locks import row_locks
from blueprints.analytics.models import (
    ACTIVE_ENROLLMENT,
    BRANCH,
    CLASS,
    DEFAULT_AT_RISK_DAYS,
    GROUP_DAY_COUNTS,
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
from blueprints.analytics.sql import adding_upsert_of, day_of, days_after, dialect_name, earliest_of, execute, utc_day
from blueprints.branches.queries import branch_members
from blueprints.classes.queries import student_classes


@cache
def group_statements(dialect):
    """The statements keeping the roll-ups per branch and per class, built once per database kind."""
    learners, days, people = LearnerCourse.__table__, AnalyticsDay.__table__, AnalyticsPerson.__table__
    members, groups, group_days = (
        AnalyticsGroupMember.__table__,
        AnalyticsGroup.__table__,
        AnalyticsGroupDay.__table__,
    )
    user_id = sa.bindparam("user_id", type_=sa.Integer)
    user_ids = sa.bindparam("user_ids", expanding=True, type_=sa.Integer)
    course_id = sa.bindparam("course_id", type_=sa.Integer)
    kind, group_id = sa.bindparam("kind", type_=sa.String), sa.bindparam("group_id", type_=sa.Integer)
    day = sa.bindparam("day", type_=sa.Date)
    active_in_course = sa.select(learners.c.user_id).where(
        learners.c.course_id == course_id, learners.c.active.is_(True)
    )
    source = _membership_sources().subquery("source")
    return SimpleNamespace(
        # the people's shares of their groups (no row: none, as `group_figures._people_now_from_people` joins the row)
        shares=sa.select(
            people.c.user_id,
            sa.select(sa.func.count())
            .where(learners.c.user_id == people.c.user_id, sa.text(ACTIVE_ENROLLMENT))
            .scalar_subquery()
            .label("enrollments"),
            people.c.completed,
            people.c.progress_sum,
            people.c.progress_count,
        ).where(people.c.user_id.in_(user_ids)),
        # their open enrollments (due and risk days) and their day rows with graded attempts
        open_enrollments=sa.select(learners.c.user_id, learners.c.due_at, learners.c.last_activity_at).where(
            learners.c.user_id.in_(user_ids), sa.text(OPEN_ENROLLMENT)
        ),
        graded_days=sa.select(days.c.user_id, days.c.day, days.c.graded_attempts, days.c.percent_sum).where(
            days.c.user_id.in_(user_ids), days.c.course_id != NO_COURSE, days.c.graded_attempts > 0
        ),
        # who counts in which group: the copy, and the sources
        groups_of_people=sa.select(members.c.user_id, members.c.kind, members.c.group_id).where(
            members.c.user_id.in_(user_ids)
        ),
        source_groups_of_people=sa.select(source.c.user_id, source.c.kind, source.c.group_id).where(
            source.c.user_id.in_(user_ids)
        ),
        # PostgreSQL: the person's advisory lock (see `readmodel._serialize`) of each of them, in person order
        lock_people=sa.text(
            "SELECT pg_advisory_xact_lock(person, 0) FROM (SELECT unnest(CAST(:user_ids AS integer[])) AS person"
            " ORDER BY person OFFSET 0) AS people"  # the locks taken in this order: the sort stays below the calls
        ),
        add_member=sa.insert(members).values(kind=kind, group_id=group_id, user_id=user_id),
        forget_member=sa.delete(members).where(
            members.c.kind == kind, members.c.group_id == group_id, members.c.user_id == user_id
        ),
        add_group=adding_upsert_of(groups, ["kind", "group_id"], dialect),
        forget_empty_group=sa.delete(groups).where(
            groups.c.kind == kind, groups.c.group_id == group_id, groups.c.learners == 0
        ),
        add_group_day=adding_upsert_of(group_days, ["kind", "group_id", "day"], dialect),
        forget_empty_group_day=sa.delete(group_days).where(
            group_days.c.kind == kind,
            group_days.c.group_id == group_id,
            group_days.c.day == day,
            *(group_days.c[name] == 0 for name in GROUP_DAY_COUNTS if name != "percent_sum"),
        ),
        # the figures of the people with an active enrollment in a course, and their groups
        people_of_course=sa.select(
            people.c.user_id, people.c.completed, people.c.progress_sum, people.c.progress_count
        ).where(people.c.user_id.in_(active_in_course)),
        groups_of_people_of_course=sa.select(members.c.kind, members.c.group_id, members.c.user_id).where(
            members.c.user_id.in_(active_in_course)
        ),
        # PostgreSQL: the person's advisory lock (see `readmodel._serialize`) of each of them, in person order
        lock_people_of_course=sa.select(
            sa.literal_column("user_id"),
            sa.func.pg_advisory_xact_lock(sa.literal_column("user_id"), sa.literal_column("0")),
        ).select_from(
            sa.select(learners.c.user_id)
            .where(learners.c.course_id == course_id, learners.c.active.is_(True))
            .order_by(learners.c.user_id)
            .offset(0)  # the locks taken in this order: the sort stays below the function's calls
            .subquery()
        ),
    )


def _membership_sources():
    """(kind, group_id, user_id) of who counts in which group, from the sources: a branch's members in any role
    (as `performance`'s branches), a class's students."""
    branches, classes = branch_members().subquery(), student_classes().subquery()
    return sa.union_all(
        sa.select(sa.literal(BRANCH).label("kind"), branches.c.branch_id.label("group_id"), branches.c.user_id),
        sa.select(sa.literal(CLASS), classes.c.class_id, classes.c.user_id),
    )


def _shares_of(statements, user_ids):
    """{person: {figure: value}} of `GROUP_FIGURES`: what each person adds to each of their groups now (nothing
    without an active enrollment)."""
    found = {user_id: dict.fromkeys(GROUP_FIGURES, 0) for user_id in user_ids}
    for row in execute(statements.shares, {"user_ids": list(found)}):
        if row.enrollments:
            found[row.user_id] = {
                "learners": 1,
                "enrollments": row.enrollments,
                "completed": row.completed,
                "progress_sum": row.progress_sum,
                "progress_count": row.progress_count,
            }
    return found


def person_share(statements, user_id):
    """{figure: value} of `GROUP_FIGURES` of one person (see `_shares_of`)."""
    return _shares_of(statements, [user_id])[user_id]


def risk_moment(due_at, last_activity_at):
    """When an open enrollment becomes at risk at the default at-risk days: overdue or inactive, the earlier."""
    inactive_from = last_activity_at + timedelta(days=DEFAULT_AT_RISK_DAYS)
    return inactive_from if due_at is None else min(due_at, inactive_from)


def open_days(enrollment):
    """{day: {"due_open": n, "risk_open": n}} of one enrollment row (a mapping, or None): its due day and its risk
    day while it is active and not completed."""
    if enrollment is None or not enrollment["active"] or enrollment["completed_at"] is not None:
        return {}
    found = {}
    if enrollment["due_at"] is not None:
        found.setdefault(day_of(enrollment["due_at"]), dict.fromkeys(GROUP_DAY_COUNTS, 0))["due_open"] += 1
    moment = risk_moment(enrollment["due_at"], enrollment["last_activity_at"])
    found.setdefault(day_of(moment), dict.fromkeys(GROUP_DAY_COUNTS, 0))["risk_open"] += 1
    return found


def _day_changes(before, after):
    """{day: {count: after - before}} of two `open_days`-like dicts, the days whose counts changed."""
    changes = {}
    for day in set(before) | set(after):
        old, new = before.get(day, {}), after.get(day, {})
        change = {name: new.get(name, 0) - old.get(name, 0) for name in GROUP_DAY_COUNTS}
        if any(change.values()):
            changes[day] = change
    return changes


def _days_of(statements, user_ids):
    """{person: {day: counts}} of what each person adds to each of their groups' days: their open enrollments' due
    and risk days, their graded attempts."""
    found = {user_id: {} for user_id in user_ids}
    params = {"user_ids": list(found)}
    for user_id, due_at, last_activity_at in execute(statements.open_enrollments, params):
        row = {"active": True, "completed_at": None, "due_at": due_at, "last_activity_at": last_activity_at}
        for day, counts in open_days(row).items():
            mine = found[user_id].setdefault(day, dict.fromkeys(GROUP_DAY_COUNTS, 0))
            for name, value in counts.items():
                mine[name] += value
    for user_id, day, graded, percent_sum in execute(statements.graded_days, params):
        mine = found[user_id].setdefault(day, dict.fromkeys(GROUP_DAY_COUNTS, 0))
        mine["graded"] += graded
        mine["percent_sum"] += percent_sum
    return found


class _GroupChanges:
    """Changes to add to groups and group days, summed per key, then written in key order (so that concurrent
    transactions take the rows' locks in the same order) with the rows they leave empty deleted. It also keeps the
    groups of each person it read them for: a graded attempt's delivery refreshes the enrollment, then the day, and
    both changes go to the same person's groups."""

    def __init__(self):
        self.groups, self.days = {}, {}
        self._groups_of = {}  # person -> [(kind, group_id)] as the copy said when first asked

    def groups_of(self, statements, user_id):
        """The groups the person counts in (the copy), read once per accumulator."""
        if user_id not in self._groups_of:
            rows = execute(statements.groups_of_people, {"user_ids": [user_id]})
            self._groups_of[user_id] = [(kind, group_id) for _, kind, group_id in rows]
        return self._groups_of[user_id]

    def forget_groups_of(self, user_ids):
        """The copy of these people's memberships changed: read their groups again when next asked."""
        for user_id in user_ids:
            self._groups_of.pop(user_id, None)

    def add(self, groups, share, days, sign=1):
        for group in groups:
            if any(share.values()):
                mine = self.groups.setdefault(group, dict.fromkeys(GROUP_FIGURES, 0))
                for name, value in share.items():
                    mine[name] += sign * value
            for day, counts in days.items():
                mine = self.days.setdefault((*group, day), dict.fromkeys(GROUP_DAY_COUNTS, 0))
                for name, value in counts.items():
                    mine[name] += sign * value

    def write(self, statements):
        groups = [
            {"kind": kind, "group_id": group_id, **change}
            for (kind, group_id), change in sorted(self.groups.items())
            if any(change.values())
        ]
        if groups:
            execute(statements.add_group, groups)
            emptied = [{"kind": row["kind"], "group_id": row["group_id"]} for row in groups if row["learners"] < 0]
            if emptied:
                execute(statements.forget_empty_group, emptied)
        days = [
            {"kind": kind, "group_id": group_id, "day": day, **change}
            for (kind, group_id, day), change in sorted(self.days.items())
            if any(change.values())
        ]
        if days:
            execute(statements.add_group_day, days)
            emptied = [
                {"kind": row["kind"], "group_id": row["group_id"], "day": row["day"]}
                for row in days
                if row["due_open"] < 0 or row["risk_open"] < 0 or row["graded"] < 0
            ]
            if emptied:
                execute(statements.forget_empty_group_day, emptied)


_PENDING_GROUP_CHANGES = contextvars.ContextVar("pending_group_changes", default=None)


@contextmanager
def group_writes():
    """Within: every change to the roll-ups per group is summed, then written once at the end, in key order. The
    subscribers run each delivery within, whichever refreshes it makes: two deliveries then take the group rows'
    locks in one order, so PostgreSQL never aborts one as deadlocked (each refresh writing its own changes could
    lock one member's days in the order another member's delivery locks them the other way round). Nested, the
    outermost writes; without one, each refresh writes its own changes."""
    pending = _PENDING_GROUP_CHANGES.get()
    if pending is not None:
        yield pending
        return
    changes = _GroupChanges()
    token = _PENDING_GROUP_CHANGES.set(changes)
    try:
        yield changes
    finally:
        _PENDING_GROUP_CHANGES.reset(token)
    changes.write(group_statements(dialect_name()))  # not after an error: the transaction rolls back


def add_to_person_s_groups(user_id, share_change, day_changes):
    """Add one person's change (`GROUP_FIGURES`, and {day: counts}) to each group they count in (the copy)."""
    if not any(share_change.values()) and not day_changes:
        return
    with group_writes() as changes:
        changes.add(changes.groups_of(group_statements(dialect_name()), user_id), share_change, day_changes)


def _grouped(rows):
    """{person: {(kind, group_id)}} of (user_id, kind, group_id) rows."""
    found = {}
    for user_id, kind, group_id in rows:
        found.setdefault(user_id, set()).add((kind, group_id))
    return found


MEMBERSHIP_CHUNK = 500  # people per set of statements: an import batch's event names up to a batch


def refresh_memberships(user_ids):
    """Bring the copy of these people's memberships (`analytics_group_members`) to what the sources say, adding
    each person's whole share to the groups they joined and taking it back from those they left: a redelivery
    finds nothing to change. Set-based: a handful of statements per `MEMBERSHIP_CHUNK` people, whatever their
    number. On PostgreSQL everyone's advisory lock first (as their refreshes take it, in person order), so that
    a refresh of theirs never runs between reading their share and changing the copy."""
    dialect = dialect_name()
    statements = group_statements(dialect)
    people = sorted(set(user_ids))
    with group_writes() as changes:
        for start in range(0, len(people), MEMBERSHIP_CHUNK):
            _reconcile_memberships(statements, dialect, people[start : start + MEMBERSHIP_CHUNK], changes)


def _reconcile_memberships(statements, dialect, people, changes):
    """`refresh_memberships` for one chunk of people (sorted): their locks, then their sources against the copy;
    the changes of those whose groups differ go to `changes`, the copy is written at once."""
    params = {"user_ids": people}
    with row_locks():  # SQLite: the database's write lock before the reads, as every writer of a share takes it
        if dialect == "postgresql":
            execute(statements.lock_people, params)
    wanted = _grouped(execute(statements.source_groups_of_people, params))
    held = _grouped(execute(statements.groups_of_people, params))
    moves = {}
    for user_id in people:
        mine, theirs = wanted.get(user_id, set()), held.get(user_id, set())
        if mine != theirs:
            moves[user_id] = (sorted(mine - theirs), sorted(theirs - mine))
    if not moves:
        return
    shares, days = _shares_of(statements, list(moves)), _days_of(statements, list(moves))
    joined_pairs, left_pairs = [], []
    for user_id, (joined, left) in moves.items():
        changes.add(joined, shares[user_id], days[user_id])
        changes.add(left, shares[user_id], days[user_id], sign=-1)
        joined_pairs += [{"kind": kind, "group_id": group_id, "user_id": user_id} for kind, group_id in joined]
        left_pairs += [{"kind": kind, "group_id": group_id, "user_id": user_id} for kind, group_id in left]
    if joined_pairs:
        execute(statements.add_member, joined_pairs)
    if left_pairs:
        execute(statements.forget_member, left_pairs)
    changes.forget_groups_of(moves)


def roll_up_groups(dialect, user_id, share_before, old, new):
    """Add the change of the person's share (`share_before` -> now) and of one enrollment's open days (`old` ->
    `new` rows, either may be none) to each of the person's groups."""
    share_after = person_share(group_statements(dialect), user_id)
    share_change = {name: share_after[name] - share_before[name] for name in GROUP_FIGURES}
    add_to_person_s_groups(user_id, share_change, _day_changes(open_days(old), open_days(new)))


def insert_group_roll_ups(session):
    """The copy of the memberships and the roll-ups per group from it, the read model just written and the people's
    rows: what the memberships subscriber and the refreshes add up to."""
    members, learners, people, days = (
        AnalyticsGroupMember.__table__,
        LearnerCourse.__table__,
        AnalyticsPerson.__table__,
        AnalyticsDay.__table__,
    )
    session.execute(sa.insert(AnalyticsGroupMember).from_select(["kind", "group_id", "user_id"], _membership_sources()))
    counted = (
        sa.select(learners.c.user_id, sa.func.count().label("enrollments"))
        .where(learners.c.active.is_(True))
        .group_by(learners.c.user_id)
        .subquery("counted")
    )
    per_group = (
        sa.select(
            members.c.kind,
            members.c.group_id,
            sa.func.count(),
            sa.func.sum(counted.c.enrollments),
            sa.func.sum(people.c.completed),
            sa.func.sum(people.c.progress_sum),
            sa.func.sum(people.c.progress_count),
        )
        .select_from(counted)
        .join(people, people.c.user_id == counted.c.user_id)
        .join(members, members.c.user_id == counted.c.user_id)
        .group_by(members.c.kind, members.c.group_id)
    )
    session.execute(sa.insert(AnalyticsGroup).from_select(["kind", "group_id", *GROUP_FIGURES], per_group))
    still_open = sa.and_(learners.c.active.is_(True), learners.c.completed_at.is_(None))
    zero, zero_float = sa.literal(0), sa.literal(0.0, sa.Float)
    due_day = utc_day(learners.c.due_at)
    inactive_day = days_after(utc_day(learners.c.last_activity_at), DEFAULT_AT_RISK_DAYS)
    risk_day = earliest_of(sa.func.coalesce(due_day, inactive_day), inactive_day)
    sources = sa.union_all(
        sa.select(
            learners.c.user_id.label("user_id"),
            due_day.label("day"),
            sa.literal(1).label("due_open"),
            zero.label("risk_open"),
            zero.label("graded"),
            zero_float.label("percent_sum"),
        ).where(still_open, learners.c.due_at.is_not(None)),
        sa.select(learners.c.user_id, risk_day, zero, sa.literal(1), zero, zero_float).where(still_open),
        sa.select(days.c.user_id, days.c.day, zero, zero, days.c.graded_attempts, days.c.percent_sum).where(
            days.c.course_id != NO_COURSE, days.c.graded_attempts > 0
        ),
    ).subquery("source")
    per_group_day = (
        sa.select(
            members.c.kind,
            members.c.group_id,
            sources.c.day,
            *(sa.func.sum(sources.c[name]) for name in GROUP_DAY_COUNTS),
        )
        .select_from(sources)
        .join(members, members.c.user_id == sources.c.user_id)
        .group_by(members.c.kind, members.c.group_id, sources.c.day)
    )
    session.execute(
        sa.insert(AnalyticsGroupDay).from_select(["kind", "group_id", "day", *GROUP_DAY_COUNTS], per_group_day)
    )
