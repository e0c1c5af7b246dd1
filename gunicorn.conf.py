"""gunicorn in production: `gunicorn -c gunicorn.conf.py wsgi:app` (README, "Production"; deploy/).

Threads (gthread), so that a page waiting on the database, and the bell's live stream, hold a thread and not a
process. The proxy headers are ProxyFix's business (LMS_TRUSTED_PROXIES, app/__init__.py): gunicorn trusts none
itself. No access log: the app logs one JSON line per request (app/observability). Prometheus' multiprocess
mode: every worker writes its samples under PROMETHEUS_MULTIPROC_DIR, and a scrape of any worker adds them up.
"""

import importlib.util
import logging
import multiprocessing
import os
import re
import tempfile
from pathlib import Path

from prometheus_client import multiprocess

os.environ.setdefault("LMS_ENV", "production")
# Set before a worker imports the app (prometheus_client reads it on import). Give the job workers the same
# directory (deploy/tessera.env) and their job metrics are scraped here too.
METRICS_DIR = os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="tessera-metrics-"))

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * multiprocessing.cpu_count() + 1)
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = 60  # a worker silent this long is killed and replaced
graceful_timeout = 30  # on restart, requests under way get this long to finish
keepalive = 5
# A worker is replaced after this many requests (give or take the jitter, so they do not all go at once):
# whatever a long-lived process accumulates is given back.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "5000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "500"))
# The workers' heartbeat files, in memory (gunicorn's own advice), never on a slow disk.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
forwarded_allow_ips = ""  # ProxyFix, behind LMS_TRUSTED_PROXIES proxies, decides what to believe
secure_scheme_headers = {}
accesslog = None
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
proc_name = "tessera-web"


def _log_format_module():
    """app/observability/log_format.py by its path, not as `app.observability.log_format`: that would import the
    app package, so the whole app, into the master, and workers forked from it would keep running that code after a
    `kill -HUP` (no preload_app here, so that a HUP loads a new release)."""
    path = Path(__file__).resolve().parent / "app" / "observability" / "log_format.py"
    spec = importlib.util.spec_from_file_location("tessera_log_format", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _ProcessId(logging.Filter):
    """gunicorn's own lines name the process that wrote them (the master, or which worker), as its text did."""

    def filter(self, record):
        record.fields = {"pid": record.process, **(getattr(record, "fields", None) or {})}
        return True


# gunicorn's own lines (starting, listening, workers booted, timed out or lost, shutting down) on stdout in the
# app's format, so that a log shipper reads one kind of line: JSON in production (LMS_LOG_FORMAT, as config.py
# decides it: json unless said otherwise when LMS_ENV is production, text otherwise).
_log_format = os.environ.get("LMS_LOG_FORMAT") or ("json" if os.environ["LMS_ENV"] == "production" else "text")
_formats = _log_format_module()
if _log_format not in _formats.FORMATTERS:
    raise RuntimeError(f"LMS_LOG_FORMAT is one of {', '.join(_formats.FORMATTERS)}, not {_log_format!r}.")
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"tessera": {"()": _formats.FORMATTERS[_log_format]}},
    "filters": {"process_id": {"()": _ProcessId}},
    "handlers": {"stdout": {"()": _formats.StdoutHandler, "formatter": "tessera", "filters": ["process_id"]}},
    "loggers": {
        "gunicorn.error": {"level": loglevel.upper(), "handlers": ["stdout"], "propagate": False},
        "gunicorn.access": {"handlers": [], "propagate": False},  # no access log: the app's request lines
    },
    # As without this dictionary: no handler on the root logger; a worker's app adds its own (app/observability).
    "root": {"level": "WARNING", "handlers": []},
}

_PROCESS_IN_NAME = re.compile(r"_(?:horse-of-)?(\d+)\.db$")


def _is_running(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: running
        return True
    return True


def on_starting(server):
    """Drop the metric files of processes that are gone (an earlier web server's workers); keep those of job
    workers still running, whose counts would otherwise vanish until their own restart."""
    Path(METRICS_DIR).mkdir(parents=True, exist_ok=True)
    for path in Path(METRICS_DIR).glob("*.db"):
        match = _PROCESS_IN_NAME.search(path.name)
        if match is None or not _is_running(int(match.group(1))):
            path.unlink(missing_ok=True)


def child_exit(server, worker):
    multiprocess.mark_process_dead(worker.pid)
