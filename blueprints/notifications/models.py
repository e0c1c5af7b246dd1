"""Notifications (docs/notifications.md): one row per person and thing they are told about, with the state of
each channel; the people's and the organization's preferences; the organization's own words; announcements
and digests."""

import sqlalchemy as sa

from app.tenancy.base import TenantModel
from app.tenancy.models import utcnow


class Channel:
    IN_APP, EMAIL = "in_app", "email"
    ALL = (IN_APP, EMAIL)


class Cadence:
    IMMEDIATELY, DAILY, WEEKLY, OFF = "immediately", "daily", "weekly", "off"
    ALL = (IMMEDIATELY, DAILY, WEEKLY, OFF)
    IN_APP = (IMMEDIATELY, OFF)  # the bell has no digests


class EmailStatus:
    """Where a notification's e-mail stands. `sending`: claimed by a job that may have died (sent again with
    the same Message-ID when its claim is older than the job's timeout)."""

    NONE = "none"  # no e-mail (the person's e-mail cadence is off, or no address)
    PENDING = "pending"  # to send now
    SENDING = "sending"
    SENT = "sent"
    DIGEST = "digest"  # waits for the person's daily or weekly digest
    DIGESTED = "digested"  # went out in a digest (`digest_id`)
    FAILED = "failed"  # refused for good (a 5xx from the SMTP server, an address it rejects)


class Notification(TenantModel):
    """What one person is told about one thing. `source_key` names the thing (an event's id, or
    "enrollment:12:due:2026-12-01" for a reminder): (user_id, type, source_key) is unique, so an event delivered
    twice, or a reminder swept twice, tells nobody twice."""

    __tablename__ = "notifications"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "type", "source_key", name="uq_notifications_user_type_source"),
        sa.Index("ix_notifications_user_created", "user_id", "created_at"),
        # the bell's unread count: the person's rows shown in the app and not read
        sa.Index("ix_notifications_user_unread", "user_id", "in_app", "read_at"),
        sa.Index("ix_notifications_email_status", "email_status", "email_due_at"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    type = sa.Column(sa.String(40), nullable=False)  # a key of blueprints.notifications.types.TYPES
    source_key = sa.Column(sa.String(120), nullable=False)
    subject = sa.Column(sa.String(300), nullable=False)  # rendered from the type's (or the organization's) template
    body = sa.Column(sa.Text, nullable=False, default="")  # plain text; paragraphs separated by blank lines
    link = sa.Column(sa.String(500))  # a path inside the organization's site ("/learn/courses/3"), never a full URL
    context = sa.Column(sa.JSON, nullable=False, default=dict)  # the template variables it was rendered with
    announcement_id = sa.Column(sa.Integer, sa.ForeignKey("announcements.id", ondelete="SET NULL"), index=True)
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    # in the app
    in_app = sa.Column(sa.Boolean, nullable=False, default=True)  # shown in the bell and the list
    read_at = sa.Column(sa.DateTime)
    deleted_at = sa.Column(sa.DateTime)  # deleted from the list by the person (kept: the unique key remembers it)
    # by e-mail
    email_status = sa.Column(sa.String(10), nullable=False, default=EmailStatus.NONE)
    email_due_at = sa.Column(sa.DateTime)  # pending: when to try (again); sending: when the claim was taken
    email_attempts = sa.Column(sa.Integer, nullable=False, default=0)
    email_error = sa.Column(sa.String(300))
    email_sent_at = sa.Column(sa.DateTime)
    message_id = sa.Column(sa.String(200))  # the Message-ID header, fixed before the first attempt
    digest_id = sa.Column(sa.Integer, sa.ForeignKey("notification_digests.id", ondelete="SET NULL"), index=True)


class NotificationSetting(TenantModel):
    """A person's own cadence for one type on one channel (a row only where they chose)."""

    __tablename__ = "notification_settings"

    user_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    type = sa.Column(sa.String(40), primary_key=True)
    channel = sa.Column(sa.String(10), primary_key=True)
    cadence = sa.Column(sa.String(12), nullable=False)  # "immediately": 11 (migration 0025)
    updated_at = sa.Column(sa.DateTime, nullable=False, default=utcnow, onupdate=utcnow)


class NotificationDefault(TenantModel):
    """The organization's default cadence for one type on one channel, and whether people may change it (a row
    only where the org admins chose; otherwise the type's built-in default, unlocked)."""

    __tablename__ = "notification_defaults"

    type = sa.Column(sa.String(40), primary_key=True)
    channel = sa.Column(sa.String(10), primary_key=True)
    cadence = sa.Column(sa.String(12), nullable=False)  # "immediately": 11 (migration 0025)
    locked = sa.Column(sa.Boolean, nullable=False, default=False)
    updated_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"))
    updated_at = sa.Column(sa.DateTime, nullable=False, default=utcnow, onupdate=utcnow)


class NotificationTemplate(TenantModel):
    """The organization's own subject and body for one type (sandboxed Jinja, the type's variables only)."""

    __tablename__ = "notification_templates"

    type = sa.Column(sa.String(40), primary_key=True)
    subject = sa.Column(sa.String(300), nullable=False)
    body = sa.Column(sa.Text, nullable=False)
    updated_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"))
    updated_at = sa.Column(sa.DateTime, nullable=False, default=utcnow, onupdate=utcnow)
    # set when the saved template failed to render for real data (the default was used instead)
    last_error = sa.Column(sa.String(300))
    last_error_at = sa.Column(sa.DateTime)


class AnnouncementStatus:
    SCHEDULED, SENDING, SENT, CANCELLED = "scheduled", "sending", "sent", "cancelled"


class Announcement(TenantModel):
    """A message from staff to an audience in their scope, now or at `send_at`."""

    __tablename__ = "announcements"

    id = sa.Column(sa.Integer, primary_key=True)
    title = sa.Column(sa.String(200), nullable=False)
    body = sa.Column(sa.Text, nullable=False)  # plain text
    # organization, branch, class, course or people; `audience_ids` the branches, classes, courses or people
    audience = sa.Column(sa.String(12), nullable=False)
    audience_ids = sa.Column(sa.JSON, nullable=False, default=list)
    author_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    send_at = sa.Column(sa.DateTime, nullable=False, default=utcnow, index=True)
    status = sa.Column(sa.String(10), nullable=False, default=AnnouncementStatus.SCHEDULED, index=True)
    recipients = sa.Column(sa.Integer)  # how many people it reached (set when sent)
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    sent_at = sa.Column(sa.DateTime)


class NotificationDigest(TenantModel):
    """One daily or weekly digest e-mail of one person: (user_id, cadence, period) is unique, so a sweep run
    twice composes it once."""

    __tablename__ = "notification_digests"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "cadence", "period", name="uq_notification_digests_period"),
        sa.Index("ix_notification_digests_email_status", "email_status", "email_due_at"),  # migration 0025
    )

    id = sa.Column(sa.Integer, primary_key=True)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    cadence = sa.Column(sa.String(10), nullable=False)  # daily, weekly
    period = sa.Column(sa.String(10), nullable=False)  # the person's local date "2026-11-26" or week "2026-W48"
    items = sa.Column(sa.Integer, nullable=False, default=0)
    email_status = sa.Column(sa.String(10), nullable=False, default=EmailStatus.PENDING)
    email_due_at = sa.Column(sa.DateTime)  # as Notification's (migration 0025: part "email")
    email_attempts = sa.Column(sa.Integer, nullable=False, default=0)
    email_error = sa.Column(sa.String(300))
    message_id = sa.Column(sa.String(200))
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    sent_at = sa.Column(sa.DateTime)
