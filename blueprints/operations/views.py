"""`/healthz`, `/readyz` and `/metrics`: on any host (a load balancer probes by address), never rate limited."""

from flask import Blueprint, abort, current_app, make_response

from blueprints.operations.access import may_read_metrics, may_read_readiness_detail
from blueprints.operations.exposition import scrape
from blueprints.operations.health import readiness

bp = Blueprint("operations", __name__)
PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"


def _uncached(body, status=200, mimetype=None):
    response = make_response(body, status)
    if mimetype:
        response.mimetype = mimetype
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/healthz")
def healthz():
    """Liveness: the process answers (no database, no Redis)."""
    return _uncached({"status": "ok"})


@bp.get("/readyz")
def readyz():
    """Readiness: 200 when the databases, Redis, the workers and the queues are fine, else 503; which check
    failed, and how long each took, only to the metrics token's holder or a platform operator."""
    ready, checks = readiness(current_app._get_current_object())
    body = {"status": "ok" if ready else "not ok"}
    if may_read_readiness_detail():
        body["checks"] = {name: {"ok": check.ok, "ms": check.ms, **check.detail} for name, check in checks.items()}
    return _uncached(body, 200 if ready else 503)


@bp.get("/metrics")
def metrics():
    """Prometheus metrics: with `Authorization: Bearer <LMS_METRICS_TOKEN>`, or from this machine when no token
    is configured."""
    if not may_read_metrics():
        abort(403, "Metrics need the metrics token (LMS_METRICS_TOKEN) as a bearer token.")
    return _uncached(scrape(current_app._get_current_object()), mimetype=PROMETHEUS_TEXT)
