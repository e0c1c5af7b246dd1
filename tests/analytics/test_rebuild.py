"""`flask analytics rebuild` per organization, and the demo that `make run` seeds ending with a rebuild: its
read model is filled before any worker has run, and equals what the sources say."""

import sqlalchemy as sa

from app.demo import DEMO_SLUG, seed_demo
from app.extensions import db
from app.tenancy.context import tenant_context
from app.tenancy.provisioning import get_tenant_by_slug
from blueprints.analytics.models import LearnerCourse
from tests.conftest import build_app, run_jobs
from tests.support.analytics import differences, expected_read_model, read_model, scenario  # noqa: F401 (fixture)


def test_the_command_rebuilds_one_organization_and_reports_it(app, tenant, scenario):  # noqa: F811
    before = read_model(app, tenant)
    with tenant_context(tenant, app):
        db.session.execute(sa.delete(LearnerCourse))
        db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["analytics", "rebuild", "--slug", tenant.slug])
    assert result.exit_code == 0, result.output
    enrollments, days = before
    assert f"{tenant.slug}: {len(enrollments)} enrollments, {len(days)} day rows in" in result.output
    assert "1 ok, 0 failed" in result.output
    assert read_model(app, tenant) == before

    every = runner.invoke(args=["analytics", "rebuild"])  # every active organization, this one among them
    assert every.exit_code == 0, every.output
    assert f"{tenant.slug}: {len(enrollments)} enrollments" in every.output and " ok, 0 failed" in every.output

    unknown = runner.invoke(args=["analytics", "rebuild", "--slug", "no-such-org"])
    assert unknown.exit_code != 0 and "no-such-org" in unknown.output


def test_the_demo_seed_ends_with_the_read_model_filled(app_config, tmp_path):
    demo_app = build_app(
        app_config,
        INSTANCE_DIR=str(tmp_path),
        CONTROL_DATABASE_URL=f"sqlite:///{tmp_path}/control.db",
        TENANT_DATABASE_URL_TEMPLATE=f"sqlite:///{tmp_path}/tenants/{{slug}}.db",
    )
    with demo_app.app_context():
        seeded = list(seed_demo("demo-password-123"))
        demo = get_tenant_by_slug(DEMO_SLUG).ref()
    assert seeded[-1].startswith("analytics read model: ")
    enrollments, days = read_model(demo_app, demo)
    assert enrollments and days
    expected = expected_read_model(demo_app, demo)
    assert (differences(enrollments, expected[0]), differences(days, expected[1])) == ([], [])
    run_jobs(demo_app)  # the worker then delivers the seed's events: the same rows
    assert read_model(demo_app, demo) == (enrollments, days)
