"""The audit trail's part of the demo: a few days of what an org admin would find in a real trail.

The seed itself runs as "system" outside any request, so what it changes leaves no sign-ins and no addresses.
These entries tell the story the demo's data already shows: people signing in (one mistyped password), the
manager's promotion to North's branch manager, the term's people import, sign-ups turned on.
"""

from datetime import timedelta

import sqlalchemy as sa

from app.extensions import db
from app.tenancy.context import require_tenant
from app.tenancy.models import utcnow
from blueprints.audit.models import AuditEvent, AuditOutcome
from blueprints.audit.recording import Acting, as_person, record
from blueprints.branches.queries import branch_names, branches_of
from blueprints.users.services import find_user_by_email

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
SAFARI = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Version/18.1 Mobile Safari/604.1"
CHROME = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_7) AppleWebKit/537.36 Chrome/131.0 Safari/537.36"
OFFICE, HOME, PHONE = "192.0.2.10", "198.51.100.42", "203.0.113.77"


def _entry(hours_ago, ip, agent, action, **fields):
    entry = record(action, **fields)
    entry.occurred_at = utcnow() - timedelta(hours=hours_ago)
    entry.ip, entry.user_agent = ip, agent
    return entry


def _sign_in(person, hours_ago, ip, agent, via="page"):
    target = {"target_type": "user", "target_id": person.id, "target_label": person.email}
    _entry(
        hours_ago,
        ip,
        agent,
        "auth.signed_in",
        **target,
        subject_user_id=person.id,
        details={"via": via},
        actor=as_person(person),
    )


def seed_audit_trail(_password):
    if db.session.scalar(sa.select(AuditEvent.id).where(AuditEvent.action == "auth.signed_in").limit(1)):
        return  # seeded before
    people = {key: find_user_by_email(f"{key}@demo.example") for key in ("admin", "manager", "teacher", "student")}
    if None in people.values():
        return
    admin, manager, teacher, student = people.values()
    by_admin = as_person(admin)
    tenant = require_tenant()

    _sign_in(admin, 74, OFFICE, FIREFOX)
    _entry(
        73.9,
        OFFICE,
        FIREFOX,
        "organization.settings_changed",
        target_type="organization",
        target_id=tenant.id,
        target_label=tenant.name,
        details={"self_registration": {"before": False, "after": True}},
        actor=by_admin,
    )
    _entry(
        73.5,
        OFFICE,
        FIREFOX,
        "user.roles_changed",
        target_type="user",
        target_id=manager.id,
        target_label=manager.email,
        subject_user_id=manager.id,
        details={"before": ["teacher"], "after": ["branch_manager"]},
        actor=by_admin,
    )
    for branch_id, name in branch_names(list(db.session.scalars(branches_of(manager.id)))).items():
        _entry(
            73.4,
            OFFICE,
            FIREFOX,
            "branch.managers_changed",
            target_type="branch",
            target_id=branch_id,
            target_label=name,
            subject_user_id=manager.id,
            details={
                "user_id": manager.id,
                "email": manager.email,
                "role_before": "teacher",
                "role_after": "branch_manager",
            },
            actor=by_admin,
        )
    _entry(
        72,
        None,
        None,
        "import.finished",
        target_type="import",
        target_label="autumn-term-people.csv",
        details={"status": "done", "rows": 56, "created": 12, "updated": 3, "unchanged": 40, "invalid": 1},
        actor=by_admin,
    )
    _sign_in(manager, 50, OFFICE, CHROME)
    _sign_in(teacher, 26, HOME, CHROME)
    _entry(
        3.2,
        PHONE,
        SAFARI,
        "auth.sign_in_failed",
        outcome=AuditOutcome.FAILURE,
        target_type="user",
        target_id=student.id,
        target_label=student.email,
        subject_user_id=student.id,
        details={"reason": "wrong_password", "via": "page"},
        actor=Acting("anonymous", None, ""),
    )
    _sign_in(student, 3.1, PHONE, SAFARI)
    _sign_in(admin, 1, OFFICE, FIREFOX)
    db.session.commit()
    yield "added a few days of audit trail (sign-ins, a role change, an import)"
