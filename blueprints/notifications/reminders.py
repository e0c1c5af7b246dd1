"""Reminders the sweep writes (docs/notifications.md, "Triggers"): a course due soon, a course overdue, a
certificate about to expire. Each through `producing.notify`, once per thing thanks to its source key:

- due soon: `course:<course id>:due:<due date>` (a person has one enrollment per course, so this names the
  enrollment's due date; grouping by course and date lets one `notify` call tell a whole class);
- overdue: the same key, type `overdue` (once per due date: a new due date is a new reminder);
- certificate expiring: `course:<course id>:certificate:<expiry date>:expiring:<30 or 7>` (a renewal is a new
  expiry date).

Reads are set-based: one query for the enrollments, one for the certificates, one per type for the keys
already used; `notify` is called once per (course, date) group with each person's own context.
"""

import math
from collections import defaultdict
from datetime import UTC, timedelta

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.tenancy.models import utcnow
from blueprints.certificates.lifecycle import expiring_certificates
from blueprints.learning.queries import open_enrollments_due
from blueprints.notifications.models import Notification
from blueprints.notifications.producing import notify
from blueprints.users.queries import time_zones_of

EXPIRY_THRESHOLDS = (30, 7)  # days before a certificate expires: a reminder at each


def date_in_words(moment, tz):
    """ "Tuesday 1 December 2026": a UTC datetime as the person's local date."""
    local = moment.replace(tzinfo=UTC).astimezone(tz)
    return f"{local:%A} {local.day} {local:%B %Y}"


def send_reminders(now=None):
    """Write the reminders due now in this organization (each once); returns how many notifications were written.
    Commits (the sweep's own transaction)."""
    now = now or utcnow()
    written = _due_reminders(now) + _certificate_reminders(now)
    db.session.commit()
    return written


def _already_told(type_key, source_keys):
    """(user id, source key) of this type's rows among these keys (the reminders written before)."""
    keys = sorted(set(source_keys))
    told = set()
    for start in range(0, len(keys), 500):
        told.update(
            db.session.execute(
                sa.select(Notification.user_id, Notification.source_key).where(
                    Notification.type == type_key, Notification.source_key.in_(keys[start : start + 500])
                )
            ).all()
        )
    return told


def _due_reminders(now):
    config = current_app.config
    soon = now + timedelta(days=config["NOTIFICATIONS_DUE_SOON_DAYS"])
    oldest = now - timedelta(days=config["NOTIFICATIONS_OVERDUE_DAYS"])  # no reminder of long-forgotten dates
    enrollments = open_enrollments_due(oldest, soon)
    if not enrollments:
        return 0
    zones = time_zones_of(row.user_id for row in enrollments)
    groups = defaultdict(list)  # (type, source key, course id, title) -> enrollments
    for row in enrollments:
        type_key = "due_soon" if row.due_at > now else "overdue"
        key = f"course:{row.course_id}:due:{row.due_at.date().isoformat()}"
        groups[(type_key, key, row.course_id, row.course_title)].append(row)
    told = {
        type_key: _already_told(type_key, [key for (kind, key, _c, _t) in groups if kind == type_key])
        for type_key in ("due_soon", "overdue")
    }
    written = 0
    for (type_key, key, course_id, title), found in groups.items():
        rows = [row for row in found if (row.user_id, key) not in told[type_key]]
        if not rows:
            continue
        contexts = {
            row.user_id: {
                "due_date": date_in_words(row.due_at, zones[row.user_id]),
                "days": max(math.ceil((row.due_at - now).total_seconds() / 86400), 0),
                "progress": int(row.percent_done or 0),
            }
            for row in rows
        }
        written += notify(
            type_key,
            list(contexts),
            source_key=key,
            context={"course": {"title": title}},
            contexts=contexts,
            link=f"/learn/{course_id}",
        )
    return written


def _certificate_reminders(now):
    """The current certificates expiring within 30 days (not within 7: those get the 7-day one) and within 7."""
    within = {days: list(db.session.scalars(expiring_certificates(days))) for days in EXPIRY_THRESHOLDS}
    nearer = {certificate.id for certificate in within[7]}
    groups = defaultdict(list)  # (source key, course id, title, threshold) -> certificates
    for days in EXPIRY_THRESHOLDS:
        for certificate in within[days]:
            if days == 30 and certificate.id in nearer:
                continue
            expiry = certificate.expires_at.date().isoformat()
            key = f"course:{certificate.course_id}:certificate:{expiry}:expiring:{days}"
            groups[(key, certificate.course_id, certificate.course_title)].append(certificate)
    if not groups:
        return 0
    told = _already_told("certificate_expiring", [key for key, _c, _t in groups])
    zones = time_zones_of(certificate.user_id for certificates in groups.values() for certificate in certificates)
    written = 0
    for (key, _course_id, title), found in groups.items():
        certificates = [c for c in found if (c.user_id, key) not in told]
        if not certificates:
            continue
        contexts = {
            c.user_id: {
                "expires_on": date_in_words(c.expires_at, zones[c.user_id]),
                "days": max(math.ceil((c.expires_at - now).total_seconds() / 86400), 0),
            }
            for c in certificates
        }
        written += notify(
            "certificate_expiring",
            list(contexts),
            source_key=key,
            context={"course": {"title": title}},
            contexts=contexts,
            link="/achievements",
        )
    return written
