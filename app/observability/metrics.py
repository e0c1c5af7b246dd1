"""Prometheus metrics of requests, jobs and imports (`/metrics` serves them: blueprints/operations).

With `PROMETHEUS_MULTIPROC_DIR` set (gunicorn.conf.py sets it; the workers' units name the same directory), every
process writes its samples to files there and a scrape of any web process adds up all of them: the gunicorn
workers' requests and the RQ workers' jobs alike. Without it, each process counts in memory (development, tests).

Labels are bounded: a route is its rule (`/courses/<int:course_id>`), never a path; a method outside HTTP's own
is "OTHER"; the first `LMS_METRICS_MAX_TENANTS` organizations a process serves get a label of their own, the
rest count as "other".
"""

import os
import threading
from pathlib import Path

from prometheus_client import Counter, Histogram, disable_created_metrics, values

MULTIPROCESS_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
_PID_AT_IMPORT = os.getpid()
_identity = {"value": None}  # set in an RQ work horse, see enter_work_horse


def _process_identity():
    return _identity["value"] or os.getpid()


if MULTIPROCESS_DIR:
    Path(MULTIPROCESS_DIR).mkdir(parents=True, exist_ok=True)  # a worker may start before the web server
    values.ValueClass = values.MultiProcessValue(process_identifier=_process_identity)
disable_created_metrics()  # `_created` series would double what a scrape carries, for no alert anyone writes

HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
JOB_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600)

http_requests = Counter(
    "tessera_http_requests",
    "HTTP requests answered, by route (its rule), method and status.",
    ["route", "method", "status"],
)
http_request_duration = Histogram(
    "tessera_http_request_duration_seconds",
    "Time from the request's arrival in the app to its response, by route and method.",
    ["route", "method"],
    buckets=REQUEST_BUCKETS,
)
tenant_requests = Counter(
    "tessera_tenant_requests", "HTTP requests per organization (a fixed budget of labels, then 'other').", ["tenant"]
)
job_duration = Histogram(
    "tessera_job_duration_seconds", "Background jobs' run time, by job function.", ["job"], buckets=JOB_BUCKETS
)
jobs_failed = Counter("tessera_jobs_failed", "Background job runs that raised, by job function.", ["job"])
import_rows = Counter(
    "tessera_import_rows", "Rows processed by people imports and roster syncs (rate() gives rows per second).", ["kind"]
)
notification_emails = Counter(
    "tessera_notification_emails",
    "Notification e-mails and digests by what became of a try: sent, delayed (tried again later), failed (refused "
    "for good with a 5xx) or given_up (still not taken NOTIFICATIONS_GIVE_UP_HOURS after the notification).",
    ["outcome"],
)


class TenantLabels:
    """The organizations that get a label of their own: the first `budget` seen by this process."""

    def __init__(self):
        self._seen = set()
        self._lock = threading.Lock()

    def label(self, slug, budget):
        if slug in self._seen:
            return slug
        with self._lock:
            if len(self._seen) < budget:
                self._seen.add(slug)
                return slug
        return "other"

    def __len__(self):
        return len(self._seen)


tenant_labels = TenantLabels()


_request_series = {}  # (route, method, status) -> (counter, histogram): labels() checks and locks at every call


def record_request(route, method, status, seconds, tenant_slug, tenant_budget):
    method = method if method in HTTP_METHODS else "OTHER"
    series = _request_series.get((route, method, status))
    if series is None:
        series = _request_series[(route, method, status)] = (
            http_requests.labels(route, method, str(status)),
            http_request_duration.labels(route, method),
        )
    series[0].inc()
    series[1].observe(seconds)
    if tenant_slug is not None:
        tenant_requests.labels(tenant_labels.label(tenant_slug, tenant_budget)).inc()


def record_job(dotted, seconds, failed):
    job_duration.labels(dotted).observe(seconds)
    if failed:
        jobs_failed.labels(dotted).inc()


def count_import_rows(kind, rows):
    """After each batch of a people import ("import") or a roster sync ("roster")."""
    if rows:
        import_rows.labels(kind).inc(rows)


def count_notification_emails(**counts):
    """After each batch of notification e-mails or digests: how many were sent, delayed, failed and given up."""
    for outcome, count in counts.items():
        if count:
            notification_emails.labels(outcome).inc(count)


def enter_work_horse():
    """In an RQ work horse (a child forked per job): write to its worker's files, not to files of its own.

    A worker runs one horse at a time, so they never write at once; without this every job would leave two
    files behind and a scrape would read thousands of them."""
    if MULTIPROCESS_DIR and os.getpid() != _PID_AT_IMPORT:
        _identity["value"] = f"horse-of-{_PID_AT_IMPORT}"
