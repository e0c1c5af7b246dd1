"""Enrollments and progress: who takes a course, what they completed, where to resume."""

from datetime import timedelta

import sqlalchemy as sa

from app.emails import normalize_email
from app.errors import NotFound, PermissionDenied, ValidationFailed
from app.events import emit_after_commit
from app.extensions import db
from app.tenancy.locks import locked
from app.tenancy.models import utcnow
from blueprints.branches.queries import people_of
from blueprints.classes.queries import branch_of_class, students_of
from blueprints.courses.content import published_body
from blueprints.courses.media import media_of
from blueprints.courses.models import (
    ContentItem,
    ContentKind,
    Course,
    CourseStatus,
    course_classes,
)
from blueprints.courses.services import branch_ids_of, outline
from blueprints.learning.models import Enrollment, ItemProgress, ItemTime, TimeByDay
from blueprints.learning.queries import is_enrolled, refuse_unmet_prerequisites
from blueprints.users.models import User  # the progress list filters and sorts on people's names
from blueprints.users.queries import active_people


def _eligible(course, user_ids, branch_ids=None):
    """Which of these people may be enrolled: active, in the enroller's reach, in the course's branches."""
    within = [people_of(branch_ids)] if branch_ids is not None else []
    if course_branch_ids := branch_ids_of([course.id]).get(course.id):
        within.append(people_of(course_branch_ids))
    return active_people(user_ids, within)


def enroll_users(course, user_ids, class_id=None, branch_ids=None, skip_ineligible=False, self_enrolled=False):
    """Enroll people (again, if they had left); returns how many enrollments were created.

    `branch_ids`: only people of these branches (a branch manager's reach); others are unknown here.
    A course open to some branches only takes their people: nobody else could open it. The people who
    cannot take the course are refused, or with `skip_ineligible` left out. `self_enrolled`: a learner
    joining on their own, who may leave on their own; an enrollment by staff is theirs to end."""
    return _enroll(course, user_ids, class_id, branch_ids, skip_ineligible, self_enrolled)[0]


def _enroll(course, user_ids, class_id=None, branch_ids=None, skip_ineligible=False, self_enrolled=False):
    """`enroll_users`, answering (enrollments created, people who were enrolled already)."""
    user_ids = sorted(set(user_ids))
    _lock_enrollments_of(course)
    known = _eligible(course, user_ids, branch_ids)
    if skip_ineligible:
        user_ids = [u for u in user_ids if u in known]
    elif missing := [u for u in user_ids if u not in known]:
        raise ValidationFailed(
            "Unknown or inactive people, or people outside the course's branches.",
            {"user_ids": [f"User {u} cannot take this course." for u in missing]},
        )
    existing = {
        e.user_id: e
        for e in db.session.scalars(
            sa.select(Enrollment).where(Enrollment.course_id == course.id, Enrollment.user_id.in_(user_ids or [-1]))
        )
    }
    now = utcnow()
    due = now + timedelta(days=course.due_days) if course.due_days else None
    created = already = 0
    for user_id in user_ids:
        enrollment = existing.get(user_id)
        if enrollment is None:
            db.session.add(
                Enrollment(
                    course_id=course.id,
                    user_id=user_id,
                    class_id=class_id,
                    enrolled_at=now,
                    due_at=due,
                    self_enrolled=self_enrolled,
                )
            )
            created += 1
            emit_after_commit(db.session, "enrollment.created", course_id=course.id, user_id=user_id)
        elif enrollment.status != "active":
            enrollment.status = "active"
            enrollment.self_enrolled = self_enrolled
            emit_after_commit(db.session, "enrollment.resumed", course_id=course.id, user_id=user_id)
        else:
            already += 1
            if not self_enrolled:
                enrollment.self_enrolled = False  # staff enrolled them too: now it is the staff's to end
    db.session.commit()
    return created, already


def _lock_enrollments_of(course):
    """Enrollers of one course take turns: of two enrolling the same person at once, the second finds
    the first's enrollment instead of a unique-constraint violation."""
    if not locked(sa.select(Course).where(Course.id == course.id)):
        raise NotFound("No such course.")  # removed while this enrollment waited for it


NOBODY_WITH_ADDRESS = "nobody you can enrol has this address"


def enroll(course, user_ids=(), emails=(), class_id=None, branch_ids=None):
    """One enrollment request of a roster page or the API: people by id (all or none), people by e-mail (the
    addresses that name nobody who can take the course are listed, the others enrolled) and a class.

    Answers {"created", "already_enrolled", "not_enrolled": [{"email", "reason"}]}."""
    not_enrolled = []
    created = already = 0
    if user_ids:
        created, already = _enroll(course, user_ids, branch_ids=branch_ids)
    if emails:
        found, not_enrolled = _people_for_emails(course, emails, branch_ids)
        if found:
            more, was = _enroll(course, found, branch_ids=branch_ids)
            created, already = created + more, already + was
    if class_id:
        more, was = _enroll_class(course, class_id, branch_ids)
        created, already = created + more, already + was
    return {"created": created, "already_enrolled": already, "not_enrolled": not_enrolled}


def _people_for_emails(course, emails, branch_ids):
    """The ids of the people these addresses name who may take the course, and why the others may not.

    Out of the enroller's reach reads like nobody: a branch manager learns nothing of other branches' people."""
    wanted, refused = {}, []
    for raw in emails:
        if not raw.strip():
            continue
        try:
            wanted.setdefault(normalize_email(raw), raw.strip())
        except ValidationFailed:
            refused.append({"email": raw.strip(), "reason": "not an e-mail address"})
    people = sa.select(User.email, User.id, User.is_active).where(User.email.in_(wanted or [""]))
    if branch_ids is not None:
        people = people.where(User.id.in_(people_of(branch_ids)))
    found = {email: (user_id, active) for email, user_id, active in db.session.execute(people)}
    eligible = _eligible(course, [user_id for user_id, _active in found.values()], branch_ids)
    ids = []
    for email, as_typed in wanted.items():
        user_id, active = found.get(email, (None, False))
        if user_id is None:
            reason = NOBODY_WITH_ADDRESS
        elif not active:
            reason = "deactivated"
        elif user_id not in eligible:
            reason = "not in the branches this course is open to"
        else:
            ids.append(user_id)
            continue
        refused.append({"email": as_typed, "reason": reason})
    return ids, refused


def enroll_class(course, class_id, branch_ids=None):
    """Enroll every student of a class, and remember the class so that later members follow."""
    return _enroll_class(course, class_id, branch_ids)[0]


def _enroll_class(course, class_id, branch_ids=None):
    _lock_enrollments_of(course)  # the class link too: enrolling one class twice at once links it once
    class_branch_id = branch_of_class(class_id)
    if class_branch_id is None or (branch_ids is not None and class_branch_id not in branch_ids):
        raise ValidationFailed("No such class.", {"class_id": ["No class with this id."]})
    course_branch_ids = branch_ids_of([course.id]).get(course.id)
    if course_branch_ids and class_branch_id not in course_branch_ids:
        raise ValidationFailed(
            "This class's branch does not take this course.", {"class_id": ["Outside the course's branches."]}
        )
    if not db.session.execute(
        sa.select(course_classes).where(course_classes.c.course_id == course.id, course_classes.c.class_id == class_id)
    ).first():
        db.session.execute(sa.insert(course_classes).values(course_id=course.id, class_id=class_id))
    return _enroll(course, students_of(class_id), class_id=class_id)


def enroll_new_class_members(class_id, user_ids, role):
    """A class enrolled in courses: its new students are enrolled in them too."""
    if role != "student" or not user_ids:
        return
    course_ids = list(
        db.session.scalars(sa.select(course_classes.c.course_id).where(course_classes.c.class_id == class_id))
    )
    if not course_ids:  # most classes take no course as a whole: one query, not two
        return
    for course in db.session.scalars(sa.select(Course).where(Course.id.in_(course_ids))).all():
        # A student from another branch in the class is left out, not a reason to enroll nobody.
        enroll_users(course, user_ids, class_id=class_id, skip_ineligible=True)


def complete_passed_assessment(item_id, user_id):
    """Passing the assessment an item links to completes the item (the assessments feature emits
    `assessment.passed` with the item id and the learner). A learner unenrolled meanwhile (their open attempt
    submitted at its deadline) completes nothing: there is no enrollment to record it in."""
    item = db.session.get(ContentItem, item_id)
    if item is None or item.kind != ContentKind.ASSESSMENT or not is_enrolled(item.course_id, user_id):
        return
    complete_item(item, user_id)


def unenroll(course, user_id, branch_ids=None):
    """Leave a course; the progress history stays."""
    stmt = sa.select(Enrollment).where(Enrollment.course_id == course.id, Enrollment.user_id == user_id)
    if branch_ids is not None:
        stmt = stmt.where(Enrollment.user_id.in_(people_of(branch_ids)))
    enrollment = db.session.scalar(stmt)
    if enrollment is None:
        raise NotFound("This person is not enrolled.")
    if enrollment.status != "unenrolled":
        enrollment.status = "unenrolled"
        emit_after_commit(db.session, "enrollment.ended", course_id=course.id, user_id=user_id)
    db.session.commit()


def leave(course, user_id):
    """A learner leaves a course they joined on their own; the progress history stays (joining again
    resumes it). A course their teachers (or a class) enrolled them in is not theirs to leave."""
    enrollment = _active_enrollment(course.id, user_id)
    if not enrollment.self_enrolled:
        raise PermissionDenied(
            "Your teachers enrolled you in this course: ask them if you should leave it.", code="ENROLLED_BY_STAFF"
        )
    enrollment.status = "unenrolled"
    emit_after_commit(db.session, "enrollment.ended", course_id=course.id, user_id=user_id)
    db.session.commit()


def _active_enrollment(course_id, user_id):
    enrollment = db.session.scalar(
        sa.select(Enrollment).where(
            Enrollment.course_id == course_id, Enrollment.user_id == user_id, Enrollment.status == "active"
        )
    )
    if enrollment is None:
        raise NotFound("You are not enrolled in this course.")
    return enrollment


def learner_enrollment(course_id, user_id, lock=False):
    """The active enrollment of a learner, checked against the prerequisites; `lock`: hold its row until
    commit, so that the learner's concurrent requests take turns (see `app.tenancy.locks`)."""
    stmt = sa.select(Enrollment).where(
        Enrollment.course_id == course_id, Enrollment.user_id == user_id, Enrollment.status == "active"
    )
    enrollment = next(iter(locked(stmt)), None) if lock else db.session.scalar(stmt)
    if enrollment is None:
        raise NotFound("You are not enrolled in this course.")
    refuse_unmet_prerequisites(course_id, user_id)
    return enrollment


def mark_complete(item, user_id):
    """A learner says they are done with an item; an assessment is done only when passed."""
    if item.kind == ContentKind.ASSESSMENT:
        raise PermissionDenied("An assessment is completed by passing it.", code="PASS_TO_COMPLETE")
    return complete_item(item, user_id)


def complete_item(item, user_id):
    """Complete an item; completing the last one completes the course. Events follow the commit."""
    course = db.session.get(Course, item.course_id)
    if course.status != CourseStatus.PUBLISHED:
        raise PermissionDenied("This course is not open.", code="COURSE_NOT_PUBLISHED")
    enrollment = learner_enrollment(item.course_id, user_id, lock=True)  # completing twice at once: once
    already = db.session.scalar(
        sa.select(ItemProgress.id).where(ItemProgress.enrollment_id == enrollment.id, ItemProgress.item_id == item.id)
    )
    enrollment.last_item_id = item.id
    if already is None:
        db.session.add(ItemProgress(enrollment_id=enrollment.id, item_id=item.id))
        emit_after_commit(
            db.session,
            "content.completed",
            course_id=course.id,
            user_id=user_id,
            item_id=item.id,
        )
    db.session.flush()
    done, total = _counts(enrollment)
    if total and done == total and enrollment.completed_at is None:
        enrollment.completed_at = utcnow()
        emit_after_commit(db.session, "course.completed", course_id=course.id, user_id=user_id)
    db.session.commit()
    return {
        "course_id": course.id,
        "completed_items": done,
        "total_items": total,
        "percent": percent(done, total),
        "completed_at": enrollment.completed_at,
    }


MAX_REPORT_SECONDS = 120  # the player reports every 30 s in view; a report may claim at most this much


def record_time(item, user_id, seconds):
    """Credit time spent on an item, as the player reports it.

    A report never earns more than the time since the previous one (or `MAX_REPORT_SECONDS` after a pause),
    so two open tabs, a replayed request or a script cannot credit more time than has passed.
    """
    if not 1 <= seconds <= MAX_REPORT_SECONDS:
        raise ValidationFailed(
            "Report between 1 and 120 seconds.", {"seconds": [f"Between 1 and {MAX_REPORT_SECONDS}."]}
        )
    enrollment = learner_enrollment(item.course_id, user_id, lock=True)  # one report at a time
    now = utcnow()
    allowed = MAX_REPORT_SECONDS
    if enrollment.last_reported_at is not None:
        allowed = min(allowed, (now - enrollment.last_reported_at).total_seconds())
    credited = max(0, int(min(seconds, allowed)))
    spent = db.session.scalar(
        sa.select(ItemTime).where(ItemTime.enrollment_id == enrollment.id, ItemTime.item_id == item.id)
    )
    if spent is None:
        spent = ItemTime(enrollment_id=enrollment.id, item_id=item.id, seconds=0)
        db.session.add(spent)
    spent.seconds += credited
    enrollment.seconds_spent += credited
    enrollment.last_reported_at = now
    if credited:
        _add_time_of_day(enrollment.id, now.date(), credited)
        emit_after_commit(
            db.session,
            "learning.time_reported",
            course_id=item.course_id,
            user_id=user_id,
            item_id=item.id,
            seconds=credited,
        )
    db.session.commit()
    return {
        "item_id": item.id,
        "credited": credited,
        "item_seconds": spent.seconds,
        "course_seconds": enrollment.seconds_spent,
    }


def _add_time_of_day(enrollment_id, day, seconds):
    """Add to the learner's time of that day (the source of time per day; the enrollment's row lock, held by
    the caller, makes the read and the write one step)."""
    changed = db.session.execute(
        sa.update(TimeByDay)
        .where(TimeByDay.enrollment_id == enrollment_id, TimeByDay.day == day)
        .values(seconds=TimeByDay.seconds + seconds)
    ).rowcount
    if not changed:
        db.session.add(TimeByDay(enrollment_id=enrollment_id, day=day, seconds=seconds))


def _counts(enrollment):
    done = db.session.scalar(
        sa.select(sa.func.count(ItemProgress.id)).where(ItemProgress.enrollment_id == enrollment.id)
    )
    total = db.session.scalar(
        sa.select(sa.func.count(ContentItem.id)).where(ContentItem.course_id == enrollment.course_id)
    )
    return done, total


def percent(done, total):
    return round(100 * done / total) if total else 0


def enrollments_of(user_id, course_id=None):
    """A person's courses with progress (for `/users/{id}/enrollments` and the dashboard), or only the one
    course's (`course_id`): two queries."""
    done = (
        sa.select(sa.func.count(ItemProgress.id))
        .where(ItemProgress.enrollment_id == Enrollment.id)
        .correlate(Enrollment)
        .scalar_subquery()
    )
    total = (
        sa.select(sa.func.count(ContentItem.id))
        .where(ContentItem.course_id == Enrollment.course_id)
        .correlate(Enrollment)
        .scalar_subquery()
    )
    stmt = (
        sa.select(
            Course.id,
            Course.title,
            Course.slug,
            Course.cover_key,
            Enrollment.status,
            Enrollment.self_enrolled,
            Enrollment.enrolled_at,
            Enrollment.due_at,
            Enrollment.completed_at,
            Enrollment.last_item_id,
            Enrollment.seconds_spent,
            done.label("done"),
            total.label("total"),
        )
        .join(Enrollment, Enrollment.course_id == Course.id)
        .where(Enrollment.user_id == user_id)
        .order_by(Enrollment.completed_at.is_not(None), Enrollment.due_at.is_(None), Enrollment.due_at, Course.title)
    )
    if course_id is not None:
        stmt = stmt.where(Course.id == course_id)
    return [dict(row._mapping, percent=percent(row.done, row.total)) for row in db.session.execute(stmt)]


def active_enrollment_of(course_id, user_id):
    """A learner's enrollment in one course with its progress, as `enrollments_of` gives it; None unless active."""
    return next((row for row in enrollments_of(user_id, course_id) if row["status"] == "active"), None)


def self_enroll(course, user_id):
    if course.status != CourseStatus.PUBLISHED or not course.self_enrollment:
        raise PermissionDenied("This course takes enrollments from its teachers only.", code="SELF_ENROLLMENT_CLOSED")
    return enroll_users(course, [user_id], self_enrolled=True)


def finish_summary(course, user_id):
    """The end of a course: when it was completed, the time spent, and the items done in outline order
    (None while the course is not completed)."""
    enrollment = _active_enrollment(course.id, user_id)
    if enrollment.completed_at is None:
        return None
    done = set(db.session.scalars(sa.select(ItemProgress.item_id).where(ItemProgress.enrollment_id == enrollment.id)))
    modules = [
        {"title": module["title"], "items": [item for item in module["items"] if item.id in done]}
        for module in outline(course)
    ]
    return {
        "completed_at": enrollment.completed_at,
        "seconds_spent": enrollment.seconds_spent,
        "modules": [module for module in modules if module["items"]],
        "item_count": len(done),
        "self_enrolled": enrollment.self_enrolled,
    }


def dashboard(user_id, soon_days=7):
    """My learning: in progress (due soonest first), due within a week, completed."""
    rows = [row for row in enrollments_of(user_id) if row["status"] == "active"]
    horizon = utcnow() + timedelta(days=soon_days)
    completed = [row for row in rows if row["completed_at"]]
    open_rows = [row for row in rows if not row["completed_at"]]
    due_soon = [row for row in open_rows if row["due_at"] and row["due_at"] <= horizon]
    return {"in_progress": open_rows, "due_soon": due_soon, "completed": completed}


def player(course, user_id, item_id=None):
    """What the course player shows: the outline with ticks, the item, previous and next."""
    enrollment = learner_enrollment(course.id, user_id)
    modules = outline(course)
    items = [item for module in modules for item in module["items"]]
    if not items:
        return {
            "modules": modules,
            "item": None,
            "done": set(),
            "previous": None,
            "next": None,
            "percent": 0,
            "media": [],
        }
    wanted = item_id or enrollment.last_item_id or items[0].id
    index = next((i for i, item in enumerate(items) if item.id == wanted), 0)
    done = set(db.session.scalars(sa.select(ItemProgress.item_id).where(ItemProgress.enrollment_id == enrollment.id)))
    current = items[index]
    if item_id == current.id and enrollment.last_item_id != current.id:
        enrollment.last_item_id = current.id  # resume here next time
        db.session.commit()
    return {
        "modules": modules,
        "item": current,
        "body": published_body(current),
        "media": media_of([current.id]),
        "done": done,
        "previous": items[index - 1] if index > 0 else None,
        "next": items[index + 1] if index + 1 < len(items) else None,
        "percent": percent(len(done), len(items)),
    }


def progress_of(user_id):
    """`/users/{id}/progress`: each course with the items completed in it and the time spent on each (3 queries)."""
    rows = enrollments_of(user_id)
    completed = _by_course(
        sa.select(Enrollment.course_id, ItemProgress.item_id, ItemProgress.completed_at)
        .join(ItemProgress, ItemProgress.enrollment_id == Enrollment.id)
        .where(Enrollment.user_id == user_id)
        .order_by(ItemProgress.completed_at)
    )
    spent = _by_course(
        sa.select(Enrollment.course_id, ItemTime.item_id, ItemTime.seconds)
        .join(ItemTime, ItemTime.enrollment_id == Enrollment.id)
        .where(Enrollment.user_id == user_id)
        .order_by(ItemTime.item_id)
    )
    return [
        {**row, "completed_items": completed.get(row["id"], []), "time_by_item": spent.get(row["id"], [])}
        for row in rows
    ]


def _by_course(stmt):
    """Rows of (course id, then named columns) as {course id: [dicts of the other columns]}."""
    grouped = {}
    for row in db.session.execute(stmt):
        values = row._asdict()
        grouped.setdefault(values.pop("course_id"), []).append(values)
    return grouped
