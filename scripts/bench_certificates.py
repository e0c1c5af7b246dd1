"""Certificate benchmark: one PDF, and a course's worth of certificates issued, signed and stored.

    python -m scripts.bench_certificates [--renders 200] [--learners 1000] [--workers 2]

1. One certificate PDF: the shipped template (A4 landscape) with embedded fonts, a full-page background image
   (JPEG) and the QR code, rendered `--renders` times in one process after a first warm-up (fonts, the parsed
   template and the background are kept per process). Target: p50 at most 50 ms. Also timed: the same
   rendered PDF signed (RS256) and the token embedded, when the credentials part is installed.
2. Throughput: `--learners` learners complete a course: each completion's work (the subscriber's
   `issue_certificate`: the row, the log entry, the event) is done in turn, while `--workers` RQ workers
   (forking, as `flask worker`) render, sign, embed and store the certificates in batches of
   `issuance.RENDER_BATCH`. Timed from the first issue until every certificate is ready. Target: 1 000 in
   under 60 s on 2 workers.
Prints the figures, and JSON on the last line.
"""

import argparse
import hashlib
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime

import sqlalchemy as sa
from flask_migrate import upgrade as upgrade_control_plane
from PIL import Image, ImageDraw
from rq import Worker

from app import CONTROL_MIGRATIONS, create_app
from app.extensions import db
from app.jobs import get_queue, redis_connection
from app.security.actor import Actor
from app.storage import media_storage
from app.tenancy.context import tenant_context
from app.tenancy.provisioning import provision_tenant
from blueprints.certificates import issuance, templates
from blueprints.certificates.models import Certificate, CertificateStatus
from blueprints.courses import services as courses
from blueprints.users.services import create_user, find_user_by_email, principal_for_user
from config import Config
from tests.support.services import RedisServer


def worker_main(config_json):
    app = create_app(Config, **json.loads(config_json))
    with app.app_context():
        Worker([get_queue()], connection=redis_connection()).work()  # `flask worker`: a fork per job


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def background_jpeg():
    """A full-page A4 background at 150 dpi: a pale gradient with a guilloche-like pattern."""
    image = Image.new("RGB", (1754, 1240), "#f8fafc")
    draw = ImageDraw.Draw(image)
    for n in range(0, 1754, 14):
        draw.line([(n, 0), (1754 - n, 1240)], fill=(226, 232, 240), width=1)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def measure_render(renders, tenant_slug):
    template = templates.default_template()
    stored = media_storage().save(tenant_slug, io.BytesIO(background_jpeg()), 8 * 1024 * 1024)
    template.background_key = stored.key
    template.signatures = [{"name": "Ada Lovelace", "title": "Director of Studies"}, {"name": "Grace Hopper"}]
    db.session.commit()
    data = templates.CertificateData(
        learner_name="Αλέξανδρος Παπαδόπουλος",
        course_title="Ethics of Data",
        completed_at=datetime(2026, 11, 25),
        issued_at=datetime(2026, 11, 25),
        expires_at=None,
        code="7KQ2-M9XD-4TPA",
        verify_url=f"https://{tenant_slug}.localhost:5000/verify/7KQ2-M9XD-4TPA",
        organization_name="Bench Academy",
    )
    templates.render_pdf(template, data, *templates.template_images(template))  # warm-up: fonts, parse, image
    timings, cpu_timings, sign_timings, size = [], [], [], 0
    signing = issuance.credential_part("signing") if issuance.credentials_ready() else None
    for number in range(renders):
        data.code = f"7KQ2-M9XD-{number:04d}"
        data.verify_url = f"https://{tenant_slug}.localhost:5000/verify/{data.code}"
        begin, begin_cpu = time.perf_counter(), time.process_time()
        pdf = templates.render_pdf(template, data, *templates.template_images(template))
        timings.append((time.perf_counter() - begin) * 1000)
        cpu_timings.append((time.process_time() - begin_cpu) * 1000)
        size = len(pdf)
        if signing is not None:
            begin = time.perf_counter()
            claims = {
                "type": issuance.CREDENTIAL_TYPE,
                "credentialSubject": {"pdfSha256": hashlib.sha256(pdf).hexdigest()},
            }
            token = signing.sign(
                claims, subject_id="urn:bench", credential_id=data.verify_url, valid_from=datetime(2026, 1, 1)
            )
            issuance.credential_part("offline").embed_credential(pdf, token)
            sign_timings.append((time.perf_counter() - begin) * 1000)
    result = {
        "renders": renders,
        "p50_ms": round(statistics.median(timings), 1),
        "p95_ms": round(percentile(timings, 0.95), 1),
        "cpu_p50_ms": round(statistics.median(cpu_timings), 1),  # this process's CPU: what neighbours do not inflate
        "pdf_bytes": size,
    }
    if sign_timings:
        result["sign_and_embed_p50_ms"] = round(statistics.median(sign_timings), 1)
    return result


def measure_throughput(learners, workers):
    admin = Actor(principal_for_user(find_user_by_email("admin@example.org").id))
    course = courses.create_course({"title": "Ethics of Data", "status": "published"}, admin.principal, admin.scope)
    user_ids = []
    for number in range(learners):
        user_ids.append(create_user(f"l{number}@example.org", "student", f"Learner{number}", "Bench", commit=False))
    db.session.commit()
    user_ids = [user.id for user in user_ids]
    started = time.perf_counter()
    for user_id in user_ids:
        issuance.issue_certificate(course.id, user_id)
    issued_seconds = time.perf_counter() - started
    deadline = started + 600
    ready = 0
    while time.perf_counter() < deadline:
        db.session.rollback()
        counts = dict(
            db.session.execute(
                sa.select(Certificate.render_status, sa.func.count()).group_by(Certificate.render_status)
            ).all()
        )
        ready = counts.get(CertificateStatus.READY, 0)
        if ready + counts.get(CertificateStatus.FAILED, 0) >= learners:
            break
        time.sleep(0.05)
    return {
        "learners": learners,
        "workers": workers,
        "issued_seconds": round(issued_seconds, 1),
        "all_ready_seconds": round(time.perf_counter() - started, 1),
        "ready": ready,
        "failed": learners - ready,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--renders", type=int, default=200)
    parser.add_argument("--learners", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker_main(args.worker)
        return

    redis = RedisServer()
    workers = []
    settings = {
        "INSTANCE_DIR": tempfile.mkdtemp(prefix="tessera-bench-certificates-"),
        "REDIS_URL": redis.url,
        "LMS_BASE_DOMAIN": "localhost:5000",
        "RQ_QUEUE": "bench-certificates",
    }
    try:
        app = create_app(Config, **settings)
        with app.app_context():
            upgrade_control_plane(directory=str(CONTROL_MIGRATIONS))
            tenant = provision_tenant("bench", "Bench", "admin@example.org", "bench-passphrase-0").tenant.ref()
        with tenant_context(tenant, app):
            render = measure_render(args.renders, tenant.slug)
        signed = (
            f", signed and embedded p50 {render['sign_and_embed_p50_ms']} ms"
            if "sign_and_embed_p50_ms" in render
            else ""
        )
        print(
            f"one certificate PDF (fonts, background, QR): p50 {render['p50_ms']} ms, p95 {render['p95_ms']} ms "
            f"(CPU p50 {render['cpu_p50_ms']} ms), {render['pdf_bytes'] // 1024} KB{signed} "
            f"(load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
        )
        result = {"render": render}
        if issuance.credentials_ready():
            for _ in range(args.workers):
                command = [sys.executable, "-m", "scripts.bench_certificates", "--worker", json.dumps(settings)]
                workers.append(subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            time.sleep(3)  # up and idle
            with tenant_context(tenant, app):
                throughput = measure_throughput(args.learners, args.workers)
            print(
                f"{throughput['learners']} certificates on {args.workers} workers: issued in "
                f"{throughput['issued_seconds']} s, all rendered, signed and stored in "
                f"{throughput['all_ready_seconds']} s ({throughput['failed']} failed; load {os.getloadavg()[0]:.1f})"
            )
            result["throughput"] = throughput
        else:
            print("throughput: skipped (the credentials part, which signs, is not installed)")
        print(json.dumps(result))
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait()
        redis.stop()


if __name__ == "__main__":
    main()
