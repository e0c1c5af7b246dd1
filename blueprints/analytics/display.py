"""How a figure reads on a page: counts with thousands separators, percentages with one decimal, time spent
as people say it, days as dates; a missing figure (no graded attempt, no enrollment) is a dash."""

from datetime import date, datetime

MISSING = "—"


def count(value):
    return f"{value:,.1f}" if isinstance(value, float) and not value.is_integer() else f"{int(value):,}"


def percent(value):
    return f"{value:.1f} %"


def duration(seconds):
    """Time spent: "0 min", "under a minute", "12 min", "3 h 05 min" (a total of zero reads as nothing)."""
    seconds = int(seconds or 0)
    if seconds == 0:
        return "0 min"
    if seconds < 60:
        return "under a minute"
    hours, minutes = divmod(seconds // 60, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


def day(value):
    value = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    return f"{value.day} {value:%b %Y}"


def moment(value):
    value = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return f"{value.day} {value:%b %Y %H:%M} UTC"


FORMATS = {"count": count, "percent": percent, "duration": duration, "day": day, "datetime": moment, "text": str}


def format_figure(value, unit="count"):
    """`value` as a page shows it; `unit`: count, percent, duration (seconds), day, datetime or text."""
    if value is None or value == "":
        return MISSING
    return FORMATS[unit](value)
