"""Page sessions (Flask-Login): a host-only cookie naming one account of one tenant."""

from dataclasses import dataclass

from flask import session
from flask_login import LoginManager, UserMixin, login_user, logout_user

from app.security.principal import Principal, load_principal
from app.tenancy.context import get_current_tenant

login_manager = LoginManager()
login_manager.login_view = "auth_pages.login"
login_manager.login_message = None  # the login page explains itself


@dataclass(frozen=True)
class SessionAccount(UserMixin):
    principal: Principal
    display_name: str

    def get_id(self):
        tenant_id = self.principal.tenant_id or 0
        return f"{self.principal.kind}:{tenant_id}:{self.principal.id}:{self.principal.session_id}"


@login_manager.user_loader
def load_account(session_id):
    """The account of a session cookie, only on the host of the tenant it was issued for."""

    parts = session_id.split(":")
    if len(parts) != 4:  # a cookie from before sign-ins were recorded: sign in again
        return None
    kind, tenant_id, account_id, sign_in_id = parts
    tenant = get_current_tenant()
    if not (tenant_id.isdigit() and account_id.isdigit()) or int(tenant_id) != (tenant.id if tenant else 0):
        return None
    if kind not in ("user", "operator") or (kind == "user") != (tenant is not None):
        return None
    principal = load_principal(kind, int(account_id), sign_in_id)
    if principal is None:
        return None
    return SessionAccount(principal, principal.email)


def start_session(principal):
    """Sign in on this host; a fresh session, so that a planted session id gains nothing.

    `principal.session_id` names the sign-in the caller opened; the cookie carries it."""
    session.clear()
    login_user(SessionAccount(principal, principal.email))


def end_session():
    logout_user()
    session.clear()


def init_sessions(app):
    login_manager.init_app(app)
