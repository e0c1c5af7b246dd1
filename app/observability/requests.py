"""What every request leaves behind: its id on the response (and later its log line and metrics)."""

from app.observability.request_id import assign_request_id, current_request_id, return_request_id


def observe_requests(app):
    """Hooks registered before every other feature's: the id is assigned first, and the response is finished
    last (after_request runs in reverse order), so the id and the status are the final ones."""
    app.before_request(assign_request_id)
    app.after_request(return_request_id)
    app.add_template_global(current_request_id, "request_id")
