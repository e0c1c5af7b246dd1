"""Dates and times as a person reads them: in their time zone (theirs, else the organization's), in words."""

from datetime import UTC
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa

from app.extensions import db
from app.tenancy.context import require_tenant
from blueprints.organizations.settings import settings_of
from blueprints.users.models import User


def zone_of(user_id):
    """The person's time zone: their own, else the organization's, else UTC."""
    own = db.session.scalar(sa.select(User.time_zone).where(User.id == user_id))
    name = own or settings_of(require_tenant()).get("time_zone") or "UTC"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _local(moment, zone):
    return moment.replace(tzinfo=UTC).astimezone(zone) if moment.tzinfo is None else moment.astimezone(zone)


def date_in_words(moment, zone):
    """'Tuesday 1 December 2026' (empty for none); `moment` naive UTC as the databases keep it."""
    if moment is None:
        return ""
    local = _local(moment, zone)
    return f"{local:%A} {local.day} {local:%B %Y}"


def time_in_words(moment, zone):
    """'Thursday 26 November 2026, 09:15 (Europe/Paris)'."""
    local = _local(moment, zone)
    return f"{date_in_words(moment, zone)}, {local:%H:%M} ({zone.key})"
