"""A refused token refresh (unknown, revoked, expired or reused refresh token; a deactivated account) is in the
organization's trail with its reason, committed though the request fails; a successful refresh is not (noise)."""

from datetime import timedelta

import sqlalchemy as sa

from app.extensions import db
from app.tenancy.context import tenant_context
from app.tenancy.models import utcnow
from blueprints.auth.models import RefreshToken
from blueprints.users.models import User
from tests.conftest import PASSWORD, make_user
from tests.support.audit import audit_entries


def _pair(api, tenant, email):
    answer = api(tenant).post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert answer.status_code == 200
    return answer.get_json()["data"]["refresh_token"]


def _refresh(api, tenant, token):
    return api(tenant).post("/api/v1/auth/refresh-token", json={"refresh_token": token})


def test_refused_refreshes_are_recorded_with_their_reason_and_successful_ones_are_not(app, api, tenant):
    email = "learner@example.org"
    user_id = make_user(app, tenant, "student", email=email)
    first = _pair(api, tenant, email)
    second = _refresh(api, tenant, first)
    assert second.status_code == 200
    assert audit_entries(app, tenant, "auth.refresh_refused") == []  # a refresh that works is not recorded

    assert _refresh(api, tenant, first).status_code == 401  # spent token again: the sign-in is revoked
    revoked = second.get_json()["data"]["refresh_token"]
    assert _refresh(api, tenant, revoked).status_code == 401  # revoked with its family
    assert _refresh(api, tenant, "not-a-token-at-all").status_code == 401

    expiring = _pair(api, tenant, email)
    with tenant_context(tenant, app):
        db.session.execute(sa.update(RefreshToken).values(expires_at=utcnow() - timedelta(minutes=1)))
        db.session.commit()
    assert _refresh(api, tenant, expiring).status_code == 401

    deactivated = _pair(api, tenant, email)
    with tenant_context(tenant, app):
        # deactivated without its sessions revoked (set_active revokes them: that refusal is "revoked")
        db.session.execute(sa.update(User).where(User.id == user_id).values(is_active=False))
        db.session.commit()
    assert _refresh(api, tenant, deactivated).status_code == 401

    recorded = audit_entries(app, tenant, "auth.refresh_refused")
    assert [entry["details"]["reason"] for entry in recorded] == [
        "reused",
        "revoked",
        "unknown_token",
        "expired",
        "inactive",
    ]
    assert {entry["outcome"] for entry in recorded} == {"failure"}
    known = [entry for entry in recorded if entry["details"]["reason"] != "unknown_token"]
    assert {(entry["subject_user_id"], entry["target_label"], entry["actor_label"]) for entry in known} == {
        (user_id, email, email)
    }
    assert recorded[0]["details"]["sign_in_revoked"] is True and recorded[1]["details"]["sign_in_revoked"] is False
    unknown = recorded[2]
    assert (unknown["actor_kind"], unknown["subject_user_id"], unknown["ip"]) == ("anonymous", None, "127.0.0.1")
