"""The list helper: every operator, typed values, sorting, paging and field selection, on real SQL."""

from datetime import datetime

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import MultiDict
from werkzeug.datastructures import MultiDict as M

from app.api.fields import parse_fields, select_fields
from app.api.listing import parse_list_query, run_list_query
from app.errors import BadRequest
from app.extensions import db
from app.tenancy.context import tenant_context
from app.tenancy.provisioning import provision_tenant
from blueprints.classes.services import CLASS_LIST
from blueprints.users.listing import USER_LIST
from blueprints.users.models import User
from tests.conftest import PASSWORD, destroy_tenant, unique_slug
from tests.support.statements import recorded_statements

PEOPLE = [
    # email, first, last, role, active, created
    ("ann@example.org", "Ann", "Archer", "teacher", True, datetime(2026, 1, 10)),
    ("bob@example.org", "Bob", "Baker", "student", True, datetime(2026, 2, 10)),
    ("cyd@example.org", "Cyd", "Cole", "student", False, datetime(2026, 3, 10)),
    ("dee@Example.net", "Dee", "Dunn", "branch_manager", True, datetime(2026, 4, 10)),
    ("eve@example.org", "Eve", "Evans", "student", True, datetime(2026, 5, 10)),
]


@pytest.fixture(scope="module")
def people_tenant(app):
    with app.app_context():
        tenant = provision_tenant(unique_slug("list"), "Listing", "zz-admin@example.org", PASSWORD).tenant.ref()
    with tenant_context(tenant, app):
        db.session.execute(sa.delete(User))
        for user_id, (email, first, last, role, active, created) in enumerate(PEOPLE, start=1):
            db.session.add(
                User(
                    id=user_id,
                    email=email,
                    first_name=first,
                    last_name=last,
                    role=role,
                    is_active=active,
                    created_at=created,
                    updated_at=created,
                )
            )
        db.session.commit()
    yield tenant
    destroy_tenant(app, tenant.id)


def run(app, tenant, **args):
    query = parse_list_query(MultiDict(args), USER_LIST)
    with tenant_context(tenant, app):
        page = run_list_query(db.session, sa.select(User), query, USER_LIST)
        return [user.first_name for user in page.items], page


@pytest.mark.parametrize(
    "args, expected",
    [
        ({"filter[role]": "student"}, ["Bob", "Cyd", "Eve"]),
        ({"filter[role][eq]": "teacher"}, ["Ann"]),
        ({"filter[role][ne]": "student"}, ["Ann", "Dee"]),
        ({"filter[created_at][gt]": "2026-03-10T00:00:00"}, ["Dee", "Eve"]),
        ({"filter[created_at][gte]": "2026-03-10T00:00:00"}, ["Cyd", "Dee", "Eve"]),
        ({"filter[created_at][lt]": "2026-02-10T00:00:00"}, ["Ann"]),
        ({"filter[created_at][lte]": "2026-02-10T00:00:00"}, ["Ann", "Bob"]),
        ({"filter[id][in]": "1,3"}, ["Ann", "Cyd"]),
        ({"filter[role][nin]": "student,teacher"}, ["Dee"]),
        ({"filter[email][like]": "%@example.org"}, ["Ann", "Bob", "Cyd", "Eve"]),
        ({"filter[email][like]": "%@example.net"}, []),  # like is case-sensitive on both databases
        ({"filter[email][ilike]": "%@EXAMPLE.NET"}, ["Dee"]),
        ({"filter[is_active]": "false"}, ["Cyd"]),
        ({"filter[is_active][eq]": "true", "filter[role]": "student"}, ["Bob", "Eve"]),
        ({"filter[id][gte]": "2", "filter[id][lte]": "3"}, ["Bob", "Cyd"]),
    ],
)
def test_every_operator(app, people_tenant, args, expected):
    names, page = run(app, people_tenant, sort="first_name", **args)
    assert names == expected
    assert page.total == len(expected)


def test_sort_on_several_fields_and_descending(app, people_tenant):
    names, _ = run(app, people_tenant, sort="-created_at")
    assert names == ["Eve", "Dee", "Cyd", "Bob", "Ann"]

    query = parse_list_query(M({"sort": "last_name,-first_name"}), USER_LIST)
    assert query.order == (("last_name", False), ("first_name", True))


def test_paging_and_meta(app, people_tenant):
    names, page = run(app, people_tenant, sort="first_name", page="2", per_page="2")
    assert names == ["Cyd", "Dee"]
    assert page.meta == {"page": 2, "per_page": 2, "total": 5}
    names, page = run(app, people_tenant, page="9", per_page="2")
    assert names == [] and page.total == 5


def test_a_page_is_two_queries_whatever_its_size(app, people_tenant):
    with recorded_statements(app, people_tenant) as recorded:
        run(app, people_tenant, per_page="100", **{"filter[role][in]": "student,teacher"})
    assert len(recorded.statements) == 2
    (first_sql, _parameters) = recorded.statements[0]
    assert "count" in first_sql.lower()


@pytest.mark.parametrize(
    "args, field",
    [
        ({"filter[password_hash]": "x"}, "filter[password_hash]"),
        ({"filter[role][regex]": "x"}, "filter[role][regex]"),
        ({"filter[id]": "abc"}, "filter[id]"),
        ({"filter[created_at][gt]": "yesterday"}, "filter[created_at][gt]"),
        ({"filter[is_active]": "maybe"}, "filter[is_active]"),
        ({"filter[id][like]": "1%"}, "filter[id][like]"),
        ({"filter[role": "x"}, "filter[role"),
        ({"sort": "password_hash"}, "sort"),
        ({"per_page": "101"}, "per_page"),
        ({"per_page": "0"}, "per_page"),
        ({"page": "first"}, "page"),
        ({"fields": "id,password_hash"}, "fields"),
    ],
)
def test_bad_parameters_are_400_with_the_field_named(args, field):
    with pytest.raises(BadRequest) as raised:
        parse_list_query(MultiDict(args), USER_LIST)
    assert field in raised.value.details
    assert raised.value.status == 400


@pytest.mark.parametrize("raw", ["20261126", "2026-W48-4", "2026-11-26T00:00", "26/11/2026"])
def test_a_date_filter_takes_calendar_dates_only(raw):
    """Python's date.fromisoformat also reads basic and week dates; an integrator writing one meant something
    else, so it is a 400 naming the filter rather than a silently different day."""
    key = "filter[term_start][gte]"
    with pytest.raises(BadRequest) as raised:
        parse_list_query(MultiDict({key: raw}), CLASS_LIST)
    assert key in raised.value.details
    assert parse_list_query(MultiDict({key: "2026-11-26"}), CLASS_LIST) is not None


def test_bad_filter_through_the_api_is_a_400_envelope(api, tenant, login_as):
    response = api(tenant, login_as(tenant, "org_admin")).get("/api/v1/users?filter[nope][eq]=1")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "BAD_REQUEST" and "filter[nope][eq]" in error["details"]


def test_field_selection_with_one_level_of_dots():
    selection = parse_fields("id,user.email,tags.name", {"id", "user", "tags", "name"})
    data = [{"id": 1, "name": "x", "user": {"email": "a@b.c", "secret": 1}, "tags": [{"name": "t", "id": 9}]}]
    assert select_fields(data, selection) == [{"id": 1, "user": {"email": "a@b.c"}, "tags": [{"name": "t"}]}]
    with pytest.raises(BadRequest):
        parse_fields("user.address.street", {"user"})


def test_fields_through_the_api(api, tenant, login_as):
    body = api(tenant, login_as(tenant, "org_admin")).get("/api/v1/users?fields=id,email").get_json()
    assert body["data"] and all(set(row) == {"id", "email"} for row in body["data"])
    assert body["meta"]["total"] == 2
