"""The request path over HTTP: an authenticated, tenant-scoped API read against a bare Flask endpoint returning
the same envelope, each under the same gunicorn, loaded by wrk in the same run (issue 17, "The request path").

    python -m scripts.bench_http_path [--seconds 10] [--connections 16] [--worker-class sync] [--threads 1]

The app runs in its production configuration (SQLite files, rate limits and sessions on a throw-away Redis, the
limit raised so that wrk is never refused: every request is still counted and checked). `GET
/api/v1/courses/{id}` with a JWT: host resolution, token, principal (the person and their open sign-in), rate
limit, the course and its links, the envelope. Prints requests/s, p50 and p99 of both, their ratio, and the app
with one web process against two.
"""

import argparse
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from flask_migrate import upgrade as upgrade_control_plane

from app import CONTROL_MIGRATIONS, create_app
from app.tenancy.context import tenant_context
from app.tenancy.provisioning import provision_tenant
from blueprints.auth.services import access_token_for
from config import ProductionConfig
from tests.support.services import RedisServer, _stop, _wait_for_port, free_port

ROOT = Path(__file__).resolve().parents[1]
HOST = "bench.localhost:5000"


def environment(workdir, redis_url):
    instance = workdir / "instance"
    return {
        "LMS_ENV": "production",
        "SECRET_KEY": secrets.token_hex(32),
        "JWT_SECRET_KEY": secrets.token_hex(32),
        "JWT_ACCESS_TOKEN_MINUTES": "120",
        "LMS_BASE_DOMAIN": "localhost:5000",
        "LMS_INSTANCE_DIR": str(instance),
        "CONTROL_DATABASE_URL": f"sqlite:///{instance / 'control.db'}",
        "TENANT_DATABASE_URL_TEMPLATE": f"sqlite:///{instance / 'tenants' / '{slug}.db'}",
        "REDIS_URL": redis_url,
        "RQ_QUEUE": f"bench-http-{os.getpid()}",
        "RATELIMIT_AUTHENTICATED": "100000000 per minute",
    }


def seed(env):
    """One organization, its admin's token and a course; the course's envelope (the bare app serves it)."""
    saved = dict(os.environ)
    os.environ.update(env)  # production refuses to start without these set
    try:
        app = create_app(
            ProductionConfig,
            INSTANCE_DIR=env["LMS_INSTANCE_DIR"],
            CONTROL_DATABASE_URL=env["CONTROL_DATABASE_URL"],
            SQLALCHEMY_DATABASE_URI=env["CONTROL_DATABASE_URL"],
            TENANT_DATABASE_URL_TEMPLATE=env["TENANT_DATABASE_URL_TEMPLATE"],
            SECRET_KEY=env["SECRET_KEY"],
            JWT_SECRET_KEY=env["JWT_SECRET_KEY"],
            REDIS_URL=env["REDIS_URL"],
            RQ_QUEUE=env["RQ_QUEUE"],
            JWT_ACCESS_TOKEN_MINUTES=120,
            SESSION_COOKIE_SECURE=False,
        )
    finally:  # the later benchmarks of `make bench` run in development
        os.environ.clear()
        os.environ.update(saved)
    return _seed_in(app)


def _seed_in(app):
    with app.app_context():
        upgrade_control_plane(directory=str(CONTROL_MIGRATIONS))
        tenant = provision_tenant("bench", "Bench", "admin@example.org", "bench-admin-password-9").tenant.ref()
    with tenant_context(tenant, app):
        token = access_token_for(1, ("org_admin",), tenant)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}", "Host": HOST}
    created = client.post("/api/v1/courses", json={"title": "Algebra 1", "summary": "Numbers"}, headers=headers)
    if created.status_code != 201:
        raise RuntimeError(f"creating the course: {created.status_code} {created.get_data(as_text=True)[:300]}")
    course_id = created.get_json()["data"]["id"]
    body = client.get(f"/api/v1/courses/{course_id}", headers=headers).get_json()
    return token, course_id, body


def serve(target, env, workers, worker_class, threads, logs):
    """gunicorn serving `target` on a free port, once every worker has loaded it; (process, port)."""
    port = free_port()
    ready = Path(tempfile.mkdtemp(dir=logs))
    hooks = ready / "hooks.py"
    hooks.write_text(
        "from pathlib import Path\n\n\ndef post_worker_init(worker):\n"
        f"    Path({str(ready)!r}, f'worker-{{worker.pid}}').touch()\n"
    )
    command = [
        sys.executable, "-m", "gunicorn", target, "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
        "--worker-class", worker_class, "--threads", str(threads), "--worker-tmp-dir", "/dev/shm",  # noqa: S108
        "--log-level", "warning", "--config", str(hooks),
    ]  # fmt: skip
    log = open(logs / f"{target.split(':')[0]}-{workers}.log", "w")  # noqa: SIM115 (the process owns it)
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT)
    _wait_for_port(port, process, "gunicorn", timeout=60)
    deadline = time.monotonic() + 120
    while len([p for p in ready.iterdir() if p.name.startswith("worker-")]) < workers:
        if time.monotonic() > deadline or process.poll() is not None:
            raise RuntimeError(f"gunicorn's workers did not all start: see {log.name}")
        time.sleep(0.1)
    return process, port


def _milliseconds(text):
    value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]


def load(port, path, token, seconds, connections):
    """wrk against one server: requests/s, p50 and p99 in ms; refuses a run with any non-2xx answer."""
    command = [
        "wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency",
        "-H", f"Host: {HOST}", "-H", f"Authorization: Bearer {token}", f"http://127.0.0.1:{port}{path}",
    ]  # fmt: skip
    subprocess.run([*command[:3], "-d2s", *command[4:]], capture_output=True, check=True)  # warm-up
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in output or "Socket errors" in output:
        raise RuntimeError(f"wrk saw errors:\n{output}")
    return {
        "requests_per_second": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        # the latency distribution's lines ("     50%    1.23ms"), not a "+/- Stdev" column ending in 50%
        "p50_ms": _milliseconds(re.search(r"^\s+50%\s+(\S+)", output, re.M).group(1)),
        "p99_ms": _milliseconds(re.search(r"^\s+99%\s+(\S+)", output, re.M).group(1)),
    }


def measure(target, env, path, token, args, logs, workers):
    process, port = serve(target, env, workers, args.worker_class, args.threads, logs)
    try:
        return load(port, path, token, args.seconds, args.connections)
    finally:
        _stop(process)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--worker-class", default="sync")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: `make bench` installs it (scripts/system-deps.sh bench).")
    redis = RedisServer()
    workdir = Path(tempfile.mkdtemp(prefix="tessera-bench-http-"))
    try:
        env = environment(workdir, redis.url)
        token, course_id, body = seed(env)
        body_file = workdir / "body.json"
        body_file.write_text(json.dumps(body))
        path = f"/api/v1/courses/{course_id}"
        server = f"gunicorn --worker-class {args.worker_class} --threads {args.threads}"
        print(f"GET {path} with a JWT, {server}, wrk {args.connections} connections, {args.seconds} s each")
        app_two = measure("wsgi:app", env, path, token, args, workdir, workers=2)
        bare = measure("scripts.bench_bare_app:app", {"BENCH_BARE_BODY": str(body_file)}, path, token, args,
                       workdir, workers=2)  # fmt: skip
        app_one = measure("wsgi:app", env, path, token, args, workdir, workers=1)
        for label, figures in (("app, 2 processes", app_two), ("bare Flask, 2", bare), ("app, 1 process", app_one)):
            print(
                f"  {label:<18} {figures['requests_per_second']:>8.0f} req/s   p50 {figures['p50_ms']:.2f} ms   "
                f"p99 {figures['p99_ms']:.2f} ms"
            )
        ratio = 100 * app_two["requests_per_second"] / bare["requests_per_second"]
        scale = app_two["requests_per_second"] / app_one["requests_per_second"]
        print(
            f"  the app serves {ratio:.1f} % of the bare endpoint's rate (goal: 25 %); two processes {scale:.2f}x one"
        )
        return {"app_two": app_two, "bare": bare, "app_one": app_one, "ratio_percent": round(ratio, 1)}
    finally:
        redis.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
