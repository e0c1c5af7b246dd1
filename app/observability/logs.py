"""Log lines on stdout: JSON in production (one object a line, for a log shipper), text in development.

`LMS_LOG_FORMAT=json|text` picks the format (ProductionConfig defaults to json, the others to text). Every line
carries the request id of the request or job it belongs to. One handler on the root logger, so that the app's
own errors, RQ's worker lines and the libraries' warnings come out the same way; the `tessera.*` loggers
(`tessera.request`: a line per request, `tessera.job`: a line per job) log at INFO.
"""

import logging

from flask import logging as flask_logging

from app.observability.log_format import FORMATTERS, StdoutHandler
from app.observability.request_id import current_request_id

request_log = logging.getLogger("tessera.request")
job_log = logging.getLogger("tessera.job")
FORMATS = tuple(FORMATTERS)


class RequestIdFilter(logging.Filter):
    """Names on each record the request (or job) it belongs to, for the formatters."""

    def filter(self, record):
        record.request_id = current_request_id()
        return True


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
    handler.setFormatter(FORMATTERS[log_format]())
    handler.addFilter(RequestIdFilter())
    handler.tessera = True
    root = logging.getLogger()
    for existing in [h for h in root.handlers if getattr(h, "tessera", False)]:
        root.removeHandler(existing)
    root.addHandler(handler)
    logging.getLogger("tessera").setLevel(logging.INFO)
    app.logger.removeHandler(flask_logging.default_handler)  # errors go through ours, once
