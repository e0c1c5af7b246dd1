"""Notifications for tests: who was told what, read back from the organization's database, and one event
delivered again (as the relay does after a crash)."""

import sqlalchemy as sa

from app import events
from app.events.catalog import load
from app.events.models import OutboxEvent
from app.extensions import db
from app.tenancy.context import tenant_context
from blueprints.notifications.models import Notification
from blueprints.notifications.producing import notify


def told(app, tenant, type_key=None):
    """[(user_id, type, subject, link)] of every notification (of `type_key`), in the order written."""
    with tenant_context(tenant, app):
        stmt = sa.select(Notification).order_by(Notification.id)
        if type_key:
            stmt = stmt.where(Notification.type == type_key)
        return [(n.user_id, n.type, n.subject, n.link) for n in db.session.scalars(stmt)]


def deliver_again(app, tenant, name, subscriber_key):
    """Run one subscriber again on every outbox event `name` (a redelivery); returns how many."""
    with tenant_context(tenant, app):
        rows = db.session.scalars(sa.select(OutboxEvent).where(OutboxEvent.name == name)).all()
        func = events.subscribers_of(name)[subscriber_key]
        for row in rows:
            func(load(name, row.payload))
        return len(rows)


def demo_notification_id(user_id):
    """A notification of this person (the crawler's `notification_id`), written here; call in the tenant."""
    notify(
        "announcement",
        [user_id],
        source_key="crawler",
        context={"announcement": {"title": "Welcome", "body": "Welcome to the demo.", "author": "Admin"}},
    )  # no link, as an announcement has none: its `open` is the message's own page
    db.session.commit()
    return db.session.scalar(sa.select(Notification.id).where(Notification.source_key == "crawler"))
