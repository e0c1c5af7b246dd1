"""Reminders the sweep writes: a course due soon (with the person's progress), overdue once per due date, a
certificate expiring in 30 and again in 7 days; each once, however many sweeps run, from set-based reads."""

from datetime import timedelta

import sqlalchemy as sa

from app.extensions import db
from app.tenancy.context import tenant_context
from app.tenancy.models import utcnow
from blueprints.certificates.models import Certificate
from blueprints.learning.models import Enrollment, ItemProgress
from blueprints.notifications.models import Notification
from blueprints.notifications.reminders import send_reminders
from blueprints.notifications.sweep import sweep_organization
from blueprints.users.models import User
from tests.support.courses import make_course
from tests.support.statements import count_statements


def _enrol(course_id, user_id, due_in_days, completed=False):
    now = utcnow()
    enrollment = Enrollment(
        course_id=course_id,
        user_id=user_id,
        due_at=now + timedelta(days=due_in_days),
        completed_at=now if completed else None,
    )
    db.session.add(enrollment)
    db.session.flush()
    return enrollment


def _reminders(app, tenant):
    with tenant_context(tenant, app):
        return sorted(
            (row.user_id, row.type, row.source_key, row.subject, row.context.get("progress"))
            for row in db.session.scalars(sa.select(Notification))
        )


def _sweep(app, tenant):
    with tenant_context(tenant, app):
        return sweep_organization().reminders


def test_due_soon_and_overdue_are_told_once_per_due_date(app, tenant, school, mailbox):
    course_id, item_ids = make_course(school["teacher"], title="Fire safety", items=3)
    soon, later, late = school["students"]
    other_course, _ = make_course(school["teacher"], title="First aid", items=1)
    with tenant_context(tenant, app):
        first = _enrol(course_id, soon, 2)
        db.session.add(ItemProgress(enrollment_id=first.id, item_id=item_ids[0]))  # a third done
        _enrol(course_id, later, 5)  # not within the 3 days yet
        overdue = _enrol(other_course, late, -1)  # due yesterday
        _enrol(other_course, soon, 1, completed=True)  # finished: nothing to remind
        soon_key = f"course:{course_id}:due:{first.due_at.date().isoformat()}"
        late_key = f"course:{other_course}:due:{overdue.due_at.date().isoformat()}"
        db.session.commit()

    assert _sweep(app, tenant) == 2
    assert _reminders(app, tenant) == [
        (soon, "due_soon", soon_key, "Fire safety is due in 2 days", 33),
        (late, "overdue", late_key, "First aid is overdue", 0),
    ]
    assert _sweep(app, tenant) == 0  # swept again: nobody told twice

    with tenant_context(tenant, app):  # a new due date is a new reminder
        enrollment = db.session.scalar(
            sa.select(Enrollment).where(Enrollment.user_id == soon, Enrollment.course_id == course_id)
        )
        # a day later: another date whatever the hour (now + 1 day 1 hour fell on the same date after 23:00 UTC)
        enrollment.due_at += timedelta(days=1)
        db.session.commit()
    assert _sweep(app, tenant) == 1
    assert [row[3] for row in _reminders(app, tenant) if row[0] == soon] == [
        "Fire safety is due in 2 days",
        "Fire safety is due in 3 days",
    ]


def test_a_certificate_expiring_is_told_at_30_days_then_at_7(app, tenant, school, mailbox):
    course_id, _items = make_course(school["teacher"], title="Forklift", items=1)
    holder = school["students"][0]
    with tenant_context(tenant, app):
        certificate = Certificate(
            code="TEST-EXPI-RING",
            user_id=holder,
            course_id=course_id,
            holder_name="Holder",
            course_title="Forklift",
            completed_at=utcnow(),
            expires_at=utcnow() + timedelta(days=20),
        )
        db.session.add(certificate)
        db.session.commit()
        certificate_id = certificate.id
    assert _sweep(app, tenant) == 1
    assert _sweep(app, tenant) == 0
    with tenant_context(tenant, app):
        db.session.get(Certificate, certificate_id).expires_at = utcnow() + timedelta(days=6, hours=23)
        db.session.commit()
    assert _sweep(app, tenant) == 1  # the week's reminder
    assert _sweep(app, tenant) == 0
    keys = [row[2] for row in _reminders(app, tenant)]
    assert [key.rsplit(":", 1)[1] for key in sorted(keys, key=lambda k: -int(k.rsplit(":", 1)[1]))] == ["30", "7"]


def _statements(app, tenant, call):
    with tenant_context(tenant, app):
        db.session.execute(sa.text("SELECT 1"))
        return count_statements(app, tenant, call)


def test_reminders_read_set_based_whatever_the_number_of_learners(app, tenant, school):
    course_id, _items = make_course(school["teacher"], title="Fire safety", items=2)
    other_id, _items = make_course(school["teacher"], title="First aid", items=2)

    def learners(count, course, prefix):
        with tenant_context(tenant, app):
            people = [User(email=f"{prefix}{n}@example.org", role="student") for n in range(count)]
            db.session.add_all(people)
            db.session.flush()
            for person in people:
                _enrol(course, person.id, 2)
            db.session.commit()

    learners(3, course_id, "few")
    few = _statements(app, tenant, send_reminders)
    learners(60, other_id, "many")
    many = _statements(app, tenant, send_reminders)
    assert _reminders_count(app, tenant) == 63
    assert many == few  # the same statements for 60 learners as for 3: no query per enrollment


def _reminders_count(app, tenant):
    with tenant_context(tenant, app):
        return db.session.scalar(sa.select(sa.func.count(Notification.id)))
