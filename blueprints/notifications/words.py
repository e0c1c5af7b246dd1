"""Dates and times as a person reads them, in words, in their time zone (`users.queries.time_zone_of`)."""

from datetime import UTC


def local_time(moment, zone):
    """`moment` (naive UTC as the databases keep it, or aware) on the clock of `zone`."""
    return moment.replace(tzinfo=UTC).astimezone(zone) if moment.tzinfo is None else moment.astimezone(zone)


def date_in_words(moment, zone):
    """'Tuesday 1 December 2026' (empty for none); `moment` naive UTC as the databases keep it."""
    if moment is None:
        return ""
    local = local_time(moment, zone)
    return f"{local:%A} {local.day} {local:%B %Y}"


def time_in_words(moment, zone):
    """'Thursday 26 November 2026, 09:15 (Europe/Paris)'."""
    local = local_time(moment, zone)
    return f"{date_in_words(moment, zone)}, {local:%H:%M} ({zone.key})"
