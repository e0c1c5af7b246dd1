"""Review of issue 14 (reports) as the least trusted user of each role: who may still open a report and its
file once their role is gone, and how many reports one person can pile up."""

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.tenancy.context import tenant_context
from blueprints.reports.generation import MAX_WAITING_REPORTS
from blueprints.reports.models import Report
from blueprints.users.models import User
from tests.conftest import make_user, run_jobs
from tests.support.browser import Browser
from tests.support.reports import make_report, report_world


@pytest.fixture
def world(app, tenant, district):
    return report_world(app, tenant, district, make_user)


def _demote(app, tenant, user_id):
    with tenant_context(tenant, app):
        db.session.get(User, user_id).role = "student"
        db.session.commit()


def test_a_requester_demoted_to_student_no_longer_opens_their_report_on_its_pages(app, world):
    """A branch manager's report lists other people's records; once they are a student (no reports.manage),
    neither its page nor its file is theirs any more (the API already refuses them)."""
    report = make_report(world.manager, "course_completion", "csv")
    run_jobs(app)
    browser = Browser(app, world.tenant)
    browser.sign_in("boss@example.org")
    assert browser.get(f"/reports/{report['id']}/download").status_code == 200  # while they manage a branch

    _demote(app, world.tenant, report["requested_by_id"])
    assert browser.get(f"/reports/{report['id']}/download").status_code == 404
    assert browser.get(f"/reports/{report['id']}").status_code == 404


def test_a_recipient_demoted_to_student_no_longer_opens_the_mailed_report(app, world):
    """A schedule's recipient is staff when mailed; a recipient who is a student since gets nothing from the link."""
    report = make_report(world.admin, "course_completion", "csv")
    recipient = make_user(app, world.tenant, "teacher", email="recipient@example.org")
    with tenant_context(world.tenant, app):
        db.session.get(Report, report["id"]).recipient_ids = [recipient]
        db.session.commit()
    run_jobs(app)
    browser = Browser(app, world.tenant)
    browser.sign_in("recipient@example.org")
    assert browser.get(f"/reports/{report['id']}/download").status_code == 200

    _demote(app, world.tenant, recipient)
    assert browser.get(f"/reports/{report['id']}/download").status_code == 404
    assert browser.get(f"/reports/{report['id']}").status_code == 404


def test_one_person_cannot_pile_up_reports_while_they_are_made(app, world):
    """Each report is a job and a file kept for days: a requester has at most MAX_WAITING_REPORTS waiting (429 past
    them, on the API and the page), and may ask again once they are done."""
    for _ in range(MAX_WAITING_REPORTS):
        make_report(world.manager, "course_completion", "csv")
    refused = world.manager.post("/api/v1/reports", json={"kind": "course_completion", "format": "csv"})
    assert refused.status_code == 429, refused.get_json()
    assert refused.get_json()["error"]["code"] == "RATE_LIMITED"
    browser = Browser(app, world.tenant)
    browser.sign_in("boss@example.org")
    page = browser.post("/reports", {"kind": "course_completion", "format": "csv"}, csrf_from="/reports")
    assert page.status_code == 422 and "reports at a time" in page.get_data(as_text=True)
    with tenant_context(world.tenant, app):
        assert db.session.scalar(sa.select(sa.func.count(Report.id))) == MAX_WAITING_REPORTS
    # someone else is not held up by them
    make_report(world.admin, "course_completion", "csv")

    run_jobs(app)
    make_report(world.manager, "course_completion", "csv")
