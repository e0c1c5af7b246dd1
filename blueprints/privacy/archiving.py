"""Archiving by policy: courses with no activity for N months archived, people with no sign-in and no progress
for M months deactivated; each half off by default, set per organization by its org admins.

The policy reuses what exists: an archived course is `courses.status = "archived"` (out of the catalog and the
learners' lists, kept for its records), a deactivated person `users.is_active = false` (no sign-in, out of
pickers and reminders) with the run's id in `users.archived_by_run_id` (the people list's status "archived").
A run is set-based (one SELECT of the candidates per half, then UPDATEs by chunks of ids), records what it changed
with the statuses it found (`archiving_runs`), emits one `archiving.applied` event with every id and records
`archiving.applied` in the audit trail; `reverse_run` puts back exactly what the run changed and is still as the
run left it. Org admins are never deactivated by the policy.
"""

from datetime import timedelta

import sqlalchemy as sa

from app.errors import Conflict, NotFound, ValidationFailed
from app.events import emit_after_commit
from app.extensions import db
from app.security.actor import current_actor
from app.security.actor_ids import actor_ids
from app.security.permissions import ORG_ADMIN
from app.tenancy.models import utcnow
from blueprints.audit.recording import record
from blueprints.privacy.contents import table
from blueprints.privacy.exports import require_permission
from blueprints.privacy.models import ArchivingPolicy, ArchivingRun, PersonErasure, RunTrigger

ARCHIVED = "archived"
MAX_MONTHS = 120
CHUNK = 500  # ids per UPDATE (an IN list both databases take comfortably)
PREVIEW_ROWS = 50
SCHEDULE_EVERY = timedelta(hours=20)  # the daily sweep applies the policy when the last scheduled run is older


def months_ago(now, months):
    """The same day `months` months before `now` (the month's last day when it is shorter)."""
    index = now.year * 12 + now.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    day = now.day
    while day > 28:
        try:
            return now.replace(year=year, month=month, day=day)
        except ValueError:
            day -= 1
    return now.replace(year=year, month=month, day=day)


# --- the policy ------------------------------------------------------------------------------------


def current_policy():
    """The organization's policy row, or an unsaved one with both halves off."""
    policy = db.session.scalar(sa.select(ArchivingPolicy).order_by(ArchivingPolicy.id).limit(1))
    return policy or ArchivingPolicy(course_months=None, people_months=None)


def _months(value, field):
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_MONTHS:
        raise ValidationFailed(
            "Months are a whole number from 1 to 120, or empty for off.",
            {field: [f"A whole number of months from 1 to {MAX_MONTHS}, or null (off)."]},
        )
    return value


def checked_policy(data):
    return _months(data.get("course_months"), "course_months"), _months(data.get("people_months"), "people_months")


def save_policy(data, actor=current_actor):
    """Change the policy (both halves); records `archiving.policy_changed` with before and after."""
    require_permission(actor)
    course_months, people_months = checked_policy(data)
    policy = current_policy()
    before = {"course_months": policy.course_months, "people_months": policy.people_months}
    after = {"course_months": course_months, "people_months": people_months}
    if before == after and policy.id is not None:
        return policy
    policy.course_months, policy.people_months = course_months, people_months
    policy.updated_by_id = actor_ids(actor.principal).user_id
    db.session.add(policy)
    db.session.flush()
    record(
        "archiving.policy_changed",
        target_type="organization",
        target_id=policy.id,
        target_label="archiving policy",
        details={"before": before, "after": after},
    )
    db.session.commit()
    return policy


# --- who and what is inactive ----------------------------------------------------------------------


def _course_candidates(cutoff):
    """Courses not archived, made and edited before `cutoff`, with no enrollment, progress or attempt since."""
    courses, enrollments, progress = table("courses"), table("enrollments"), table("item_progress")
    quizzes, attempts = table("quizzes"), table("quiz_attempts")
    enrolled_since = sa.exists().where(
        enrollments.c.course_id == courses.c.id,
        sa.or_(
            enrollments.c.enrolled_at >= cutoff,
            enrollments.c.completed_at >= cutoff,
            enrollments.c.last_reported_at >= cutoff,
        ),
    )
    progressed_since = sa.exists().where(
        enrollments.c.course_id == courses.c.id,
        progress.c.enrollment_id == enrollments.c.id,
        progress.c.completed_at >= cutoff,
    )
    attempted_since = sa.exists().where(
        quizzes.c.course_id == courses.c.id, attempts.c.quiz_id == quizzes.c.id, attempts.c.started_at >= cutoff
    )
    return (
        sa.select(courses.c.id, courses.c.title, courses.c.status)
        .where(
            courses.c.status != ARCHIVED,
            courses.c.created_at < cutoff,
            courses.c.updated_at < cutoff,
            ~enrolled_since,
            ~progressed_since,
            ~attempted_since,
        )
        .order_by(courses.c.id)
    )


def _people_candidates(cutoff, keep_ids=()):
    """Active people (never org admins) added before `cutoff` with no sign-in, progress or attempt since."""
    users, sign_ins, enrollments = table("users"), table("sign_ins"), table("enrollments")
    progress, attempts = table("item_progress"), table("quiz_attempts")
    signed_in_since = sa.exists().where(sign_ins.c.user_id == users.c.id, sign_ins.c.created_at >= cutoff)
    learned_since = sa.exists().where(
        enrollments.c.user_id == users.c.id,
        sa.or_(enrollments.c.completed_at >= cutoff, enrollments.c.last_reported_at >= cutoff),
    )
    progressed_since = sa.exists().where(
        enrollments.c.user_id == users.c.id,
        progress.c.enrollment_id == enrollments.c.id,
        progress.c.completed_at >= cutoff,
    )
    attempted_since = sa.exists().where(attempts.c.user_id == users.c.id, attempts.c.started_at >= cutoff)
    stmt = sa.select(users.c.id, users.c.first_name, users.c.last_name, users.c.email).where(
        users.c.is_active.is_(True),
        users.c.role != ORG_ADMIN,
        users.c.created_at < cutoff,
        sa.or_(users.c.last_login_at.is_(None), users.c.last_login_at < cutoff),
        sa.or_(users.c.invited_at.is_(None), users.c.invited_at < cutoff),
        ~signed_in_since,
        ~learned_since,
        ~progressed_since,
        ~attempted_since,
    )
    if keep_ids:
        stmt = stmt.where(users.c.id.not_in(list(keep_ids)))
    return stmt.order_by(users.c.id)


def _count(stmt):
    return db.session.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery()))


def preview(data, actor=current_actor, now=None):
    """What a policy (saved or not) would change now: counts and the first PREVIEW_ROWS of each. Writes nothing."""
    require_permission(actor)
    course_months, people_months = checked_policy(data)
    now = now or utcnow()
    answer = {"course_months": course_months, "people_months": people_months, "courses": [], "people": []}
    answer["course_count"] = answer["people_count"] = 0
    if course_months:
        stmt = _course_candidates(months_ago(now, course_months))
        answer["course_count"] = _count(stmt)
        answer["courses"] = [
            {"id": row.id, "title": row.title, "status": row.status}
            for row in db.session.execute(stmt.limit(PREVIEW_ROWS))
        ]
    if people_months:
        stmt = _people_candidates(months_ago(now, people_months), _acting_person(actor))
        answer["people_count"] = _count(stmt)
        answer["people"] = [
            {"id": row.id, "name": f"{row.first_name} {row.last_name}".strip() or row.email, "email": row.email}
            for row in db.session.execute(stmt.limit(PREVIEW_ROWS))
        ]
    return answer


def _acting_person(actor):
    user_id = actor_ids(actor.principal).user_id if actor is not None and actor.is_authenticated else None
    return (user_id,) if user_id is not None else ()


def _chunks(ids):
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


# --- running and reversing -------------------------------------------------------------------------


def apply_policy(trigger=RunTrigger.HAND, actor=None, now=None):
    """Apply the saved policy now; returns the run (None when both halves are off). `actor`: an admin's
    "run now" (checked); None: the daily sweep, acting as the system."""
    if actor is not None:
        require_permission(actor)
    policy = current_policy()
    if not policy.course_months and not policy.people_months:
        if actor is not None:
            raise Conflict("The archiving policy is off: set a number of months first.", code="POLICY_OFF")
        return None
    now = now or utcnow()
    courses, users = table("courses"), table("users")
    changed_courses, changed_people = [], []
    # the run's row first: the people it deactivates carry its id (`users.archived_by_run_id`)
    run = ArchivingRun(
        trigger=trigger,
        policy={"course_months": policy.course_months, "people_months": policy.people_months},
        ran_at=now,
        ran_by_id=_acting_person(actor)[0] if _acting_person(actor) else None,
    )
    db.session.add(run)
    db.session.flush()
    if policy.course_months:
        found = db.session.execute(_course_candidates(months_ago(now, policy.course_months))).all()
        for chunk in _chunks(found):
            for status in {row.status for row in chunk}:
                ids = [row.id for row in chunk if row.status == status]
                result = db.session.execute(
                    sa.update(courses)
                    .where(courses.c.id.in_(ids), courses.c.status == status)
                    .values(status=ARCHIVED, updated_at=courses.c.updated_at)  # not an edit: keeps its date
                    .returning(courses.c.id)
                )
                changed_courses += [[course_id, status] for course_id in result.scalars()]
    if policy.people_months:
        cutoff = months_ago(now, policy.people_months)
        found = [row.id for row in db.session.execute(_people_candidates(cutoff, _acting_person(actor)))]
        refresh_tokens, sign_ins = table("refresh_tokens"), table("sign_ins")
        for ids in _chunks(found):
            result = db.session.execute(
                sa.update(users)
                .where(users.c.id.in_(ids), users.c.is_active.is_(True))
                .values(is_active=False, archived_by_run_id=run.id, updated_at=users.c.updated_at)
                .returning(users.c.id)
            )
            done = list(result.scalars())
            changed_people += done
            db.session.execute(
                sa.update(refresh_tokens)
                .where(refresh_tokens.c.user_id.in_(done), refresh_tokens.c.revoked_at.is_(None))
                .values(revoked_at=now)
            )
            db.session.execute(
                sa.update(sign_ins)
                .where(sign_ins.c.user_id.in_(done), sign_ins.c.revoked_at.is_(None))
                .values(revoked_at=now)
            )
    changed_courses.sort()
    changed_people.sort()
    run.courses, run.user_ids = changed_courses, changed_people
    record(
        "archiving.applied",
        target_type="archiving_run",
        target_id=run.id,
        target_label=f"archiving run #{run.id}",
        details={"courses_archived": len(changed_courses), "people_deactivated": len(changed_people), **run.policy},
        actor=actor,
    )
    if changed_courses or changed_people:
        emit_after_commit(
            db.session,
            "archiving.applied",
            run_id=run.id,
            course_ids=[course_id for course_id, _status in changed_courses],
            user_ids=changed_people,
        )
    db.session.commit()
    return run


def reverse_run(run_id, actor=current_actor):
    """Put back what the run changed: each course still archived gets its status back, each person still
    inactive (and not erased since) is active again. Once per run."""
    require_permission(actor)
    run = db.session.get(ArchivingRun, run_id) if isinstance(run_id, int) else None
    if run is None:
        raise NotFound("No such archiving run.")
    # claimed with a conditional UPDATE: of two reversals at once, one restores and the other is refused
    claimed = db.session.execute(
        sa.update(ArchivingRun)
        .where(ArchivingRun.id == run.id, ArchivingRun.reversed_at.is_(None))
        .values(reversed_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        db.session.rollback()
        raise Conflict(f"Archiving run #{run.id} was reversed already.", code="ALREADY_REVERSED")
    db.session.refresh(run)
    courses, users = table("courses"), table("users")
    restored_courses, restored_people = [], []
    by_status = {}
    for course_id, status in run.courses or []:
        by_status.setdefault(status, []).append(course_id)
    for status, ids in by_status.items():
        for chunk in _chunks(ids):
            result = db.session.execute(
                sa.update(courses)
                .where(courses.c.id.in_(chunk), courses.c.status == ARCHIVED)
                .values(status=status, updated_at=courses.c.updated_at)
                .returning(courses.c.id)
            )
            restored_courses += list(result.scalars())
    erased = sa.select(PersonErasure.user_id)
    for chunk in _chunks(list(run.user_ids or [])):
        result = db.session.execute(
            sa.update(users)
            .where(
                users.c.id.in_(chunk),
                users.c.is_active.is_(False),
                users.c.archived_by_run_id == run.id,  # not reactivated (and deactivated again) by hand since
                users.c.id.not_in(erased),
            )
            .values(is_active=True, archived_by_run_id=None, updated_at=users.c.updated_at)
            .returning(users.c.id)
        )
        restored_people += list(result.scalars())
    restored_courses.sort()
    restored_people.sort()
    run.reversed_by_id = actor_ids(actor.principal).user_id
    run.restored = {"course_ids": restored_courses, "user_ids": restored_people}
    record(
        "archiving.reversed",
        target_type="archiving_run",
        target_id=run.id,
        target_label=f"archiving run #{run.id}",
        details={"courses_restored": len(restored_courses), "people_reactivated": len(restored_people)},
    )
    if restored_courses or restored_people:
        emit_after_commit(
            db.session, "archiving.reversed", run_id=run.id, course_ids=restored_courses, user_ids=restored_people
        )
    db.session.commit()
    return run


def list_runs(actor=current_actor, limit=50):
    require_permission(actor)
    return db.session.scalars(sa.select(ArchivingRun).order_by(ArchivingRun.id.desc()).limit(limit)).all()


def run_for(run_id, actor=current_actor):
    require_permission(actor)
    run = db.session.get(ArchivingRun, run_id) if isinstance(run_id, int) else None
    if run is None:
        raise NotFound("No such archiving run.")
    return run


def scheduled_run_due(now=None):
    """The daily sweep applies the policy when it is on and its last scheduled run is older than a day or so."""
    policy = current_policy()
    if not policy.course_months and not policy.people_months:
        return False
    last = db.session.scalar(
        sa.select(sa.func.max(ArchivingRun.ran_at)).where(ArchivingRun.trigger == RunTrigger.SCHEDULE)
    )
    return last is None or last <= (now or utcnow()) - SCHEDULE_EVERY
