"""The demo's reports pages: the org admin's weekly branch summary (PDF) is scheduled, to her and the branch manager,
and her reports (tests/reports/test_reports_demo.py) are listed, downloadable; seeding again adds nothing."""

import re

from app.demo import seed_demo
from tests.conftest import build_app, run_jobs
from tests.support.browser import Browser


def test_the_demo_has_a_weekly_schedule_and_a_finished_report(app_config, tmp_path):
    demo_app = build_app(
        app_config,
        INSTANCE_DIR=str(tmp_path),
        CONTROL_DATABASE_URL=f"sqlite:///{tmp_path}/control.db",
        TENANT_DATABASE_URL_TEMPLATE=f"sqlite:///{tmp_path}/tenants/{{slug}}.db",
    )
    password = "demo-password-123"
    with demo_app.app_context():
        seeded = list(seed_demo(password))
        assert any(
            line.startswith("scheduled Weekly branch summary (PDF, Weekly on Monday at 06:00 UTC") for line in seeded
        )
        assert not [line for line in seed_demo(password) if "report" in line]  # idempotent
        tenant = type("Demo", (), {"slug": "demo"})
    run_jobs(demo_app)  # `make run`'s worker makes the demo's reports
    admin = Browser(demo_app, tenant)
    admin.sign_in("admin@demo.example", password)
    reports = admin.get("/reports").get_data(as_text=True)
    assert "Branch summary</a>" in reports and "Download<span" in reports
    schedules = admin.get("/reports/schedules").get_data(as_text=True)
    assert "Weekly branch summary" in schedules and "2 recipients" in schedules
    summary_row = re.search(r'Branch summary</a>.*?href="(/reports/\d+/download)"', reports, re.S)
    download = admin.get(summary_row.group(1))
    assert download.status_code == 200 and download.data.startswith(b"%PDF")
