"""Every API route declares its permission, and the role matrix holds on every route."""

import re

import pytest

from app.security.permissions import PLATFORM_OPERATOR, TENANT_ROLES, permissions_of
from app.tenancy.context import tenant_context

ANONYMOUS, OTHER_TENANT, OPERATOR = "anonymous", "other-tenant token", "operator token"


def api_routes(app):
    """(rule, method, view function) for every API route of the app."""
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint.startswith("api-docs"):
            continue
        view = app.view_functions[rule.endpoint]
        view_class = getattr(view, "view_class", None)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            func = getattr(view_class, method.lower()) if view_class else view
            yield rule, method, func


def declared(func):
    return getattr(func, "required_permission", None), getattr(func, "is_public", False)


def test_every_api_route_declares_a_permission_or_is_public(app):
    undeclared = [f"{method} {rule.rule}" for rule, method, func in api_routes(app) if declared(func) == (None, False)]
    assert undeclared == []
    assert len(list(api_routes(app))) >= 8


def _path(rule, tenant_id):
    return re.sub(r"<(?:int:)?[a-z_]+>", str(tenant_id), rule.rule)


def _expected(permission, public, principal, roles):
    if public:
        return "allowed"
    if principal in (ANONYMOUS, OTHER_TENANT) or roles is None:
        return 401
    kind = "api_key" if principal.startswith("key:") else "user"
    return "allowed" if permission in permissions_of(roles, kind) else 403


@pytest.fixture
def principals(app, make_tenant, login_as, operator_token):
    from blueprints.api_keys.services import create_api_key

    home, other = make_tenant(), make_tenant()
    tokens = {role: login_as(home, role) for role in TENANT_ROLES}
    tokens[OTHER_TENANT] = login_as(other, "org_admin")
    tokens[OPERATOR] = operator_token
    with tenant_context(home, app):
        for role in TENANT_ROLES:
            tokens[f"key:{role}"] = create_api_key(f"{role} key", [role], None).secret
    return home, tokens


def test_role_matrix_on_tenant_and_platform_hosts(app, api, principals):
    home, tokens = principals
    keys = [f"key:{role}" for role in TENANT_ROLES]
    failures = []
    # Signing out ends the token that calls it: that route goes last.
    routes = sorted(api_routes(app), key=lambda route: route[0].rule.endswith("/auth/logout"))
    for rule, method, func in routes:
        permission, public = declared(func)
        for host in (home, None):
            for principal in (ANONYMOUS, OTHER_TENANT, OPERATOR, *TENANT_ROLES, *keys):
                role = principal.removeprefix("key:")
                if host is None:  # on the platform only operators hold a valid credential
                    roles = (PLATFORM_OPERATOR,) if principal == OPERATOR else None
                else:
                    roles = (role,) if role in TENANT_ROLES else None
                # Our own ids for reads on the tenant host; deletes and the platform get an id that
                # does not exist, so the matrix cannot revoke or archive what later rows rely on.
                path = _path(rule, home.id if host and method != "DELETE" else 987654)
                if principal.startswith("key:"):
                    headers = {"X-API-Key": tokens[principal]}
                    response = api(host).open(method, path, json={}, headers=headers)
                else:
                    response = api(host, tokens.get(principal)).open(method, path, json={})
                expected = _expected(permission, public, principal, roles)
                status = response.status_code
                ok = status not in (401, 403) and status < 500 if expected == "allowed" else status == expected
                enveloped = response.is_json and response.get_json().get("success") is not None
                response.close()
                if not ok or (status >= 400 and not enveloped):
                    failures.append(
                        f"{method} {path} on {'tenant' if host else 'platform'} as {principal}: "
                        f"{status}, expected {expected}"
                    )
    assert failures == []
