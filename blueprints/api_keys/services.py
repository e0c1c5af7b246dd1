"""API keys: created by org admins, shown once, stored as a digest, acting with chosen roles."""

import hmac
import secrets
from dataclasses import dataclass

import sqlalchemy as sa

from app.errors import NotFound, ValidationFailed
from app.extensions import db
from app.security.actor_ids import actor_ids
from app.security.permissions import TENANT_ROLES
from app.security.principal import Principal, register_principal_loader
from app.security.tokens import token_digest
from app.tenancy.context import require_tenant
from app.tenancy.models import utcnow
from blueprints.api_keys.models import ApiKey
from blueprints.audit.recording import record
from blueprints.integrations.queries import integration_exists

KEY_PREFIX = "tsk"
# Recording last use costs a write; once a minute per key is precise enough for an admin page.
LAST_USED_PRECISION_SECONDS = 60


@dataclass
class CreatedKey:
    key: ApiKey
    secret: str  # the whole key, returned once and never again


def create_api_key(name, roles, actor, integration_id=None):
    """A new key; `actor` (the principal creating it, a person or another key) is recorded. A key made for an
    integration (`integration_id`, one of this organization's) reaches that integration's routes only, as their
    manager: it has no roles of its own (docs/integrations.md, "API keys")."""
    name = (name or "").strip()
    problems = {}
    if not name or len(name) > 100:
        problems["name"] = ["Give the key a name of 1 to 100 characters."]
    roles = sorted(set(roles or []))
    if integration_id is not None:
        if not integration_exists(integration_id):
            problems["integration_id"] = ["No such integration in this organization."]
        roles = []
    elif not roles or any(role not in TENANT_ROLES for role in roles):
        problems["roles"] = [f"Choose one or more of {', '.join(TENANT_ROLES)}."]
    if problems:
        raise ValidationFailed("The API key is not valid.", problems)
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    user_id, api_key_id = actor_ids(actor)
    key = ApiKey(name=name, prefix=prefix, key_hash=token_digest(secret), roles=roles, integration_id=integration_id)
    key.created_by_id, key.created_by_api_key_id = user_id, api_key_id
    db.session.add(key)
    db.session.flush()  # the entry names the new key's id
    record(
        "api_key.created",
        target_type="api_key",
        target_id=key.id,
        target_label=key.name,
        details={"roles": roles, "integration_id": integration_id, "prefix": prefix},
        actor=actor,
    )
    db.session.commit()
    return CreatedKey(key, f"{KEY_PREFIX}_{prefix}_{secret}")


def list_api_keys():
    return db.session.scalars(
        sa.select(ApiKey).order_by(ApiKey.revoked_at.is_not(None), ApiKey.created_at.desc())
    ).all()


def revoke_api_key(key_id):
    key = db.session.get(ApiKey, key_id)
    if key is None:
        raise NotFound("No such API key.")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        record("api_key.revoked", target_type="api_key", target_id=key.id, target_label=key.name)
        db.session.commit()
    return key


def principal_for_api_key(raw_key):
    """The principal of an active key of the current tenant, or None."""
    parts = (raw_key or "").split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        return None
    _, prefix, secret = parts
    key = db.session.scalar(sa.select(ApiKey).where(ApiKey.prefix == prefix))
    if key is None or key.revoked_at is not None or not hmac.compare_digest(key.key_hash, token_digest(secret)):
        return None
    now = utcnow()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() >= LAST_USED_PRECISION_SECONDS:
        key.last_used_at = now
        db.session.commit()
    return Principal(
        "api_key",
        key.id,
        f"api-key:{key.name}",
        tuple(key.roles),
        require_tenant().id,
        integration_id=key.integration_id,
    )


register_principal_loader("api_key", principal_for_api_key)


def created_key_view(created):
    """What the create response shows: the key's fields plus the secret, this once."""
    key = created.key
    return {
        "id": key.id,
        "name": key.name,
        "prefix": key.prefix,
        "roles": key.roles,
        "integration_id": key.integration_id,
        "created_at": key.created_at,
        "last_used_at": key.last_used_at,
        "revoked_at": key.revoked_at,
        "key": created.secret,
    }
