"""Every audited change, made through its real route, leaves exactly one entry naming who, what, from where.

Each case below does its setting-up, then one request (`Audited.send`) from its own address with its own request
id; the test finds the entries of the case's action carrying that request id (exactly one) and checks its actor,
target, subject, address and details. Bulk runs (an import, a roster sync) are written by their job: one entry per
run, for whoever started it, and no address.
"""

import io
import itertools
from dataclasses import dataclass
from datetime import timedelta

import pytest

from app.extensions import db
from app.security.tokens import token_digest
from app.tenancy.context import tenant_context
from app.tenancy.models import utcnow
from blueprints.auth.models import PasswordResetToken
from tests.conftest import PASSWORD, make_user, run_jobs, user_token
from tests.support.audit import audit_entries
from tests.support.browser import Browser
from tests.support.certificate_rows import make_certificate
from tests.support.courses import make_course
from tests.support.imports import HEADER
from tests.support.integrations import make_oneroster_integration, roster_zip
from tests.support.world import png_bytes

_numbers = itertools.count(10)
NEW_PASSWORD = "A-new-passphrase-for-audit-42"
ADMIN = ("user", 1, "admin@example.org")  # the tenant's first org admin, who runs most cases


@dataclass
class Audited:
    """The one request a case is about: from its own address, with its own request id."""

    send_with: object  # (method, path, **kwargs) -> response
    ip: str = ""
    request_id: str = ""

    def send(self, method, path, **kwargs):
        number = next(_numbers)
        self.ip = self.ip or f"203.0.113.{number}"
        self.request_id = f"audit-test-{number:04d}"
        headers = {"X-Request-Id": self.request_id, **kwargs.pop("headers", {})}
        return self.send_with(method, path, headers=headers, environ_base={"REMOTE_ADDR": self.ip}, **kwargs)


@dataclass
class Expected:
    action: str
    target_type: str
    target_id: object
    target_label: str
    subject_user_id: object = None
    actor: tuple = ADMIN  # (kind, id, label)
    details: dict | None = None  # a part of the entry's details
    outcome: str = "success"
    by_job: bool = False  # written by the job the request queued: no address


class Org:
    """The tenant, its first org admin signed in to the API, and quick ways to add what the cases act on."""

    def __init__(self, app, api, tenant):
        self.app, self.api, self.tenant = app, api, tenant
        self.admin = api(tenant, user_token(app, tenant, 1, "org_admin"))

    def audited(self, client=None):
        return Audited((client or self.admin).open)

    def person(self, role="student"):
        email = f"{role.replace('_', '-')}-{next(_numbers)}@example.org"
        return make_user(self.app, self.tenant, role, email=email), email

    def branch(self):
        code = f"b{next(_numbers)}"
        made = self.admin.post(f"/api/v1/organizations/{self.tenant.id}/branches", json={"code": code, "name": code})
        assert made.status_code == 201, made.get_json()
        return made.get_json()["data"]["id"], code

    def school_class(self):
        branch_id, _code = self.branch()
        made = self.admin.post("/api/v1/classes", json={"branch_id": branch_id, "name": "Algebra 1"})
        assert made.status_code == 201, made.get_json()
        return made.get_json()["data"]["id"]

    def webhook(self):
        made = self.admin.post("/api/v1/integrations", json={"kind": "webhook", "name": "Receiver"})
        assert made.status_code == 201, made.get_json()
        return made.get_json()["data"]["id"]


def ok(response, *statuses):
    assert response.status_code in (statuses or (200, 201, 202, 204)), response.get_data(as_text=True)[:500]
    return response


# --- the cases ----------------------------------------------------------------------------------------------
# Each takes an Org and returns (Audited, Expected), the audited request sent.


def signed_in_by_api(org):
    audited = Audited(org.api(org.tenant).open)
    ok(audited.send("POST", "/api/v1/auth/login", json={"email": "admin@example.org", "password": PASSWORD}))
    return audited, Expected("auth.signed_in", "user", "1", "admin@example.org", 1, details={"via": "api"})


def signed_in_on_the_page(org):
    browser = Browser(org.app, org.tenant)
    audited = Audited(
        lambda method, path, **kwargs: browser.post(path, kwargs.pop("data"), csrf_from="/login", **kwargs)
    )
    response = audited.send("POST", "/login", data={"email": "admin@example.org", "password": PASSWORD})
    ok(response, 302)
    return audited, Expected("auth.signed_in", "user", "1", "admin@example.org", 1, details={"via": "page"})


def _refused(org, email, password, reason, subject):
    audited = Audited(org.api(org.tenant).open)
    ok(audited.send("POST", "/api/v1/auth/login", json={"email": email, "password": password}), 401)
    return audited, Expected(
        "auth.sign_in_failed",
        "user",
        None if subject is None else str(subject),
        email,
        subject,
        actor=("anonymous", None, ""),
        details={"reason": reason, "via": "api"},
        outcome="failure",
    )


def refused_wrong_password(org):
    return _refused(org, "admin@example.org", "not-the-password-1", "wrong_password", 1)


def refused_unknown_account(org):
    return _refused(org, "nobody-here@example.org", "whatever-it-is-1", "unknown_account", None)


def refused_inactive_account(org):
    user_id, email = org.person()
    ok(org.admin.delete(f"/api/v1/users/{user_id}"))
    return _refused(org, email, PASSWORD, "inactive", user_id)


def refused_locked_out(org):
    """After the free wrong answers the account is slowed down: even the right password waits (429), recorded."""
    user_id, email = org.person()
    audited = Audited(org.api(org.tenant).open, ip="198.51.100.77")
    for _ in range(org.app.config["LOGIN_SLOWDOWN_AFTER"]):
        ok(audited.send("POST", "/api/v1/auth/login", json={"email": email, "password": "wrong-password-1"}), 401)
    ok(audited.send("POST", "/api/v1/auth/login", json={"email": email, "password": PASSWORD}), 429)
    return audited, Expected(
        "auth.sign_in_failed",
        "user",
        str(user_id),
        email,
        user_id,
        actor=("anonymous", None, ""),
        details={"reason": "locked_out", "via": "api", "code": "LOGIN_SLOWED_DOWN"},
        outcome="failure",
    )


def signed_out(org):
    pair = ok(org.api(org.tenant).post("/api/v1/auth/login", json={"email": "admin@example.org", "password": PASSWORD}))
    tokens = pair.get_json()["data"]
    audited = org.audited(org.api(org.tenant, tokens["access_token"]))
    ok(audited.send("POST", "/api/v1/auth/logout", json={"refresh_token": tokens["refresh_token"]}))
    return audited, Expected("auth.signed_out", "user", "1", "admin@example.org", 1, details={"via": "api"})


def password_reset_by_link(org):
    user_id, email = org.person()
    link_token = f"reset-token-{next(_numbers)}"
    with tenant_context(org.tenant, org.app):
        expires = utcnow() + timedelta(hours=1)
        db.session.add(PasswordResetToken(user_id=user_id, token_hash=token_digest(link_token), expires_at=expires))
        db.session.commit()
    audited = Audited(org.api(org.tenant).open)
    ok(audited.send("POST", "/api/v1/auth/reset-password", json={"token": link_token, "password": NEW_PASSWORD}))
    actor = ("user", user_id, email)
    return audited, Expected(
        "auth.password_changed", "user", str(user_id), email, user_id, actor=actor, details={"how": "reset_link"}
    )


def own_password_changed(org):
    user_id, email = org.person("teacher")
    browser = Browser(org.app, org.tenant)
    browser.sign_in(email)
    audited = Audited(
        lambda method, path, **kwargs: browser.post(path, kwargs.pop("data"), csrf_from="/profile", **kwargs)
    )
    form = {"form": "password", "password-current_password": PASSWORD}
    form |= {"password-new_password": NEW_PASSWORD, "password-confirm": NEW_PASSWORD}
    ok(audited.send("POST", "/profile", data=form), 302)
    actor = ("user", user_id, email)
    return audited, Expected(
        "auth.password_changed", "user", str(user_id), email, user_id, actor=actor, details={"how": "own"}
    )


def person_created(org):
    audited = org.audited()
    body = {"email": "new.person@example.org", "role": "teacher", "first_name": "Nia", "last_name": "New"}
    body["send_invitation"] = False
    user_id = ok(audited.send("POST", "/api/v1/users", json=body)).get_json()["data"]["id"]
    return audited, Expected(
        "user.created", "user", str(user_id), "new.person@example.org", user_id, details={"role": "teacher"}
    )


def person_updated(org):
    user_id, email = org.person()
    audited = org.audited()
    ok(audited.send("PUT", f"/api/v1/users/{user_id}", json={"first_name": "Renamed"}))
    details = {"first_name": {"before": "", "after": "Renamed"}}
    return audited, Expected("user.updated", "user", str(user_id), email, user_id, details=details)


def profile_updated(org):
    user_id, email = org.person()
    audited = org.audited()
    ok(audited.send("PUT", f"/api/v1/users/{user_id}/profile", json={"last_name": "Lovelace"}))
    details = {"last_name": {"before": "", "after": "Lovelace"}}
    return audited, Expected("user.updated", "user", str(user_id), email, user_id, details=details)


def roles_changed(org):
    user_id, email = org.person("teacher")
    audited = org.audited()
    ok(audited.send("PUT", f"/api/v1/users/{user_id}", json={"role": "org_admin"}))
    details = {"before": ["teacher"], "after": ["org_admin"]}
    return audited, Expected("user.roles_changed", "user", str(user_id), email, user_id, details=details)


def deactivated(org):
    user_id, email = org.person()
    audited = org.audited()
    ok(audited.send("DELETE", f"/api/v1/users/{user_id}"))
    return audited, Expected("user.deactivated", "user", str(user_id), email, user_id)


def reactivated(org):
    user_id, email = org.person()
    ok(org.admin.delete(f"/api/v1/users/{user_id}"))
    audited = org.audited()
    ok(audited.send("PUT", f"/api/v1/users/{user_id}", json={"is_active": True}))
    return audited, Expected("user.reactivated", "user", str(user_id), email, user_id)


def branch_manager_added(org):
    branch_id, code = org.branch()
    user_id, email = org.person("branch_manager")
    audited = org.audited()
    path = f"/api/v1/organizations/{org.tenant.id}/branches/{branch_id}/users"
    ok(audited.send("POST", path, json={"user_id": user_id, "role": "branch_manager"}))
    details = {"user_id": user_id, "email": email, "role_before": None, "role_after": "branch_manager"}
    return audited, Expected("branch.managers_changed", "branch", str(branch_id), code, user_id, details=details)


def class_members_added(org):
    class_id = org.school_class()
    user_id, _email = org.person("teacher")
    audited = org.audited()
    ok(audited.send("POST", f"/api/v1/classes/{class_id}/members", json={"user_ids": [user_id], "role": "teacher"}))
    details = {"added": [user_id], "role": "teacher"}
    return audited, Expected("class.members_changed", "class", str(class_id), "Algebra 1", user_id, details=details)


def class_member_removed(org):
    class_id = org.school_class()
    user_id, _email = org.person()
    ok(org.admin.post(f"/api/v1/classes/{class_id}/members", json={"user_ids": [user_id], "role": "student"}))
    audited = org.audited()
    ok(audited.send("DELETE", f"/api/v1/classes/{class_id}/members/{user_id}"))
    details = {"removed": [user_id], "role": "student"}
    return audited, Expected("class.members_changed", "class", str(class_id), "Algebra 1", user_id, details=details)


def people_imported(org):
    _branch_id, code = org.branch()
    rows = "".join(f"imported{n}@example.org,Imp,{n},student,{code},,,\n" for n in range(3))
    rows += f"bad-address,B,R,student,{code},,,\n"
    audited = org.audited()
    data = {"file": (io.BytesIO((HEADER + rows).encode()), "people.csv"), "mode": "commit", "send_invitations": "false"}
    response = ok(audited.send("POST", "/api/v1/imports", data=data, content_type="multipart/form-data"), 202)
    run_jobs(org.app)
    import_id = response.get_json()["data"]["id"]
    details = {"status": "done", "rows": 4, "created": 3, "updated": 0, "invalid": 1}
    return audited, Expected("import.finished", "import", str(import_id), "people.csv", details=details, by_job=True)


def roster_synced(org):
    integration_id = make_oneroster_integration(org.app, org.tenant, name="District SIS")
    audited = org.audited()
    data = {"file": (io.BytesIO(roster_zip()), "oneroster.zip"), "dry_run": "false"}
    path = f"/api/v1/integrations/{integration_id}/sync"
    sync_id = ok(audited.send("POST", path, data=data, content_type="multipart/form-data"), 202).get_json()["data"][
        "id"
    ]
    run_jobs(org.app)
    details = {"sync_id": sync_id, "status": "done"}
    return audited, Expected(
        "roster.synced", "integration", str(integration_id), "District SIS", details=details, by_job=True
    )


def settings_changed(org):
    audited = org.audited()
    ok(audited.send("PUT", f"/api/v1/organizations/{org.tenant.id}/settings", json={"time_zone": "Europe/Paris"}))
    details = {"time_zone": {"before": "UTC", "after": "Europe/Paris"}}
    return audited, Expected(
        "organization.settings_changed", "organization", str(org.tenant.id), org.tenant.name, details=details
    )


def branding_changed(org):
    audited = org.audited()
    ok(audited.send("PUT", f"/api/v1/organizations/{org.tenant.id}/settings", json={"primary_color": "#112233"}))
    details = {"primary_color": {"before": "#1d4ed8", "after": "#112233"}}
    return audited, Expected(
        "organization.branding_changed", "organization", str(org.tenant.id), org.tenant.name, details=details
    )


def logo_uploaded(org):
    audited = org.audited()
    path = f"/api/v1/organizations/{org.tenant.id}/settings/logo"
    logo = {"logo": (io.BytesIO(png_bytes()), "logo.png")}
    ok(audited.send("POST", path, data=logo, content_type="multipart/form-data"))
    details = {"logo": {"before": None, "after": "png"}}
    return audited, Expected(
        "organization.branding_changed", "organization", str(org.tenant.id), org.tenant.name, details=details
    )


def api_key_created(org):
    audited = org.audited()
    made = ok(audited.send("POST", "/api/v1/api-keys", json={"name": "Nightly export", "roles": ["teacher"]}))
    key = made.get_json()["data"]
    details = {"roles": ["teacher"], "prefix": key["prefix"]}
    return audited, Expected("api_key.created", "api_key", str(key["id"]), "Nightly export", details=details)


def api_key_revoked(org):
    key = ok(org.admin.post("/api/v1/api-keys", json={"name": "Old script", "roles": ["student"]})).get_json()["data"]
    audited = org.audited()
    ok(audited.send("DELETE", f"/api/v1/api-keys/{key['id']}"))
    return audited, Expected("api_key.revoked", "api_key", str(key["id"]), "Old script")


def integration_created(org):
    audited = org.audited()
    made = ok(audited.send("POST", "/api/v1/integrations", json={"kind": "webhook", "name": "CRM hook"}))
    integration_id = made.get_json()["data"]["id"]
    details = {"change": "created", "kind": "webhook"}
    return audited, Expected("integration.changed", "integration", str(integration_id), "CRM hook", details=details)


def integration_renamed_and_paused(org):
    integration_id = org.webhook()
    audited = org.audited()
    ok(audited.send("PUT", f"/api/v1/integrations/{integration_id}", json={"status": "paused", "name": "Old CRM"}))
    details = {
        "change": "paused",
        "fields": ["name", "status"],
        "status": {"before": "active", "after": "paused"},
        "name": {"before": "Receiver", "after": "Old CRM"},
    }
    return audited, Expected("integration.changed", "integration", str(integration_id), "Old CRM", details=details)


def integration_deleted(org):
    integration_id = org.webhook()
    audited = org.audited()
    ok(audited.send("DELETE", f"/api/v1/integrations/{integration_id}"))
    details = {"change": "deleted", "kind": "webhook"}
    return audited, Expected("integration.changed", "integration", str(integration_id), "Receiver", details=details)


def subscription_created(org):
    integration_id = org.webhook()
    audited = org.audited()
    body = {"url": "https://receiver.example.org/hook", "event_types": ["user.registered"]}
    made = ok(audited.send("POST", f"/api/v1/integrations/{integration_id}/webhooks", json=body))
    details = {"change": "subscription_created", "subscription_id": made.get_json()["data"]["id"]}
    return audited, Expected("integration.changed", "integration", str(integration_id), "Receiver", details=details)


def secret_rotated(org):
    integration_id = org.webhook()
    audited = org.audited()
    made = ok(audited.send("POST", f"/api/v1/integrations/{integration_id}/rotate-secret"))
    assert made.get_json()["data"]["signing_secret"]  # shown in the answer, never in the entry (checked below)
    details = {"change": "secret_rotated"}
    expected = Expected("integration.secret_rotated", "integration", str(integration_id), "Receiver", details=details)
    expected.secret = made.get_json()["data"]["signing_secret"]
    return audited, expected


def report_downloaded(org):
    made = ok(org.admin.post("/api/v1/reports", json={"kind": "course_completion", "format": "csv", "params": {}}))
    report_id = made.get_json()["data"]["id"]
    run_jobs(org.app)
    audited = org.audited()
    ok(audited.send("GET", f"/api/v1/reports/{report_id}/download"), 200)
    name = org.admin.get(f"/api/v1/reports/{report_id}").get_json()["data"]["file_name"]
    details = {"kind": "course_completion", "format": "csv"}
    return audited, Expected("report.downloaded", "report", str(report_id), name, details=details)


def certificate_revoked(org):
    course_id, _items = make_course(org.admin, title="Safety")
    learner_id, _email = org.person()
    certificate_id, code = make_certificate(org.app, org.tenant, course_id, learner_id)
    audited = org.audited()
    ok(audited.send("POST", f"/api/v1/certificates/{certificate_id}/revoke", json={"reason": "Issued by mistake"}))
    details = {"course_id": course_id, "reason": "Issued by mistake"}
    return audited, Expected(
        "certificate.revoked", "certificate", str(certificate_id), code, learner_id, details=details
    )


CASES = [
    signed_in_by_api,
    signed_in_on_the_page,
    refused_wrong_password,
    refused_unknown_account,
    refused_inactive_account,
    refused_locked_out,
    signed_out,
    password_reset_by_link,
    own_password_changed,
    person_created,
    person_updated,
    profile_updated,
    roles_changed,
    deactivated,
    reactivated,
    branch_manager_added,
    class_members_added,
    class_member_removed,
    people_imported,
    roster_synced,
    settings_changed,
    branding_changed,
    logo_uploaded,
    api_key_created,
    api_key_revoked,
    integration_created,
    integration_renamed_and_paused,
    integration_deleted,
    subscription_created,
    secret_rotated,
    report_downloaded,
    certificate_revoked,
]


@pytest.mark.parametrize("case", CASES, ids=[case.__name__ for case in CASES])
def test_the_route_records_one_entry_with_who_what_and_where(app, api, tenant, case):
    audited, expected = case(Org(app, api, tenant))
    entries = audit_entries(app, tenant, expected.action)
    if expected.by_job:  # the job's entry: the request that queued it is the newest before it
        found = entries[-1:]
    else:
        found = [entry for entry in entries if entry["request_id"] == audited.request_id]
    assert len(found) == 1, f"{len(found)} {expected.action} entries of request {audited.request_id}: {entries}"
    entry = found[0]
    assert (entry["actor_kind"], entry["actor_id"], entry["actor_label"]) == expected.actor
    assert (entry["target_type"], entry["target_id"], entry["target_label"]) == (
        expected.target_type,
        expected.target_id,
        expected.target_label,
    )
    assert entry["subject_user_id"] == expected.subject_user_id
    assert entry["outcome"] == expected.outcome
    for key, value in (expected.details or {}).items():
        assert entry["details"].get(key) == value, (key, entry["details"])
    if expected.by_job:
        assert entry["ip"] is None and entry["user_agent"] is None  # a job has no address
        assert entry["request_id"] in (None, audited.request_id)  # the request's id once jobs carry it (part ops)
    else:
        assert (entry["ip"], entry["request_id"]) == (audited.ip, audited.request_id)
        assert entry["user_agent"]
    secret = getattr(expected, "secret", None)
    if secret:
        assert secret not in repr(entry)
