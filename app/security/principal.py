"""Who is acting: resolved once per request, and the one permission check pages and API share.

API requests authenticate with `Authorization: Bearer <access token>` or `X-API-Key: <key>`;
pages with the session cookie (Flask-Login). The API never accepts the cookie, so it needs no CSRF.
"""

from dataclasses import dataclass
from functools import wraps

from flask import g, request
from flask_login import current_user

from app.errors import PermissionDenied, Unauthorized
from app.security.permissions import denial_message, permissions_of
from app.security.principal_cache import principal_cache
from app.security.tokens import InvalidToken, decode_access_token
from app.tenancy.context import get_current_tenant

_loaders = {}
NARROWED_KEY_PERMISSIONS = frozenset({"integrations.manage"})


@dataclass(frozen=True)
class Principal:
    kind: str  # "user" (a tenant's user), "api_key" (a tenant's key) or "operator" (platform)
    id: int
    email: str
    roles: tuple
    tenant_id: int | None
    session_id: str | None = None  # the sign-in a page session or access token belongs to
    # an API key narrowed to one integration: it reaches that integration's routes only, as its manager
    integration_id: int | None = None

    @property
    def permissions(self):
        if self.integration_id is not None:
            return NARROWED_KEY_PERMISSIONS
        return permissions_of(self.roles, self.kind)

    def can(self, permission):
        return permission in self.permissions


def register_principal_loader(kind, loader):
    """`loader(identifier, session_id=None)` returns a Principal for an active account of this kind, or None.

    With a session id (users, operators), the account's sign-in of that id must still be open."""
    _loaders[kind] = loader


def load_principal(kind, identifier, session_id=None):
    """The loader's principal of an account; a person's is kept between requests (app/security/principal_cache.py)."""
    loader = _loaders[kind]
    cache = principal_cache() if kind == "user" else None
    tenant = get_current_tenant()
    if cache is None or tenant is None:
        return loader(identifier, session_id)
    return cache.principal((tenant.slug, tenant.id, identifier, session_id), lambda: loader(identifier, session_id))


def _unauthorized(message, code=None):
    return Unauthorized(message, code=code, headers={"WWW-Authenticate": 'Bearer realm="tessera"'})


def _from_bearer(header, tenant):
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorized("Authorization header must be `Bearer <token>`.")
    try:
        claims = decode_access_token(token.strip(), tenant.id if tenant else None)
    except InvalidToken as error:
        raise _unauthorized(f"Invalid access token: {error}", code="INVALID_TOKEN") from None
    principal = load_principal("user" if tenant else "operator", int(claims["sub"]), claims["sid"])
    if principal is None:
        raise _unauthorized("This token's sign-in has ended, or its account is inactive.", code="INVALID_TOKEN")
    return principal


def _from_api_key(raw_key, tenant):
    principal = _loaders["api_key"](raw_key) if tenant else None
    if principal is None:
        raise _unauthorized("Invalid or revoked API key.", code="INVALID_API_KEY")
    _within_its_integration(principal)
    return principal


def _within_its_integration(principal):
    """A key narrowed to an integration (docs/integrations.md, "API keys") reaches
    `/api/v1/integrations/<its id>` and below, and nothing else: every other route refuses it here, once."""
    if principal.integration_id is None:
        return
    own = f"/api/v1/integrations/{principal.integration_id}"
    if request.path != own and not request.path.startswith(own + "/"):
        raise PermissionDenied(
            f"This API key is narrowed to integration {principal.integration_id}: it reaches {own} and below only.",
            {"api_key": ["narrowed to one integration"]},
            code="KEY_NARROWED",
        )


def _from_session():
    return current_user.principal if current_user.is_authenticated else None


def _principal_from_request():
    tenant = get_current_tenant()
    if not request.path.startswith("/api/"):
        return _from_session()
    if request.headers.get("Authorization"):
        return _from_bearer(request.headers["Authorization"], tenant)
    if request.headers.get("X-API-Key"):
        return _from_api_key(request.headers["X-API-Key"], tenant)
    return None


def current_principal():
    """The authenticated principal of this request, or None for an anonymous one."""
    if "principal" not in g:
        g.principal = _principal_from_request()
    return g.principal


def try_current_principal():
    """The principal, or None when the credentials are invalid or refused here (for rate-limit keys, logs)."""
    try:
        return current_principal()
    except (Unauthorized, PermissionDenied):
        return None


def requires(permission):
    """The route needs an authenticated principal holding `permission` (401, then 403)."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            principal = current_principal()
            if principal is None:
                raise _unauthorized("Authentication required.")
            if not principal.can(permission):
                raise PermissionDenied(denial_message(permission), {"permission": [permission]})
            return view(*args, **kwargs)

        wrapper.required_permission = permission
        return wrapper

    return decorator


def public(view):
    """The route is open to anonymous callers, deliberately."""
    view.is_public = True
    return view
