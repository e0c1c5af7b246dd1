"""`flask notifications sweep`: every active organization swept, one organization's failure stopping only its
own sweep; the command's one-line summary."""

from datetime import timedelta

import sqlalchemy as sa

from app.extensions import db
from app.tenancy.context import tenant_context
from app.tenancy.engines import engine_for
from app.tenancy.models import utcnow
from blueprints.notifications.models import Notification
from blueprints.notifications.producing import notify
from blueprints.notifications.sweep import sweep_all
from tests.conftest import make_user, run_jobs


def _delayed_email(app, tenant, email):
    """A notification whose e-mail was refused once and is due again now."""
    user_id = make_user(app, tenant, "student", email=email)
    with tenant_context(tenant, app):
        notify("badge_earned", [user_id], source_key="b1", context={"badge": {"name": "Safety first"}})
        db.session.commit()
        db.session.execute(
            sa.update(Notification).values(
                email_status="pending", email_attempts=1, email_due_at=utcnow() - timedelta(seconds=1)
            )
        )
        db.session.commit()


def test_one_organizations_failure_does_not_stop_the_others(app, make_tenant, mailbox):
    broken, healthy = make_tenant(), make_tenant()
    _delayed_email(app, healthy, "ada@example.org")
    with app.app_context():
        with engine_for(broken).begin() as connection:  # its database lost a table: its sweep raises
            connection.execute(sa.text("DROP TABLE notifications"))
        swept = sweep_all(app)
    assert swept.failed == [broken.slug]
    assert swept.queued == 1  # the healthy organization's delayed e-mail was queued again
    run_jobs(app)
    assert len(mailbox.to("ada@example.org")) == 1


def test_the_command_sweeps_once_and_says_what_it_did(app, tenant, mailbox):
    _delayed_email(app, tenant, "bob@example.org")
    result = app.test_cli_runner().invoke(args=["notifications", "sweep", "--once"])
    assert result.exit_code == 0, result.output
    assert "0 reminders, 0 digests, 1 e-mails queued again" in result.output
    run_jobs(app)
    assert len(mailbox.to("bob@example.org")) == 1
