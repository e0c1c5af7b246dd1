"""Review of issue 14 (reports' parameters): dates at the ends of the calendar are a 400 naming the field, never a
job that fails with "an error on our side"."""

import pytest

from tests.conftest import make_user
from tests.support.reports import report_world


@pytest.fixture
def world(app, tenant, district):
    return report_world(app, tenant, district, make_user)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"date_to": "9999-12-31"}, "date_to"),  # the job would add a day to it: OverflowError
        ({"date_from": "9999-12-30", "date_to": "9999-12-31"}, "date_to"),
        ({"date_from": "0001-01-01", "date_to": "0001-01-31"}, "date_from"),
    ],
)
def test_dates_at_the_ends_of_the_calendar_are_400(world, params, field):
    response = world.admin.post(
        "/api/v1/reports", json={"kind": "assessment_results", "format": "csv", "params": params}
    )
    assert response.status_code == 400, response.get_json()
    assert field in response.get_json()["error"]["details"]
