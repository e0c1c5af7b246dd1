"""`notify`: rows for the active people, once per thing, with each person's cadences, and their e-mail sent."""

import sqlalchemy as sa

from app.extensions import db
from app.tenancy.context import tenant_context
from blueprints.notifications.models import Notification, NotificationDefault, NotificationSetting
from blueprints.notifications.producing import notify
from blueprints.users.models import User
from tests.conftest import make_user, run_jobs


def _rows(app, tenant):
    with tenant_context(tenant, app):
        rows = db.session.scalars(sa.select(Notification).order_by(Notification.user_id)).all()
        return [(r.user_id, r.type, r.subject, r.in_app, r.email_status) for r in rows]


def test_people_are_told_once_in_their_words_and_by_their_cadence(app, tenant, mailbox):
    ada = make_user(app, tenant, "student", email="ada@example.org", first_name="Ada", last_name="L")
    bob = make_user(app, tenant, "student", email="bob@example.org", first_name="Bob", last_name="M")
    gone = make_user(app, tenant, "student", email="gone@example.org")
    with tenant_context(tenant, app):
        db.session.get(User, gone).is_active = False
        db.session.add(NotificationSetting(user_id=bob, type="enrolled", channel="email", cadence="daily"))
        db.session.commit()
        context = {"course": {"title": "Fire safety"}, "due_date": ""}
        assert notify("enrolled", [ada, bob, gone], source_key="e1", context=context, link="/learn") == 2
        db.session.commit()
        assert notify("enrolled", [ada, bob], source_key="e1", context=context) == 0  # the same thing again
        db.session.commit()
    assert _rows(app, tenant) == [
        (ada, "enrolled", "You are enrolled in Fire safety", True, "pending"),
        (bob, "enrolled", "You are enrolled in Fire safety", True, "digest"),
    ]
    run_jobs(app)
    mails = mailbox.to("ada@example.org")
    assert len(mails) == 1 and mails[0]["Subject"] == "You are enrolled in Fire safety"
    assert "Hello Ada" in mails[0].get_body(("plain",)).get_content()
    assert mailbox.to("bob@example.org") == []
    assert [row[4] for row in _rows(app, tenant)] == ["sent", "digest"]


def test_a_locked_default_wins_over_the_person_and_mandatory_types_cannot_be_switched_off(app, tenant):
    ada = make_user(app, tenant, "student", email="ada@example.org")
    with tenant_context(tenant, app):
        db.session.add(NotificationSetting(user_id=ada, type="enrolled", channel="in_app", cadence="immediately"))
        db.session.add(NotificationDefault(type="enrolled", channel="in_app", cadence="off", locked=True))
        db.session.add(NotificationSetting(user_id=ada, type="password_changed", channel="email", cadence="off"))
        db.session.commit()
        notify("enrolled", [ada], source_key="e2", context={"course": {"title": "X"}, "due_date": ""})
        notify("password_changed", [ada], source_key="p1", context={"changed_at": "today"})
        db.session.commit()
    assert [(row[1], row[3], row[4]) for row in _rows(app, tenant)] == [
        ("enrolled", False, "pending"),
        ("password_changed", True, "pending"),
    ]
