"""The demo's reports are real files: `make run`'s org admin has a branch summary (PDF) and a course completion
(XLSX), its branch manager a course completion (CSV) of their branch's people, made by the worker."""

from app.demo import seed_demo
from tests.conftest import build_app, run_jobs
from tests.support.reports import csv_rows, pdf_text, xlsx_sheet


def test_the_demo_has_a_report_of_each_format(app_config, tmp_path):
    demo_app = build_app(
        app_config,
        INSTANCE_DIR=str(tmp_path),
        CONTROL_DATABASE_URL=f"sqlite:///{tmp_path}/control.db",
        TENANT_DATABASE_URL_TEMPLATE=f"sqlite:///{tmp_path}/tenants/{{slug}}.db",
    )
    password = "demo-password-123"
    with demo_app.app_context():
        seeded = list(seed_demo(password))
        assert "asked for the branch summary report (pdf) as admin@demo.example" in seeded
        assert not [line for line in seed_demo(password) if "report" in line]  # idempotent
    run_jobs(demo_app)
    client = demo_app.test_client()
    files = {}
    for email in ("admin@demo.example", "manager@demo.example"):
        headers = {"Host": "demo.localhost:5000"}
        login = client.post("/api/v1/auth/login", json={"email": email, "password": password}, headers=headers)
        headers["Authorization"] = f"Bearer {login.get_json()['data']['access_token']}"
        for report in client.get("/api/v1/reports", headers=headers).get_json()["data"]:
            assert report["status"] == "done", report
            files[(email, report["format"])] = client.get(report["download_url"], headers=headers).get_data()
    assert sorted(files) == [
        ("admin@demo.example", "pdf"),
        ("admin@demo.example", "xlsx"),
        ("manager@demo.example", "csv"),
    ]
    assert "Branch summary" in pdf_text(files[("admin@demo.example", "pdf")])
    _, admin_rows = xlsx_sheet(files[("admin@demo.example", "xlsx")])
    manager_rows = csv_rows(files[("manager@demo.example", "csv")])
    assert len(admin_rows) > 1 and 1 < len(manager_rows) <= len(admin_rows)
