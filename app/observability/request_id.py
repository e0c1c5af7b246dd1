"""One id per request (and per job, copied from the request that queued it): in logs, errors and audit entries.

An `X-Request-Id` sent by a trusted proxy is kept when it looks like an id (so a proxy's log and ours join);
anything else gets a fresh one. Part ops (docs/operations.md) returns it as a header, puts it in every error
envelope and logs, and hands it to the jobs a request queues.
"""

import re
import uuid

from flask import g, has_request_context, request

_ACCEPTABLE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_job_request_id = None  # set by the job runner for the job it runs (part ops)


def new_request_id():
    return uuid.uuid4().hex


def assign_request_id():
    """before_request: `g.request_id` from the incoming header when acceptable, else a new one."""
    incoming = request.headers.get("X-Request-Id", "")
    g.request_id = incoming if _ACCEPTABLE.match(incoming) else new_request_id()


def return_request_id(response):
    """after_request: the id goes back as `X-Request-Id`, so a caller can quote it and a proxy can log it."""
    request_id = g.get("request_id")
    if request_id:
        response.headers["X-Request-Id"] = request_id
    return response


def current_request_id():
    """The id of this request, of the job being run, or None (a CLI command)."""
    if has_request_context():
        return g.get("request_id")
    return _job_request_id


def set_job_request_id(value):
    global _job_request_id  # noqa: PLW0603 (one job at a time per worker process)
    _job_request_id = value if value and _ACCEPTABLE.match(str(value)) else None
