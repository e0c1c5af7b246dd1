"""Digests: composed at 7 in each person's own time zone (or the organization's), not a minute before, once per
day or ISO week however many sweeps run; one e-mail listing the notifications newest first, 50 at most."""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from app.extensions import db
from app.tenancy.context import tenant_context
from app.tenancy.models import Tenant, utcnow
from blueprints.notifications.digests import compose_due_digests
from blueprints.notifications.models import Notification, NotificationDigest, NotificationSetting
from blueprints.notifications.producing import notify
from blueprints.organizations.settings import update_settings
from blueprints.users.models import User
from tests.conftest import build_app, make_user, run_jobs


def _person(app, tenant, email, cadence, time_zone=None, first_name="Ada"):
    user_id = make_user(app, tenant, "student", email=email, first_name=first_name)
    with tenant_context(tenant, app):
        db.session.get(User, user_id).time_zone = time_zone
        db.session.add(NotificationSetting(user_id=user_id, type="badge_earned", channel="email", cadence=cadence))
        db.session.commit()
    return user_id


def _badges(app, tenant, user_id, names):
    with tenant_context(tenant, app):
        for name in names:
            notify("badge_earned", [user_id], source_key=f"badge:{name}", context={"badge": {"name": name}}, link="/b")
            db.session.commit()


def _compose(app, tenant, when):
    with tenant_context(tenant, app):
        return compose_due_digests(now=when)


def test_a_daily_digest_is_composed_at_7_in_the_persons_time_zone_and_not_before_once(app, tenant, mailbox):
    ada = _person(app, tenant, "ada@example.org", "daily", time_zone="Asia/Tokyo")  # UTC+9
    _badges(app, tenant, ada, ["First", "Second", "Third"])
    run_jobs(app)
    assert mailbox.to("ada@example.org") == []  # nothing sent at once: it waits for the digest

    assert _compose(app, tenant, datetime(2026, 11, 26, 21, 59, tzinfo=UTC)) == 0  # 06:59 on the 27th in Tokyo
    assert _compose(app, tenant, datetime(2026, 11, 26, 22, 0, tzinfo=UTC)) == 1  # 07:00 in Tokyo
    assert _compose(app, tenant, datetime(2026, 11, 26, 22, 1, tzinfo=UTC)) == 0  # swept again: composed once
    assert _compose(app, tenant, datetime(2026, 11, 27, 14, 0, tzinfo=UTC)) == 0  # later that day: nothing new
    run_jobs(app)

    [mail] = mailbox.to("ada@example.org")
    assert mail["Subject"].startswith("Your daily digest from ") and mail["Subject"].endswith(": 3 notifications")
    text = mail.get_body(("plain",)).get_content()
    order = [text.index(f"You earned the badge {name}") for name in ("Third", "Second", "First")]
    assert order == sorted(order)  # newest first
    assert "You earned the badge Third" in mail.get_body(("html",)).get_content()
    assert mail["List-Unsubscribe"] is None  # a digest mixes types: its footer links to the settings
    with tenant_context(tenant, app):
        digest = db.session.scalars(sa.select(NotificationDigest)).one()
        rows = db.session.execute(sa.select(Notification.email_status, Notification.digest_id)).all()
    assert (digest.cadence, digest.period, digest.items, digest.email_status) == ("daily", "2026-11-27", 3, "sent")
    assert digest.message_id == mail["Message-ID"]
    assert set(rows) == {("digested", digest.id)}

    _badges(app, tenant, ada, ["Fourth"])  # after today's digest: tomorrow's
    assert _compose(app, tenant, datetime(2026, 11, 27, 21, 59, tzinfo=UTC)) == 0
    assert _compose(app, tenant, datetime(2026, 11, 27, 22, 0, tzinfo=UTC)) == 1


def test_the_organizations_time_zone_when_the_person_has_none_and_weekly_on_monday(app, tenant, mailbox):
    with app.app_context():
        update_settings(tenant, {"time_zone": "America/New_York"})  # UTC-5 in winter
        tenant = db.session.get(Tenant, tenant.id).ref()
    bob = _person(app, tenant, "bob@example.org", "daily", first_name="Bob")
    eve = _person(app, tenant, "eve@example.org", "weekly", time_zone="Europe/Paris", first_name="Eve")  # UTC+1
    _badges(app, tenant, bob, ["B1"])
    _badges(app, tenant, eve, ["E1", "E2"])

    assert _compose(app, tenant, datetime(2026, 11, 26, 11, 59, tzinfo=UTC)) == 0  # 06:59 in New York
    assert _compose(app, tenant, datetime(2026, 11, 26, 12, 0, tzinfo=UTC)) == 1  # Bob's, not Eve's (Thursday)
    # 2026-11-30 is a Monday: 06:59 in Paris is too early, 07:00 composes the week's (ISO week 49)
    assert _compose(app, tenant, datetime(2026, 11, 30, 5, 59, tzinfo=UTC)) == 0
    assert _compose(app, tenant, datetime(2026, 11, 30, 6, 0, tzinfo=UTC)) == 1
    assert _compose(app, tenant, datetime(2026, 11, 30, 22, 0, tzinfo=UTC)) == 0  # once a week
    assert _compose(app, tenant, datetime(2026, 12, 1, 6, 0, tzinfo=UTC)) == 0  # on Monday only
    with tenant_context(tenant, app):
        digests = db.session.execute(
            sa.select(NotificationDigest.user_id, NotificationDigest.cadence, NotificationDigest.period)
        ).all()
    assert sorted(digests) == [(bob, "daily", "2026-11-26"), (eve, "weekly", "2026-W49")]
    run_jobs(app)
    assert len(mailbox.to("bob@example.org")) == 1
    assert mailbox.to("eve@example.org")[0]["Subject"].endswith(": 2 notifications")


def test_a_digest_lists_fifty_and_says_how_many_more(app, tenant, mailbox):
    ada = _person(app, tenant, "ada@example.org", "daily", time_zone="UTC")
    _badges(app, tenant, ada, [f"N{n:02d}" for n in range(55)])
    assert _compose(app, tenant, datetime(2026, 11, 26, 7, 0, tzinfo=UTC)) == 1
    run_jobs(app)
    [mail] = mailbox.to("ada@example.org")
    text = mail.get_body(("plain",)).get_content()
    assert mail["Subject"].endswith(": 55 notifications")
    assert "N54" in text and "N05" in text and "N04" not in text  # the 50 newest
    assert "and 5 more" in text and "and 5 more" in mail.get_body(("html",)).get_content()


def test_a_digest_the_server_cannot_take_for_days_is_given_up(app_config, app, tenant, mailbox, refusing_port):
    """A digest whose server cannot be reached is tried again later, but one made more than
    NOTIFICATIONS_GIVE_UP_HOURS ago and tried before ends failed, naming the tries and the error."""
    ida = _person(app, tenant, "ida@example.org", "daily")
    _badges(app, tenant, ida, ["Late"])
    run_jobs(app)
    unreachable = build_app(app_config, MAIL_PORT=refusing_port, NOTIFICATIONS_GIVE_UP_HOURS=48)
    assert _compose(unreachable, tenant, utcnow().replace(tzinfo=UTC) + timedelta(days=1)) == 1
    with tenant_context(tenant, app):
        db.session.execute(
            sa.update(NotificationDigest)
            .where(NotificationDigest.user_id == ida)
            .values(created_at=utcnow() - timedelta(days=3), email_attempts=5)
        )
        db.session.commit()
    run_jobs(unreachable)
    with tenant_context(tenant, app):
        digest = db.session.scalars(sa.select(NotificationDigest).where(NotificationDigest.user_id == ida)).one()
    assert digest.email_status == "failed"
    assert digest.email_error.startswith("given up after 6 tries in 48 h: ConnectionRefusedError")
    assert mailbox.to("ida@example.org") == []
