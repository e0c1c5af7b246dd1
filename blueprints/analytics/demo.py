"""The analytics feature's part of the demo: a believable last 30 days, so that the dashboards have something to show.

Sam and Sasha (the users part's learners) and six classmates get sign-ins, lessons completed and time per day,
written straight into the source tables with past timestamps (as the app would have written them then; no
learning events: the read model is rebuilt from these tables at the end of the seed; the classmates' memberships
emit `memberships.changed`, as every membership writer does, docs/events.md). Sam and Priya are overdue in
"Getting started", Kofi and Sasha have not been seen for three weeks (at risk: inactive), Lena was here today.
Nobody finishes "Getting started" or takes its quiz here: the certificate and badge demos have Sam do that.
"""

from datetime import datetime, time, timedelta

import sqlalchemy as sa

from app.events import emit_after_commit
from app.extensions import db
from app.tenancy.models import utcnow
from blueprints.analytics import readmodel
from blueprints.analytics.models import AnalyticsDay, LearnerCourse
from blueprints.auth.models import SignIn
from blueprints.branches.models import Branch, BranchMembership
from blueprints.classes.models import ClassMembership, SchoolClass
from blueprints.courses.models import ContentItem, ContentKind, Course, CourseModule
from blueprints.learning.models import Enrollment, ItemProgress, ItemTime, TimeByDay
from blueprints.users.services import create_user, find_user_by_email

HISTORY_AGENT = "Demo history"  # the user agent of the sign-ins written here: their presence means "done"
CLASSMATES = [  # e-mail, first name, last name, branch code, class
    ("lena@demo.example", "Lena", "Park", "north", "Algebra 1"),
    ("omar@demo.example", "Omar", "Haddad", "north", "Algebra 1"),
    ("priya@demo.example", "Priya", "Nair", "north", "Algebra 1"),
    ("jonas@demo.example", "Jonas", "Weber", "north", "Physics"),
    ("ines@demo.example", "Ines", "Costa", "south", "Biology"),
    ("kofi@demo.example", "Kofi", "Mensah", "south", "Biology"),
]
# e-mail -> course slug -> (enrolled days ago, days ago each next lesson was completed, days ago and minutes of
# study that completed nothing). A course with a class is enrolled with it (Getting started: Algebra 1).
HISTORY = {
    "student@demo.example": {"getting-started": (20, [19, 15], [(12, 9), (6, 4)]), "study-skills": (27, [26, 22], [])},
    "student2@demo.example": {"study-skills": (26, [24], [(23, 6)])},
    "lena@demo.example": {
        "getting-started": (12, [12, 10, 6, 3], [(1, 12), (0, 7)]),
        "study-skills": (14, [13, 9], []),
    },
    "omar@demo.example": {"getting-started": (10, [9, 8, 2], [(5, 15)]), "study-skills": (10, [8], [(4, 5)])},
    "priya@demo.example": {"getting-started": (28, [27], [(16, 3)])},
    "jonas@demo.example": {"study-skills": (18, [16, 7], [(12, 8)])},
    "ines@demo.example": {"study-skills": (12, [11], [(1, 20)])},
    "kofi@demo.example": {"study-skills": (29, [], [(25, 10)])},
}
MINUTES_PER_LESSON = 14
COURSE_CLASS = {"getting-started": "Algebra 1"}


def seed_history(password):
    if db.session.scalar(sa.select(SignIn.id).where(SignIn.user_agent == HISTORY_AGENT).limit(1)) is not None:
        return
    people = _classmates(password)
    today = utcnow().date()
    slugs = {slug for plan in HISTORY.values() for slug in plan}
    courses = {c.slug: c for c in db.session.scalars(sa.select(Course).where(Course.slug.in_(slugs)))}
    classes = {c.name: c.id for c in db.session.scalars(sa.select(SchoolClass))}
    for number, (email, plan) in enumerate(HISTORY.items()):
        user = people.get(email) or find_user_by_email(email)
        if user is None:
            continue
        hour = 8 + number % 9  # everyone has their own time of day
        days = set()
        for slug, (enrolled_ago, lesson_days, study) in plan.items():
            course = courses.get(slug)
            if course is not None:
                class_id = classes.get(COURSE_CLASS.get(slug))
                days |= _enrollment_history(user, course, class_id, today, hour, enrolled_ago, lesson_days, study)
        for day in sorted(days):
            at = _at(today, day, hour) - timedelta(minutes=5)
            closed = at + timedelta(minutes=40)
            sign_in_id = f"demohistory{user.id:05d}{day:04d}"
            db.session.add(
                SignIn(
                    id=sign_in_id,
                    user_id=user.id,
                    kind="page",
                    user_agent=HISTORY_AGENT,
                    created_at=at,
                    revoked_at=closed,
                )
            )
        if days:
            user.last_login_at = _at(today, min(days), hour) - timedelta(minutes=5)
    db.session.commit()
    yield f"gave {len(HISTORY)} learners 30 days of history (sign-ins, lessons, time; 2 overdue, 2 inactive)"


def _classmates(password):
    branches = {b.code: b.id for b in db.session.scalars(sa.select(Branch))}
    classes = {(c.branch_id, c.name): c.id for c in db.session.scalars(sa.select(SchoolClass))}
    made = {}
    for email, first, last, branch_code, class_name in CLASSMATES:
        if find_user_by_email(email) is not None or branch_code not in branches:
            continue
        user = made[email] = create_user(email, "student", first, last, password, commit=False)
        db.session.flush()
        branch_id = branches[branch_code]
        db.session.add(BranchMembership(user_id=user.id, branch_id=branch_id, role="student"))
        if (branch_id, class_name) in classes:
            db.session.add(ClassMembership(user_id=user.id, class_id=classes[(branch_id, class_name)], role="student"))
    if made:  # the one event this seed emits: every membership writer does (docs/events.md)
        emit_after_commit(db.session, "memberships.changed", user_ids=sorted(user.id for user in made.values()))
    return made


def _at(today, days_ago, hour):
    """That day at that hour; today, never later than a few minutes ago."""
    return min(datetime.combine(today - timedelta(days=days_ago), time(hour)), utcnow() - timedelta(minutes=2))


def _enrollment_history(user, course, class_id, today, hour, enrolled_ago, lesson_days, study):
    """One enrollment's past: lessons completed on `lesson_days`, time on those and the `study` days; completed
    when every lesson is done and there is no quiz to pass (Study skills). Returns the days (ago) of activity."""
    lessons = db.session.scalars(
        sa.select(ContentItem)
        .join(CourseModule, CourseModule.id == ContentItem.module_id)
        .where(ContentItem.course_id == course.id, ContentItem.kind != ContentKind.ASSESSMENT)
        .order_by(CourseModule.position, ContentItem.position)
    ).all()
    enrollment = db.session.scalar(
        sa.select(Enrollment).where(Enrollment.course_id == course.id, Enrollment.user_id == user.id)
    )
    if enrollment is None:
        enrollment = Enrollment(
            course_id=course.id,
            user_id=user.id,
            class_id=class_id,
            status="active",
            self_enrolled=course.self_enrollment and class_id is None,
        )
        db.session.add(enrollment)
    enrollment.enrolled_at = _at(today, enrolled_ago, hour) - timedelta(minutes=30)
    enrollment.due_at = enrollment.enrolled_at + timedelta(days=course.due_days) if course.due_days else None
    db.session.flush()
    sessions = {}  # day ago -> (lesson worked on, minutes)
    for position, day in enumerate(lesson_days[: len(lessons)]):
        sessions[day] = (lessons[position], MINUTES_PER_LESSON + position)
        db.session.add(
            ItemProgress(enrollment_id=enrollment.id, item_id=lessons[position].id, completed_at=_at(today, day, hour))
        )
    next_lesson = lessons[min(len(lesson_days), len(lessons) - 1)]
    for day, minutes in study:
        sessions.setdefault(day, (next_lesson, minutes))
    seconds_of_item = {}
    for day, (lesson, minutes) in sessions.items():
        db.session.add(TimeByDay(enrollment_id=enrollment.id, day=today - timedelta(days=day), seconds=minutes * 60))
        seconds_of_item[lesson.id] = seconds_of_item.get(lesson.id, 0) + minutes * 60
    for item_id, seconds in seconds_of_item.items():
        db.session.add(
            ItemTime(
                enrollment_id=enrollment.id,
                item_id=item_id,
                seconds=seconds,
                updated_at=_at(today, min(sessions), hour),
            )
        )
    enrollment.seconds_spent = sum(seconds_of_item.values())
    if sessions:
        enrollment.last_reported_at = _at(today, min(sessions), hour)
        enrollment.last_item_id = sessions[min(sessions)][0].id
    has_quiz = db.session.scalar(
        sa.select(ContentItem.id).where(ContentItem.course_id == course.id, ContentItem.kind == ContentKind.ASSESSMENT)
    )
    if lesson_days and len(lesson_days) >= len(lessons) and not has_quiz:
        enrollment.completed_at = _at(today, min(lesson_days), hour)
    return set(sessions)


def rebuild_read_model(_password):
    """Rebuilt on every seed (cheap, and the same rows when nothing changed); says so only when the rows changed,
    so that a second seed prints nothing (tests/tenancy/test_provisioning.py)."""
    before = _read_model_size()
    result = readmodel.rebuild()
    if (result.enrollments, result.days) != before:
        yield f"analytics read model: {result.enrollments} enrollments, {result.days} day rows"


def _read_model_size():
    count = sa.func.count()
    return (
        db.session.scalar(sa.select(count).select_from(LearnerCourse)),
        db.session.scalar(sa.select(count).select_from(AnalyticsDay)),
    )
