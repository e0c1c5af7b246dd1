"""Log lines on stdout: JSON in production (one object a line, for a log shipper), text in development.

`LMS_LOG_FORMAT=json|text` picks the format (ProductionConfig defaults to json, the others to text). Every line
carries the request id of the request or job it belongs to. One handler on the root logger, so that the app's
own errors, RQ's worker lines and the libraries' warnings come out the same way; the `tessera.*` loggers
(`tessera.request`: a line per request, `tessera.job`: a line per job) log at INFO.
"""

import json
import logging
import sys
from datetime import UTC, datetime

from flask import logging as flask_logging

from app.observability.request_id import current_request_id

request_log = logging.getLogger("tessera.request")
job_log = logging.getLogger("tessera.job")
FORMATS = ("json", "text")


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
            "request_id": current_request_id(),
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
        line = f"{_time(record)} {record.levelname} [{current_request_id() or '-'}] {record.name}: "
        line += record.getMessage() + extra
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def log_fields(logger, message, fields):
    """An INFO line of `message` with these fields; without logging's search of the caller's frame (the
    formatters print no file or line), which was a tenth of a request line's cost."""
    if logger.isEnabledFor(logging.INFO):
        record = logger.makeRecord(logger.name, logging.INFO, "", 0, message, (), None, extra={"fields": fields})
        logger.handle(record)


def configure_logging(app):
    """One stdout handler on the root logger in the app's format (an app built again replaces it)."""
    log_format = app.config["LOG_FORMAT"]
    if log_format not in FORMATS:
        raise RuntimeError(f"LMS_LOG_FORMAT is one of {', '.join(FORMATS)}, not {log_format!r}.")
    handler = StdoutHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    handler.tessera = True
    root = logging.getLogger()
    for existing in [h for h in root.handlers if getattr(h, "tessera", False)]:
        root.removeHandler(existing)
    root.addHandler(handler)
    logging.getLogger("tessera").setLevel(logging.INFO)
    app.logger.removeHandler(flask_logging.default_handler)  # errors go through ours, once
