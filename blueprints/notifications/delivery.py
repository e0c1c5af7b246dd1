"""Notification e-mails: RQ jobs of up to `BATCH` rows sent over one SMTP connection (docs/notifications.md,
"E-mail" and "E-mail, digests and reminders").

A row's e-mail goes `pending` -> `sending` (the claim) -> `sent`, or back to `pending` later (a 4xx, a server
that cannot be reached) or `failed` (a 5xx). The claim is one UPDATE that takes only rows still pending and due:
two jobs given the same ids never both send a row. The Message-ID is fixed at the first claim and kept, so a
row sent again (its worker died between the server's acceptance and the commit) is the same message to the
recipient's mail client. Digests (`NotificationDigest`) follow the same rules on their own rows.
"""

import logging
import secrets
import smtplib
from dataclasses import dataclass
from datetime import timedelta
from email.utils import parseaddr

import sqlalchemy as sa
from flask import current_app
from redis import RedisError

from app.extensions import db
from app.jobs import enqueue_many
from app.mail import build_bulk_message, smtp_connection
from app.observability.metrics import count_notification_emails
from app.tenancy.context import require_tenant
from app.tenancy.models import utcnow

# modules, not names: producing imports this module, and unsubscribe imports producing
from blueprints.notifications import layout, producing, unsubscribe
from blueprints.notifications.models import EmailStatus, Notification, NotificationDigest
from blueprints.notifications.types import notification_type
from blueprints.users.models import User

log = logging.getLogger(__name__)

BATCH = 100
ONE_CLICK = "List-Unsubscribe=One-Click"  # RFC 8058's List-Unsubscribe-Post value


@dataclass(frozen=True)
class Mailing:
    """A table whose rows each carry one e-mail's state (email_status, email_due_at, email_attempts,
    email_error, message_id) and the time it was sent."""

    model: type
    sent_at: str  # the name of its "sent at" column
    tag: str  # in its Message-IDs: n (a notification) or d (a digest)


NOTIFICATIONS = Mailing(Notification, "email_sent_at", "n")
DIGESTS = Mailing(NotificationDigest, "sent_at", "d")


class Sent:
    """What became of the rows of one job (the caller's figures; tests read them too)."""

    def __init__(self):
        self.sent, self.retry, self.failed, self.given_up = [], [], [], []

    def count(self):
        """Into the metrics (`tessera_notification_emails`), where an operator can alert on what is given up."""
        count_notification_emails(
            sent=len(self.sent), delayed=len(self.retry), failed=len(self.failed), given_up=len(self.given_up)
        )


def queue_pending(notification_ids):
    """Queue the jobs that send these rows' e-mails (after their commit), in one round trip to Redis. A failure
    is logged: the sweep queues pending rows again."""
    queue_jobs(send_batch, notification_ids)


def queue_jobs(job, ids):
    ids = list(ids)
    if not ids:
        return
    calls = [(ids[start : start + BATCH],) for start in range(0, len(ids), BATCH)]
    try:
        enqueue_many(require_tenant(), job, calls, timeout=current_app.config["NOTIFICATIONS_JOB_TIMEOUT"])
    except RedisError:
        log.exception("Could not queue %d notification e-mail jobs; the sweep will", len(calls))


def send_batch(notification_ids):
    """The job: send the rows among `notification_ids` still pending and due, each marked sent once the server
    took it. Returns how many were sent."""
    return deliver(NOTIFICATIONS, notification_ids, compose_notifications).sent


def compose_notifications(claimed):
    """[(row id, EmailMessage)] of claimed notification rows: the organization's layout, the person's address,
    the one-click unsubscribe of a type that may be switched off."""
    rows = db.session.execute(
        sa.select(
            Notification.id,
            Notification.user_id,
            Notification.type,
            Notification.subject,
            Notification.body,
            Notification.link,
            Notification.message_id,
            User.email,
            User.notification_email,
        )
        .join(User, User.id == Notification.user_id)
        .where(Notification.id.in_(claimed), User.is_active)  # inactive people are told nothing
    ).all()
    messages = []
    for row in rows:
        link = None if notification_type(row.type).mandatory else unsubscribe.unsubscribe_url(row.user_id, row.type)
        email = layout.render_email(
            row.subject,
            row.body,
            url=producing.site_url(row.link),
            type_key=row.type,
            unsubscribe_url=link,
        )
        messages.append((row.id, message_for(row, email, link)))
    return messages


def message_for(row, email, unsubscribe_link=None):
    """The EmailMessage of a rendered e-mail to a row's person, with its fixed Message-ID."""
    headers = (
        {"List-Unsubscribe": f"<{unsubscribe_link}>", "List-Unsubscribe-Post": ONE_CLICK} if unsubscribe_link else {}
    )
    return build_bulk_message(
        row.notification_email or row.email,
        email.subject,
        email.text,
        email.html,
        message_id=row.message_id,
        headers=headers,
    )


def deliver(mailing, ids, compose):
    """Claim the rows of `mailing` among `ids` that are pending and due, compose their messages
    (`compose(claimed ids)` -> [(id, EmailMessage)]) and send them over one connection; each row ends sent,
    pending again later, failed or given up. Returns the outcome (Sent), also counted in the metrics."""
    outcome = Sent()
    try:
        _send(mailing, ids, compose, outcome)
    finally:
        outcome.count()
    return outcome


def _send(mailing, ids, compose, outcome):
    claimed = claim(mailing, ids)
    if not claimed:
        return
    attempts = dict(claimed)
    try:
        messages = compose(list(attempts))
    except Exception as error:  # a bug or the database: the rows wait for their backoff, not for the stale sweep
        db.session.rollback()
        retry_later(mailing, outcome, attempts, f"could not compose: {type(error).__name__}: {error}")
        raise
    db.session.rollback()  # compose only read: end its transaction before the slow part (SQLite's lock)
    dropped = set(attempts) - {row_id for row_id, _message in messages}
    if dropped:  # nobody to send them to any more (a person deactivated since): never sent
        mark_dropped(mailing, dropped)
    try:
        with smtp_connection() as smtp:
            for position, (row_id, message) in enumerate(messages):
                try:
                    smtp.send_message(message)
                except smtplib.SMTPRecipientsRefused as error:
                    code, reason = next(iter(error.recipients.values()))
                    _refused(mailing, outcome, row_id, attempts[row_id], code, reason)
                except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as error:
                    _refused(mailing, outcome, row_id, attempts[row_id], error.smtp_code, error.smtp_error)
                except (smtplib.SMTPException, OSError) as error:  # the connection broke: the rest another time
                    rest = [row for row, _message in messages[position:]]
                    retry_later(mailing, outcome, {row: attempts[row] for row in rest}, _reason(error))
                    return
                else:
                    mark_sent(mailing, row_id)
                    outcome.sent.append(row_id)
    except (smtplib.SMTPException, OSError) as error:  # no connection at all (refused, timeout, 4xx greeting)
        done = {*outcome.sent, *outcome.failed, *outcome.retry, *outcome.given_up, *dropped}
        unsent = [row for row in attempts if row not in done]
        retry_later(mailing, outcome, {row: attempts[row] for row in unsent}, _reason(error))


def claim(mailing, ids):
    """[(id, attempts)] of the rows among `ids` this job now holds: pending and due, moved to `sending` in one
    UPDATE (two jobs never hold the same row), their claim time in `email_due_at`, a Message-ID given to those
    without one (kept on every later claim)."""
    ids = sorted(set(ids))
    if not ids:
        return []
    model = mailing.model
    now = utcnow()
    domain = parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1].rpartition("@")[2] or "tessera"
    nonce = secrets.token_hex(6)  # with the row's id and the organization: unique across jobs and tenants
    generated = (
        sa.literal(f"<{mailing.tag}.{require_tenant().slug}.")
        + sa.cast(model.id, sa.String)
        + sa.literal(f".{nonce}@{domain}>")
    )
    stmt = (
        sa.update(model)
        .where(
            model.id.in_(ids),
            model.email_status == EmailStatus.PENDING,
            sa.or_(model.email_due_at.is_(None), model.email_due_at <= now),
        )
        .values(
            email_status=EmailStatus.SENDING,
            email_due_at=now,
            email_attempts=model.email_attempts + 1,
            message_id=sa.func.coalesce(model.message_id, generated),
        )
        .returning(model.id, model.email_attempts)
        .execution_options(synchronize_session=False)
    )
    claimed = [tuple(row) for row in db.session.execute(stmt)]
    db.session.commit()
    return claimed


def mark_sent(mailing, row_id):
    """The server accepted the row's message: sent, committed at once (a kill after this sends it never again)."""
    model = mailing.model
    db.session.execute(
        sa.update(model)
        .where(model.id == row_id, model.email_status == EmailStatus.SENDING)
        .values(email_status=EmailStatus.SENT, email_error=None, **{mailing.sent_at: utcnow()})
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def backoff_seconds(attempts):
    """How long after its `attempts`-th try a row waits: 1, 2, 4 … minutes, at most an hour (configurable)."""
    config = current_app.config
    first, most = config["NOTIFICATIONS_RETRY_SECONDS"], config["NOTIFICATIONS_RETRY_MAX_SECONDS"]
    return min(first * 2 ** max(attempts - 1, 0), most)


def retry_later(mailing, outcome, attempts_by_id, reason):
    """Back to pending, due after the backoff of each row's attempts so far (the sweep queues them then); a row
    made more than NOTIFICATIONS_GIVE_UP_HOURS ago, tried more than once, is given up instead (failed, with the last
    reason). Each row goes into `outcome` as to be retried or given up."""
    model = mailing.model
    now = utcnow()
    hours = current_app.config["NOTIFICATIONS_GIVE_UP_HOURS"]
    too_old = model.created_at < now - timedelta(hours=hours)
    given_up = []
    for row_id, attempts in attempts_by_id.items():
        # never after a first try: greylisting refuses every first one, and a row that waited out an outage of the
        # workers has had no chance yet
        expired = too_old if attempts > 1 else sa.false()
        status = db.session.execute(
            sa.update(model)
            .where(model.id == row_id, model.email_status == EmailStatus.SENDING)
            .values(
                email_status=sa.case((expired, EmailStatus.FAILED), else_=EmailStatus.PENDING),
                email_due_at=sa.case(
                    (expired, model.email_due_at), else_=now + timedelta(seconds=backoff_seconds(attempts))
                ),
                email_error=sa.case(
                    (expired, f"given up after {attempts} tries in {hours:g} h: {reason}"[:300]), else_=reason[:300]
                ),
            )
            .returning(model.email_status)
            .execution_options(synchronize_session=False)
        ).scalar()
        (given_up if status == EmailStatus.FAILED else outcome.retry).append(row_id)
    db.session.commit()
    outcome.given_up += given_up
    if given_up:
        log.warning("%d notification e-mails given up after %g h: %s", len(given_up), hours, reason)
    if len(attempts_by_id) > len(given_up):
        log.warning("%d notification e-mails delayed: %s", len(attempts_by_id) - len(given_up), reason)


def mark_dropped(mailing, row_ids):
    model = mailing.model
    db.session.execute(
        sa.update(model)
        .where(model.id.in_(row_ids), model.email_status == EmailStatus.SENDING)
        .values(email_status=EmailStatus.NONE, email_error="not sent: the person is no longer active")
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def mark_failed(mailing, row_id, reason):
    model = mailing.model
    db.session.execute(
        sa.update(model)
        .where(model.id == row_id, model.email_status == EmailStatus.SENDING)
        .values(email_status=EmailStatus.FAILED, email_error=reason[:300])
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _refused(mailing, outcome, row_id, attempts, code, reason):
    """One message refused: for good on a 5xx, later on anything else (4xx: greylisting, a full mailbox…)."""
    text = f"{code} {_text(reason)}"
    if 500 <= (code or 0) < 600:
        mark_failed(mailing, row_id, text)
        outcome.failed.append(row_id)
    else:
        retry_later(mailing, outcome, {row_id: attempts}, text)


def _text(reason):
    return reason.decode(errors="replace") if isinstance(reason, bytes) else str(reason)


def _reason(error):
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{error.smtp_code} {_text(error.smtp_error)}"
    return f"{type(error).__name__}: {error}"


# --- the sweep's part --------------------------------------------------------------------------------------


def requeue(mailing, job):
    """Queue again, in the current organization, the rows of `mailing` whose job is gone: pending ones due
    (after a backoff; or new ones whose job was lost, once they waited NOTIFICATIONS_REQUEUE_AFTER_SECONDS) and
    `sending` ones claimed longer ago than a job may run (a killed worker; sent again with their Message-ID).
    Returns how many were queued."""
    model = mailing.model
    config = current_app.config
    now = utcnow()
    stale = now - timedelta(seconds=config["NOTIFICATIONS_SENDING_STALE_SECONDS"])
    released = db.session.scalars(
        sa.update(model)
        .where(model.email_status == EmailStatus.SENDING, model.email_due_at < stale)
        .values(email_status=EmailStatus.PENDING, email_due_at=now, email_error="its worker stopped while sending")
        .returning(model.id)
        .execution_options(synchronize_session=False)
    ).all()
    db.session.commit()
    lost = now - timedelta(seconds=config["NOTIFICATIONS_REQUEUE_AFTER_SECONDS"])
    due = db.session.scalars(
        sa.select(model.id).where(
            model.email_status == EmailStatus.PENDING,
            sa.or_(
                sa.and_(model.email_attempts > 0, model.email_due_at <= now),  # a retry: no job holds it
                model.email_due_at <= lost,  # never tried (its job was queued at its commit): lost
                model.email_due_at.is_(None),
            ),
        )
    ).all()
    ids = sorted(set(released) | set(due))
    queue_jobs(job, ids)
    return len(ids)


def requeue_notifications():
    return requeue(NOTIFICATIONS, send_batch)
