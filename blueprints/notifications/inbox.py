"""A person's notifications in the app: the list, the unread count, marking read and deleting. Everything here
is about the acting person's own rows: another person's notification is not found."""

import sqlalchemy as sa

from app.api.listing import ListSpec, run_list_query
from app.errors import NotFound
from app.extensions import db
from app.tenancy.models import utcnow
from blueprints.notifications import live
from blueprints.notifications.models import Notification

NOTIFICATION_LIST = ListSpec(
    filters={"type": Notification.type, "created_at": Notification.created_at},
    sorts={"created_at": Notification.created_at},
    default_sort=("-created_at",),
    tiebreaker=Notification.id,
)


def _shown_to(user_id):
    """The person's rows shown in the app: written for the app, not deleted."""
    return sa.and_(Notification.user_id == user_id, Notification.in_app, Notification.deleted_at.is_(None))


def unread_count(user_id):
    """How many of the person's notifications are unread: one COUNT on (user_id, in_app, read_at)."""
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Notification).where(_shown_to(user_id), Notification.read_at.is_(None))
    )


def list_mine(user_id, query, unread_only=False):
    """A page of the person's notifications, newest first (the list helper's paging, filters and sorts)."""
    stmt = sa.select(Notification).where(_shown_to(user_id))
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    return run_list_query(db.session, stmt, query, NOTIFICATION_LIST)


def get_mine(notification_id, user_id):
    """One of the person's notifications; another person's, a deleted one or an e-mail-only one: 404."""
    notification = db.session.scalar(
        sa.select(Notification).where(Notification.id == notification_id, _shown_to(user_id))
    )
    if notification is None:
        raise NotFound("No such notification.")
    return notification


def mark(notification_id, user_id, read=True):
    """Mark one of the person's notifications read (or unread again)."""
    notification = get_mine(notification_id, user_id)
    if read and notification.read_at is None:
        notification.read_at = utcnow()
    elif not read:
        notification.read_at = None
    _commit_and_tell(user_id)
    return notification


def delete(notification_id, user_id):
    """Take one of the person's notifications off their list (kept hidden: its key is remembered)."""
    notification = get_mine(notification_id, user_id)
    notification.deleted_at = utcnow()
    notification.read_at = notification.read_at or notification.deleted_at
    _commit_and_tell(user_id)


def read_all(user_id):
    """Mark every unread notification of the person read; returns how many."""
    now = utcnow()
    changed = db.session.execute(
        sa.update(Notification).where(_shown_to(user_id), Notification.read_at.is_(None)).values(read_at=now)
    ).rowcount
    _commit_and_tell(user_id)
    return changed


def _commit_and_tell(user_id):
    db.session.commit()
    live.publish_counts([user_id])  # the person's other open pages show the new count
