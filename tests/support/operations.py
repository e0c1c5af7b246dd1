"""Job functions and helpers of the operations tests (request ids, logs, metrics, health)."""

from app.observability.request_id import current_request_id


def request_id_seen_by_job():
    """A job that answers the request id it runs under."""
    return current_request_id()


def failing_job():
    raise RuntimeError("this job fails on purpose")
