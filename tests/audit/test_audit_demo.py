"""`make run`'s org admin finds a populated audit trail: the demo logins' sign-ins, a role change, an import."""

from app.demo import seed_demo
from tests.conftest import build_app
from tests.support.browser import Browser


def test_the_demo_admin_sees_a_few_days_of_trail(app_config, tmp_path):
    demo_app = build_app(
        app_config,
        INSTANCE_DIR=str(tmp_path),
        CONTROL_DATABASE_URL=f"sqlite:///{tmp_path}/control.db",
        TENANT_DATABASE_URL_TEMPLATE=f"sqlite:///{tmp_path}/tenants/{{slug}}.db",
    )
    password = "demo-password-123"
    with demo_app.app_context():
        assert "added a few days of audit trail (sign-ins, a role change, an import)" in list(seed_demo(password))
        assert not [line for line in seed_demo(password) if "audit" in line]  # idempotent

    demo = type("Demo", (), {"slug": "demo"})
    browser = Browser(demo_app, demo)
    browser.sign_in("admin@demo.example", password)
    html = browser.get("/settings/audit-trail").get_data(as_text=True)
    for seen in (
        "manager@demo.example",
        "Changed a person&#39;s roles",
        "Imported people from a file",
        "autumn-term-people.csv",
        "Sign-in refused: wrong password",
        "203.0.113.77",
    ):
        assert seen in html, seen
    signed_in = browser.get("/settings/audit-trail?action=auth.signed_in").get_data(as_text=True)
    for login in ("admin", "manager", "teacher", "student"):
        assert f"{login}@demo.example" in signed_in
