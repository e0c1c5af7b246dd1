"""The log lines' two formats and their stdout handler, on the standard library alone.

gunicorn's master formats its own lines (start, stop, workers booted and lost) with these, through
gunicorn.conf.py's `logconfig_dict`, which loads this file by its path: importing it as part of the `app` package
would load the whole app into the master, and workers forked from it would keep that code after a `kill -HUP`.
The request id comes from the record (`record.request_id`, set by the app's filter, app/observability/logs.py);
gunicorn's lines have none and say null.
"""

import json
import logging
import sys
from datetime import UTC, datetime


class StdoutHandler(logging.StreamHandler):
    """Writes to whatever `sys.stdout` is when a line is written (a test's or a CLI runner's capture too)."""

    def __init__(self):
        logging.Handler.__init__(self)  # not StreamHandler's: it would keep the stdout of this moment

    @property
    def stream(self):
        return sys.stdout


def _time(record):
    return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JsonFormatter(logging.Formatter):
    """{"time", "level", "logger", "message", "request_id", ...the record's `fields`}; an exception as text."""

    def format(self, record):
        entry = {
            "time": _time(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        entry.update(getattr(record, "fields", None) or {})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, separators=(",", ":"))


class TextFormatter(logging.Formatter):
    """`time LEVEL [request id] logger: message key=value ...`, for people reading a terminal."""

    def format(self, record):
        fields = getattr(record, "fields", None) or {}
        extra = "".join(f" {key}={value}" for key, value in fields.items() if key not in ("request_id", "message"))
        line = f"{_time(record)} {record.levelname} [{getattr(record, 'request_id', None) or '-'}] {record.name}: "
        line += record.getMessage() + extra
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


FORMATTERS = {"json": JsonFormatter, "text": TextFormatter}
