"""The worker process of the analytics benchmark's reports: runs the queued jobs, prints its time and peak memory.

    python -m scripts.bench_report_worker SETTINGS.json

A module of its own, so that the process loads what a real worker loads (the app and RQ) and nothing of the
benchmark (test services, the generator), and its peak RSS is the job's.
"""

import json
import sys
import time
from pathlib import Path

from rq import SimpleWorker

from app import create_app
from app.jobs import get_queue, ready_for_jobs, redis_connection
from config import Config


def peak_rss_mb():
    """This process's own high-water RSS. Not getrusage's ru_maxrss: Linux carries that across exec from the
    parent that forked us (the benchmark, with a gigabyte of generated rows), which is not the worker's."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return None


def main():
    settings = json.loads(Path(sys.argv[1]).read_text())
    app = create_app(Config, **settings)
    ready_for_jobs(app)  # as `flask worker` does
    rss_before = peak_rss_mb()
    started, cpu = time.perf_counter(), time.process_time()
    with app.app_context():
        SimpleWorker([get_queue()], connection=redis_connection()).work(burst=True)
    figures = {
        "seconds": round(time.perf_counter() - started, 2),
        # the CPU of the job (SQLite's work included: it runs in this process): what an idle machine would take
        "cpu_seconds": round(time.process_time() - cpu, 2),
        "rss_at_start_mb": rss_before,
        "peak_rss_mb": peak_rss_mb(),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
