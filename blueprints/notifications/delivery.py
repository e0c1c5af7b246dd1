"""Notification e-mails: RQ jobs of up to `BATCH` rows sent over one SMTP connection (docs/notifications.md,
"E-mail"). The part "email" hardens it: claims, retries with backoff, the branded layout, unsubscribe headers."""

import logging

import sqlalchemy as sa
from redis import RedisError

from app.extensions import db
from app.jobs import enqueue
from app.mail import build_message, send_many
from app.tenancy.context import require_tenant
from app.tenancy.models import utcnow
from blueprints.notifications.models import EmailStatus, Notification
from blueprints.users.models import User

log = logging.getLogger(__name__)

BATCH = 100


def queue_pending(notification_ids):
    """Queue the jobs that send these rows' e-mails (after their commit). A failure is logged: the sweep queues
    pending rows again."""
    ids = list(notification_ids)
    tenant = require_tenant()
    for start in range(0, len(ids), BATCH):
        try:
            enqueue(tenant, send_batch, ids[start : start + BATCH])
        except RedisError:
            log.exception("Could not queue notification e-mails; the sweep will")
            return


def send_batch(notification_ids):
    """The job: send the rows still pending among `notification_ids`, marking each sent once the server took it."""
    rows = db.session.execute(
        sa.select(Notification, User.email, User.notification_email)
        .join(User, User.id == Notification.user_id)
        .where(Notification.id.in_(notification_ids), Notification.email_status == EmailStatus.PENDING)
    ).all()
    messages = []
    for notification, email, notification_email in rows:
        message = build_message(notification_email or email, notification.subject, notification.body)
        notification.message_id = message["Message-ID"]
        notification.email_status = EmailStatus.SENDING
        messages.append((notification, message))
    db.session.commit()
    send_many([message for _notification, message in messages])
    for notification, _message in messages:
        notification.email_status = EmailStatus.SENT
        notification.email_sent_at = utcnow()
    db.session.commit()
