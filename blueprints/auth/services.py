"""Signing in: tenant users on their organization's host, operators on the platform domain."""

from app.errors import Unauthorized
from app.security.operators import authenticate_operator
from app.security.tokens import issue_access_token
from blueprints.users.services import authenticate


def login(email, password, tenant):
    """An access token for valid credentials; the same 401 whether or not the e-mail exists."""
    if tenant is not None:
        account = authenticate(email, password)
        roles = (account.role,) if account else ()
    else:
        account = authenticate_operator(email, password)
        roles = ("platform_operator",)
    if account is None:
        raise Unauthorized("Invalid e-mail or password.", code="INVALID_CREDENTIALS")
    token, expires_in = issue_access_token(account.id, tenant.id if tenant else None, roles)
    return {"access_token": token, "token_type": "Bearer", "expires_in": expires_in}
