"""Daily and weekly digests (docs/notifications.md, "Digests"): the rows a person asked to have once a day or once
a week, gathered into one e-mail at NOTIFICATIONS_DIGEST_HOUR (7) in their time zone; weekly ones on Monday.

One `NotificationDigest` per (person, cadence, period): the period is the person's local date ("2026-11-26") or
ISO week ("2026-W48"), and the table's unique key makes a digest composed once however many sweeps run. Its rows
go `digest` -> `digested` (with `digest_id`) in the same transaction; its e-mail is then sent by delivery's rules
on the digest row itself (claim, backoff, the same Message-ID on a resend).
"""

import logging
from datetime import UTC

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.extensions import db
from app.tenancy.context import require_tenant
from app.tenancy.engines import engine_for
from app.tenancy.models import utcnow
from blueprints.notifications import delivery, layout, producing
from blueprints.notifications.models import Cadence, EmailStatus, Notification, NotificationDigest
from blueprints.notifications.preferences import effective
from blueprints.organizations.settings import settings_of
from blueprints.users.models import User
from blueprints.users.queries import time_zones_of, zone_for

log = logging.getLogger(__name__)

DIGEST_CADENCES = (Cadence.DAILY, Cadence.WEEKLY)


def period_due(cadence, local, hour):
    """The period of a digest due at `local` (the person's local time), or None when none is due: a daily one
    from `hour` on each day, a weekly one from `hour` on Monday until that day ends (a sweep stopped all Monday
    leaves the rows for the next week's: they are kept, not lost)."""
    if cadence == Cadence.DAILY:
        return local.date().isoformat() if local.hour >= hour else None
    if local.weekday() != 0 or local.hour < hour:
        return None
    year, week, _day = local.isocalendar()
    return f"{year}-W{week:02d}"


def digest_cadence(email_cadence):
    """Which digest a waiting row joins given its type's e-mail cadence now: the weekly one if weekly, none if
    switched off since (the row is no longer e-mailed), the daily one otherwise (daily; or `immediately`
    chosen since it waited: it goes out in the next digest rather than never)."""
    if email_cadence == Cadence.WEEKLY:
        return Cadence.WEEKLY
    if email_cadence == Cadence.OFF:
        return None
    return Cadence.DAILY


def compose_due_digests(now=None):
    """Compose the digests due now in this organization and queue their e-mails (after the commit). Returns how
    many were composed. `now`: an aware or naive-UTC datetime (tests), else the clock."""
    now = (now.astimezone(UTC).replace(tzinfo=None) if now and now.tzinfo else now) or utcnow()
    waiting = db.session.execute(
        sa.select(Notification.user_id, Notification.type)
        .where(Notification.email_status == EmailStatus.DIGEST)
        .distinct()
    ).all()
    if not waiting:
        return 0
    users_of_type = {}
    for user_id, type_key in waiting:
        users_of_type.setdefault(type_key, set()).add(user_id)
    wanted = {}  # (user_id, cadence) -> [types]
    switched_off = []  # (user_id, type): switched off since they waited
    for type_key, user_ids in users_of_type.items():
        for user_id, (_in_app, email) in effective(type_key, user_ids).items():
            cadence = digest_cadence(email)
            if cadence is None:
                switched_off.append((user_id, type_key))
            else:
                wanted.setdefault((user_id, cadence), []).append(type_key)
    for user_id, type_key in switched_off:
        db.session.execute(
            sa.update(Notification)
            .where(
                Notification.user_id == user_id,
                Notification.type == type_key,
                Notification.email_status == EmailStatus.DIGEST,
            )
            .values(email_status=EmailStatus.NONE)
        )
    zones = time_zones_of(user_id for user_id, _c in wanted)
    hour = current_app.config["NOTIFICATIONS_DIGEST_HOUR"]
    moment = now.replace(tzinfo=UTC)
    due = []
    for (user_id, cadence), types in wanted.items():
        local = moment.astimezone(zones[user_id])
        period = period_due(cadence, local, hour)
        if period is not None:
            due.append({"user_id": user_id, "cadence": cadence, "period": period, "types": types})
    composed = _create(due, utcnow())  # the clock's time, whatever `now` a test composed at
    db.session.commit()
    delivery.queue_jobs(send_digest_batch, composed)
    return len(composed)


def _create(due, now):
    """The digest rows not composed yet for their period, and their notifications moved into them: [ids]."""
    if not due:
        return []
    insert = sqlite_insert if engine_for(require_tenant()).dialect.name == "sqlite" else postgresql_insert
    types = {(entry["user_id"], entry["cadence"]): entry["types"] for entry in due}
    stmt = (
        insert(NotificationDigest)
        .values(
            [
                {
                    "user_id": entry["user_id"],
                    "cadence": entry["cadence"],
                    "period": entry["period"],
                    "items": 0,
                    "email_status": EmailStatus.PENDING,
                    "email_due_at": now,
                    "email_attempts": 0,
                    "created_at": now,
                }
                for entry in due
            ]
        )
        .on_conflict_do_nothing(index_elements=["user_id", "cadence", "period"])
        .returning(NotificationDigest.id, NotificationDigest.user_id, NotificationDigest.cadence)
    )
    created = db.session.execute(stmt).all()
    composed = []
    for digest_id, user_id, cadence in created:
        moved = db.session.execute(
            sa.update(Notification)
            .where(
                Notification.user_id == user_id,
                Notification.type.in_(types[(user_id, cadence)]),
                Notification.email_status == EmailStatus.DIGEST,
            )
            .values(email_status=EmailStatus.DIGESTED, digest_id=digest_id)
            .execution_options(synchronize_session=False)
        ).rowcount
        # another sweep may have taken the rows between our read and this update: an empty digest is never sent
        values = {"items": moved} if moved else {"items": 0, "email_status": EmailStatus.NONE}
        db.session.execute(sa.update(NotificationDigest).where(NotificationDigest.id == digest_id).values(**values))
        if moved:
            composed.append(digest_id)
    return composed


def send_digest_batch(digest_ids):
    """The job: send the digests among `digest_ids` still pending and due (delivery's rules)."""
    return delivery.deliver(delivery.DIGESTS, digest_ids, compose_digests).sent


def requeue_digests():
    return delivery.requeue(delivery.DIGESTS, send_digest_batch)


def when_in_words(moment, tz):
    local = moment.replace(tzinfo=UTC).astimezone(tz)
    return f"{local:%a} {local.day} {local:%b}, {local:%H:%M}"


def compose_digests(claimed):
    """[(digest id, EmailMessage)]: each digest's rows, newest first, at most layout.DIGEST_LIMIT and "and N
    more", in the organization's layout."""
    organization = settings_of(require_tenant())
    digests = db.session.execute(
        sa.select(
            NotificationDigest.id,
            NotificationDigest.cadence,
            NotificationDigest.items,
            NotificationDigest.message_id,
            User.email,
            User.notification_email,
            User.first_name,
            User.time_zone,
        )
        .join(User, User.id == NotificationDigest.user_id)
        .where(NotificationDigest.id.in_(claimed), User.is_active)  # inactive people are told nothing
    ).all()
    messages = []
    for digest in digests:
        tz = zone_for(digest.time_zone)
        rows = db.session.execute(
            sa.select(Notification.subject, Notification.link, Notification.created_at)
            .where(Notification.digest_id == digest.id)
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(layout.DIGEST_LIMIT)
        ).all()
        items = [
            {"subject": row.subject, "url": producing.site_url(row.link), "when": when_in_words(row.created_at, tz)}
            for row in rows
        ]
        count = max(digest.items, len(items))
        noun = "notification" if count == 1 else "notifications"
        subject = f"Your {digest.cadence} digest from {organization['display_name']}: {count} {noun}"
        since = "since yesterday" if digest.cadence == Cadence.DAILY else "this past week"
        intro = f"Hello {digest.first_name or 'there'},\n\nhere is what happened {since}."
        email = layout.render_digest(subject, intro, items, more=count - len(items), cadence=digest.cadence)
        messages.append((digest.id, delivery.message_for(digest, email)))
    return messages
