"""The organization's roster as a OneRoster 1.2 CSV zip: branches (orgs), the classes' terms (academic sessions),
classes (each with a course of its own), people (users, roles) and class memberships (enrollments).

`sourcedId`s are the external ids where there are (so a school system's ids come back as they went in), else
`tessera-<kind>-<id>`. Our own sync reads the zip back unchanged (tests/integrations/test_roster_export.py).
"""

import csv
import io
import tempfile
import zipfile
from datetime import datetime

import sqlalchemy as sa
from flask import send_file

from app.extensions import db
from app.security.permissions import BRANCH_MANAGER, ORG_ADMIN, STUDENT, TEACHER
from app.tenancy.context import require_tenant
from app.tenancy.models import utcnow
from blueprints.branches.models import Branch, BranchMembership
from blueprints.classes.models import ClassMembership, SchoolClass
from blueprints.integrations import roster
from blueprints.users.models import User

ONEROSTER_ROLE = {STUDENT: "student", TEACHER: "teacher", BRANCH_MANAGER: "administrator", ORG_ADMIN: "administrator"}
FILES = (roster.ORGS, roster.SESSIONS, roster.COURSES, roster.CLASSES, roster.USERS, roster.ROLES, roster.ENROLLMENTS)
COLUMNS = {
    roster.ORGS: roster.HEADERS[roster.ORGS],
    roster.SESSIONS: (*roster.HEADERS[roster.SESSIONS], "schoolYear"),
    roster.COURSES: (
        *roster.HEADERS[roster.COURSES][:4],
        "schoolYearSourcedId",
        "courseCode",
        "grades",
        "orgSourcedId",
    ),
    roster.CLASSES: (
        *roster.HEADERS[roster.CLASSES][:5],
        "classCode",
        "classType",
        "location",
        "schoolSourcedId",
        "termSourcedIds",
    ),
    roster.USERS: (*roster.HEADERS[roster.USERS], "email", "primaryOrgSourcedId"),
    roster.ROLES: roster.HEADERS[roster.ROLES],
    roster.ENROLLMENTS: (*roster.HEADERS[roster.ENROLLMENTS], "primary"),
}


def _stamp(moment):
    return (moment or utcnow()).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _sourced(kind, external_id, row_id):
    return external_id or f"tessera-{kind}-{row_id}"


def _term_id(start, end):
    return f"tessera-term-{start.isoformat() if start else 'open'}-{end.isoformat() if end else 'open'}"


def write_zip(out):
    """Write the roster zip into the binary file `out`."""
    tables = {name: [] for name in FILES}
    branches = {}
    for b in db.session.execute(sa.select(Branch).where(Branch.archived_at.is_(None)).order_by(Branch.id)).scalars():
        branches[b.id] = _sourced("branch", b.external_id, b.id)
        tables[roster.ORGS].append([branches[b.id], "active", _stamp(b.updated_at), b.name, "school", b.code, ""])
    classes, terms = {}, {}
    query = sa.select(SchoolClass).where(SchoolClass.archived_at.is_(None), SchoolClass.branch_id.in_(list(branches)))
    for c in db.session.execute(query.order_by(SchoolClass.id)).scalars():
        sourced_id = _sourced("class", c.external_id, c.id)
        classes[c.id] = (sourced_id, branches[c.branch_id])
        term = ""
        if c.term_start and c.term_end:
            term = _term_id(c.term_start, c.term_end)
            terms[term] = (c.term_start, c.term_end)
        course = f"tessera-course-{sourced_id}"
        tables[roster.COURSES].append(
            [course, "active", _stamp(c.updated_at), c.name, "", "", "", branches[c.branch_id]]
        )
        tables[roster.CLASSES].append(
            [
                sourced_id,
                "active",
                _stamp(c.updated_at),
                c.name,
                course,
                "",
                "scheduled",
                "",
                branches[c.branch_id],
                term,
            ]
        )
    for term, (start, end) in sorted(terms.items()):
        row = [term, "active", _stamp(None), f"{start.isoformat()} to {end.isoformat()}", "term"]
        tables[roster.SESSIONS].append([*row, start.isoformat(), end.isoformat(), "", str(end.year)])
    memberships = {}
    for m in db.session.execute(
        sa.select(BranchMembership.user_id, BranchMembership.branch_id).order_by(BranchMembership.id)
    ):
        if m.branch_id in branches:
            memberships.setdefault(m.user_id, []).append(m.branch_id)
    users = {}
    for u in db.session.execute(sa.select(User).order_by(User.id)).scalars():
        sourced_id = _sourced("user", u.external_id, u.id)
        users[u.id] = sourced_id
        orgs = memberships.get(u.id, [])
        primary = branches[orgs[0]] if orgs else ""
        enabled = "true" if u.is_active else "false"
        tables[roster.USERS].append(
            [sourced_id, "active", _stamp(u.updated_at), enabled, u.email, u.first_name, u.last_name, u.email, primary]
        )
        for index, branch_id in enumerate(orgs):
            role_type = "primary" if index == 0 else "secondary"
            tables[roster.ROLES].append(
                [
                    f"tessera-role-{u.id}-{branch_id}",
                    "active",
                    _stamp(u.updated_at),
                    sourced_id,
                    role_type,
                    ONEROSTER_ROLE[u.role],
                    branches[branch_id],
                ]
            )
    query = sa.select(ClassMembership.id, ClassMembership.class_id, ClassMembership.user_id, ClassMembership.role)
    for m in db.session.execute(query.order_by(ClassMembership.id)):
        if m.class_id not in classes:
            continue
        class_sourced_id, school = classes[m.class_id]
        tables[roster.ENROLLMENTS].append(
            [
                f"tessera-enrollment-{m.id}",
                "active",
                _stamp(None),
                class_sourced_id,
                school,
                users[m.user_id],
                m.role,
                "false",
            ]
        )
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        manifest = [["propertyName", "value"], ["manifest.version", "1.0"], ["oneroster.version", "1.2"]]
        for key in (
            "academicSessions",
            "categories",
            "classes",
            "classResources",
            "courses",
            "courseResources",
            "demographics",
            "enrollments",
            "lineItems",
            "orgs",
            "resources",
            "results",
            "roles",
            "users",
        ):
            manifest.append([f"file.{key}", roster.BULK if f"{key}.csv" in tables else roster.ABSENT])
        manifest += [["source.systemName", "Tessera"], ["source.systemCode", require_tenant().slug]]
        archive.writestr(roster.MANIFEST, _csv(manifest))
        for name in FILES:
            archive.writestr(name, _csv([COLUMNS[name], *tables[name]]))


def _csv(rows):
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def download():
    out = tempfile.SpooledTemporaryFile(max_size=32 << 20)  # noqa: SIM115 (send_file closes it)
    write_zip(out)
    out.seek(0)
    name = f"oneroster-{require_tenant().slug}-{datetime.now().strftime('%Y%m%d')}.zip"
    return send_file(out, mimetype="application/zip", as_attachment=True, download_name=name)
