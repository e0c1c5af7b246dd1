"""Review of issue 14 (the reports page's list): the reports mailed to other people never push one's own off it."""

import pytest

from app.extensions import db
from app.tenancy.context import tenant_context
from blueprints.reports.models import Report, ReportStatus
from blueprints.reports.report_lists import PAGE_SIZE
from tests.conftest import make_user
from tests.support.browser import Browser
from tests.support.report_schedules import schedule_row
from tests.support.reports import make_report, report_world


@pytest.fixture
def world(app, tenant, district):
    return report_world(app, tenant, district, make_user)


def test_reports_mailed_to_someone_whose_id_contains_mine_leave_my_list_alone(app, world):
    mine = make_report(world.manager, "course_completion", "csv")
    manager_id = mine["requested_by_id"]
    other = make_user(app, world.tenant, "teacher", email="other@example.org")
    while str(manager_id) not in str(other):  # a person whose id has the manager's in it (12 holds 1 and 2)
        other = make_user(app, world.tenant, "teacher", email=f"other{other}@example.org")
    with tenant_context(world.tenant, app):
        schedule_id = schedule_row(other, "Another's weekly report", recipient_ids=[other])
        for _ in range(PAGE_SIZE):
            db.session.add(
                Report(
                    kind="course_completion",
                    format="csv",
                    params={},
                    status=ReportStatus.QUEUED,
                    rows_done=0,
                    requested_by_id=other,
                    schedule_id=schedule_id,
                    recipient_ids=[other],
                )
            )
        db.session.commit()
    browser = Browser(app, world.tenant)
    browser.sign_in("boss@example.org")
    page = browser.get("/reports").get_data(as_text=True)
    assert f'id="report-row-{mine["id"]}"' in page
