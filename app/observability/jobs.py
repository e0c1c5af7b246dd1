"""What every job leaves behind: it runs under the id of the request that queued it, logs one line, and is
counted in the job metrics."""

import logging
import time
from contextlib import contextmanager

from rq import get_current_job

from app.observability.logs import job_log, log_fields
from app.observability.metrics import enter_work_horse, record_job
from app.observability.request_id import current_request_id, set_job_request_id
from app.observability.statements import restart_statement_count, statement_count


@contextmanager
def observed_job(dotted, tenant_slug=None):
    """Around a job function run by the job runner (app/jobs.py): `dotted` names it in logs and metrics."""
    enter_work_horse()
    job = get_current_job()
    set_job_request_id(job.meta.get("request_id") if job is not None else None)
    restart_statement_count()
    started = time.perf_counter()
    outcome = "failed"
    try:
        yield
        outcome = "succeeded"
    finally:
        seconds = time.perf_counter() - started
        record_job(dotted, seconds, failed=outcome == "failed")
        if job_log.isEnabledFor(logging.INFO):
            fields = {
                "request_id": current_request_id(),
                "job": dotted,
                "job_id": job.id if job is not None else None,
                "tenant": tenant_slug,
                "duration_ms": round(seconds * 1000, 2),
                "queries": statement_count(),
                "outcome": outcome,
            }
            log_fields(job_log, f"{dotted} {outcome}", fields)
        set_job_request_id(None)
