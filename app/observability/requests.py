"""What every request leaves behind: its id on the response, one log line, and its metrics."""

import logging
import time

from flask import current_app, g, request

from app.observability.logs import configure_logging, log_fields, request_log
from app.observability.metrics import record_request
from app.observability.request_id import assign_request_id, current_request_id, return_request_id
from app.observability.statements import count_statements, restart_statement_count, statement_count

UNMATCHED = "<unmatched>"  # no route matched (a 404 or 405 of the router): one label, not the raw path


def start_request():
    g.request_started = time.perf_counter()
    restart_statement_count()
    assign_request_id()


def route_of_request():
    """The route's rule (`/api/v1/courses/<int:course_id>`), never the path: bounded for metrics, and a reset
    link's token (in the path) never reaches a log."""
    rule = request.url_rule
    return rule.rule if rule is not None else UNMATCHED


def finish_request(response):
    """after_request, the last to run: the id goes back on the response, the request is counted and logged."""
    return_request_id(response)
    started = g.get("request_started")
    seconds = time.perf_counter() - started if started else 0.0
    route = route_of_request()
    tenant = g.get("tenant")
    tenant_slug = tenant.slug if tenant is not None else None
    record_request(
        route, request.method, response.status_code, seconds, tenant_slug, current_app.config["METRICS_MAX_TENANTS"]
    )
    if request_log.isEnabledFor(logging.INFO):
        _log_request(response.status_code, route, seconds, tenant_slug)
    return response


def _log_request(status, route, seconds, tenant_slug):
    principal = g.get("principal")
    fields = {
        "request_id": current_request_id(),
        "tenant": tenant_slug,
        "principal": f"{principal.kind}:{principal.id}" if principal is not None else None,
        "method": request.method,
        "route": route,
        "status": status,
        "duration_ms": round(seconds * 1000, 2),
        "queries": statement_count(),
        "remote_addr": request.remote_addr,
    }
    log_fields(request_log, f"{request.method} {route} {status}", fields)


def observe_requests(app):
    """Hooks registered before every other feature's: the id is assigned first, and the response is finished
    last (after_request runs in reverse order), so the id and the status are the final ones."""
    configure_logging(app)
    count_statements()
    app.before_request(start_request)
    app.after_request(finish_request)
    app.add_template_global(current_request_id, "request_id")
