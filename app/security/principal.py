"""Who is acting: resolved once per request from the bearer token, and the checks on it."""

from dataclasses import dataclass
from functools import wraps

from flask import g, request

from app.errors import PermissionDenied, Unauthorized
from app.security.permissions import permissions_of
from app.security.tokens import InvalidToken, decode_access_token
from app.tenancy.context import get_current_tenant

_loaders = {}


@dataclass(frozen=True)
class Principal:
    kind: str  # "user" (a tenant's user) or "operator" (platform)
    id: int
    email: str
    roles: tuple
    tenant_id: int | None

    @property
    def permissions(self):
        return permissions_of(self.roles)

    def can(self, permission):
        return permission in self.permissions


def register_principal_loader(kind, loader):
    """`loader(id)` returns a Principal for an active account of this kind, or None."""
    _loaders[kind] = loader


def _unauthorized(message):
    return Unauthorized(message, headers={"WWW-Authenticate": 'Bearer realm="tessera"'})


def _principal_from_request():
    header = request.headers.get("Authorization", "")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise _unauthorized("Authorization header must be `Bearer <token>`.")
    tenant = get_current_tenant()
    try:
        claims = decode_access_token(token.strip(), tenant.id if tenant else None)
    except InvalidToken as error:
        raise _unauthorized(f"Invalid access token: {error}") from None
    kind = "user" if tenant else "operator"
    principal = _loaders[kind](int(claims["sub"]))
    if principal is None:
        raise _unauthorized("The account of this token is no longer active.")
    return principal


def current_principal():
    """The authenticated principal of this request, or None for an anonymous one."""
    if "principal" not in g:
        g.principal = _principal_from_request()
    return g.principal


def requires(permission):
    """The route needs an authenticated principal holding `permission` (401, then 403)."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            principal = current_principal()
            if principal is None:
                raise _unauthorized("Authentication required.")
            if not principal.can(permission):
                raise PermissionDenied(f"This needs the `{permission}` permission.")
            return view(*args, **kwargs)

        wrapper.required_permission = permission
        return wrapper

    return decorator


def public(view):
    """The route is open to anonymous callers, deliberately."""
    view.is_public = True
    return view
