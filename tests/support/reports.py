"""Reports for the tests: a district with learners, progress, attempts, sign-ins and certificates in two branches,
reports asked for through the API and run by the jobs, and their files read back (CSV, XLSX, PDF)."""

import csv
import io
from datetime import timedelta
from types import SimpleNamespace

import openpyxl
import pypdf
import sqlalchemy as sa

from app.extensions import db
from app.tenancy.context import tenant_context
from app.tenancy.models import utcnow
from blueprints.assessments.models import AttemptStatus, QuizAttempt
from blueprints.branches.models import BranchMembership
from blueprints.courses.models import ContentItem
from blueprints.learning.models import Enrollment, ItemProgress
from tests.support.attempts import make_quiz
from tests.support.certificate_rows import certificate_row

FORMULA_NAMES = ('=HYPERLINK("http://evil.example","x")', "+1", "@x", "-2")


def _enrollment(course_id, user_id):
    return db.session.scalar(
        sa.select(Enrollment).where(Enrollment.course_id == course_id, Enrollment.user_id == user_id)
    )


def report_world(app, tenant, district, make_user):
    """`district` (tests/support/courses.py) plus: four North learners with formula-like first names, North's
    learner half-way through "Safety for everyone" and overdue on "North only", South's learner done with it,
    graded attempts of both, and a certificate each."""
    admin, teacher = district["admin"], district["teacher"]
    courses, people = district["courses"], district["people"]
    with tenant_context(tenant, app):
        north_branch = db.session.scalar(
            sa.select(BranchMembership.branch_id).where(BranchMembership.user_id == people["north"])
        )
        south_branch = db.session.scalar(
            sa.select(BranchMembership.branch_id).where(BranchMembership.user_id == people["south"])
        )
    formula_people = []
    for number, name in enumerate(FORMULA_NAMES):
        user_id = make_user(app, tenant, "student", email=f"formula{number}@example.org", first_name=name)
        added = admin.post(
            f"/api/v1/organizations/{tenant.id}/branches/{north_branch}/users",
            json={"user_id": user_id, "role": "student"},
        )
        assert added.status_code in (200, 201), added.get_json()
        formula_people.append(user_id)
    enrolled = teacher.post(
        f"/api/v1/courses/{courses['everyone']}/enrollments", json={"user_ids": [people["north"], *formula_people]}
    )
    assert enrolled.status_code == 201, enrolled.get_json()
    enrolled = teacher.post(f"/api/v1/courses/{courses['north']}/enrollments", json={"user_ids": [people["north"]]})
    assert enrolled.status_code == 201, enrolled.get_json()
    quiz_id = make_quiz(app, tenant, courses["everyone"])
    now = utcnow()
    with tenant_context(tenant, app):
        first_item = db.session.scalar(
            sa.select(ContentItem.id).where(ContentItem.course_id == courses["everyone"]).order_by(ContentItem.id)
        )
        items = db.session.scalars(sa.select(ContentItem.id).where(ContentItem.course_id == courses["everyone"])).all()
        north = _enrollment(courses["everyone"], people["north"])
        db.session.add(ItemProgress(enrollment_id=north.id, item_id=first_item, completed_at=now - timedelta(hours=2)))
        north.seconds_spent = 610
        south = _enrollment(courses["everyone"], people["south"])
        for item_id in items:
            db.session.add(ItemProgress(enrollment_id=south.id, item_id=item_id, completed_at=now - timedelta(days=1)))
        south.completed_at, south.seconds_spent = now - timedelta(days=1), 1800
        overdue = _enrollment(courses["north"], people["north"])
        overdue.due_at = now - timedelta(days=3, hours=1)
        for user_id, percent, number in (
            (people["north"], 40.0, 1),
            (people["north"], 80.0, 2),
            (people["south"], 90.0, 1),
        ):
            db.session.add(
                QuizAttempt(
                    quiz_id=quiz_id,
                    user_id=user_id,
                    number=number,
                    status=AttemptStatus.GRADED,
                    seed=1,
                    started_at=now - timedelta(hours=5),
                    submitted_at=now - timedelta(hours=4),
                    score=percent / 50,
                    max_score=2.0,
                    percent=percent,
                    passed=percent >= 50,
                )
            )
        db.session.commit()
        certificate_row(courses["everyone"], people["south"], holder_name="South Learner", course_title="Safety")
        certificate_row(courses["north"], people["north"], holder_name="North Learner", course_title="North only")
    return SimpleNamespace(
        **district,
        tenant=tenant,
        branches={"north": north_branch, "south": south_branch},
        formula_people=formula_people,
        quiz_id=quiz_id,
    )


def make_report(client, kind, format, **params):
    """POST /reports; returns the report (asserting 202)."""
    response = client.post("/api/v1/reports", json={"kind": kind, "format": format, "params": params})
    assert response.status_code == 202, response.get_json()
    return response.get_json()["data"]


def csv_rows(data):
    """A CSV report's rows (header first), checking its BOM."""
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data[3:].decode("utf-8"), newline="")))


def xlsx_sheet(data):
    """The first sheet of an XLSX report (openpyxl), and its rows as values."""
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    sheet = workbook.worksheets[0]
    return sheet, [list(row) for row in sheet.iter_rows(values_only=True)]


def pdf_text(data):
    assert data.startswith(b"%PDF")
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)
