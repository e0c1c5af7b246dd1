"""Class pages: managers create classes and manage rosters; teachers see the classes they teach."""

import re

from app.extensions import db
from app.tenancy.context import tenant_context
from tests.conftest import make_user
from tests.support.browser import Browser


def test_roster_management_and_teacher_view(app, api, tenant, login_as):
    from blueprints.branches.models import Branch

    with tenant_context(tenant, app):
        branch = Branch(code="north", name="North", settings={})
        db.session.add(branch)
        db.session.commit()
        branch_id = branch.id
    make_user(app, tenant, "teacher", email="teach@example.org", first_name="Tia")
    make_user(app, tenant, "student", email="stu@example.org", first_name="Stu")
    admin = Browser(app, tenant)
    admin.sign_in("admin@example.org")
    created = admin.post(
        "/classes",
        {"branch_id": str(branch_id), "name": "Geometry", "term_start": "2026-09-01", "term_end": "2027-06-30"},
        csrf_from="/classes",
    )
    assert created.status_code == 302
    roster_url = created.headers["Location"]
    admin.post(roster_url, {"emails": "teach@example.org", "role": "teacher"}, csrf_from=roster_url)
    added = admin.post(
        roster_url,
        {"emails": "stu@example.org\nghost@example.org", "role": "student"},
        csrf_from=roster_url,
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Nobody you manage has these addresses: ghost@example.org." in added
    assert "teach@example.org" in added and "stu@example.org" in added

    teacher = Browser(app, tenant)
    teacher.sign_in("teach@example.org")
    listing = teacher.get("/classes").get_data(as_text=True)
    assert "Geometry" in listing and "New class" not in listing
    assert "stu@example.org" in teacher.get(roster_url).get_data(as_text=True)

    page = admin.get(roster_url).get_data(as_text=True)
    student_id = re.search(r'id="member-(\d+)"><td>Stu', page).group(1)
    token = re.search(r"X-CSRFToken\": \"([^\"]+)\"", page).group(1)
    removed = admin.client.post(
        f"{roster_url}/members/{student_id}/remove",
        headers={"Host": admin.host, "HX-Request": "true", "X-CSRFToken": token},
    )
    assert removed.status_code == 200 and removed.get_data(as_text=True).strip() == ""
    assert "stu@example.org" not in admin.get(roster_url).get_data(as_text=True)

    student = Browser(app, tenant)
    student.sign_in("stu@example.org")
    assert student.get("/classes").status_code == 403
