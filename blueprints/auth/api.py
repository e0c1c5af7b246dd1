"""`/api/v1/auth`: tokens, registration, password resets and `me`."""

from flask import request
from flask.views import MethodView

from app.api.blueprint import ApiBlueprint
from app.errors import NotFound
from app.security.actor import current_actor
from app.security.headers import no_store
from app.security.principal import public, requires
from app.security.rate_limits import limit_sensitive
from app.security.sessions import end_session
from app.tenancy.context import get_current_tenant
from blueprints.auth import schemas, services

blp = ApiBlueprint("auth", __name__, url_prefix="/api/v1/auth", description="Authentication.")
BEARER = [{"bearerAuth": []}]


def _tenant_or_404():
    tenant = get_current_tenant()
    if tenant is None:
        raise NotFound("This is done on your organization's address, not the platform's.")
    return tenant


@blp.route("/login")
class Login(MethodView):
    @public
    @limit_sensitive
    @no_store
    @blp.arguments(schemas.LoginSchema)
    @blp.response(200, schemas.TokenPairSchema)
    def post(self, credentials):
        """Exchange e-mail and password for an access token (15 min) and a refresh token."""
        agent = request.user_agent.string
        return services.login(credentials["email"], credentials["password"], get_current_tenant(), agent)


@blp.route("/refresh-token")
class RefreshToken(MethodView):
    @public
    @no_store
    @blp.arguments(schemas.RefreshSchema)
    @blp.response(200, schemas.TokenPairSchema)
    def post(self, data):
        """Spend a refresh token for a new pair; replaying a spent one revokes the whole sign-in."""
        return services.refresh(data["refresh_token"], get_current_tenant())


@blp.route("/logout")
class Logout(MethodView):
    @public
    @blp.arguments(schemas.LogoutSchema, required=False)
    @blp.response(200, schemas.AcceptedSchema)
    def post(self, data):
        """End a sign-in: the refresh token's (every token rotated from it), the bearer token's, any page session."""
        if get_current_tenant() is not None:
            services.logout(data["refresh_token"])
        services.end_current_sign_in()
        end_session()
        return {"message": "Signed out."}


@blp.route("/register")
class Register(MethodView):
    @public
    @limit_sensitive
    @no_store
    @blp.arguments(schemas.RegisterSchema)
    @blp.response(201, schemas.TokenPairSchema)
    def post(self, data):
        """Create a student account, where the organization allows self-registration."""
        return services.register(data, _tenant_or_404())


@blp.route("/forgot-password")
class ForgotPassword(MethodView):
    @public
    @limit_sensitive
    @blp.arguments(schemas.ForgotPasswordSchema)
    @blp.response(202, schemas.AcceptedSchema)
    def post(self, data):
        """Mail a password reset link, if the account exists (the answer is the same either way)."""
        services.request_password_reset_later(data["email"], _tenant_or_404())
        return {"message": "If the address belongs to an account, a reset link is on its way."}


@blp.route("/reset-password")
class ResetPassword(MethodView):
    @public
    @limit_sensitive
    @blp.arguments(schemas.ResetPasswordSchema)
    @blp.response(200, schemas.AcceptedSchema)
    def post(self, data):
        """Set a new password with the token from the reset e-mail (once, within an hour)."""
        _tenant_or_404()
        services.reset_password(data["token"], data["password"])
        return {"message": "Password changed. Sign in with the new one."}


@blp.route("/me")
class Me(MethodView):
    @requires("self.read")
    @blp.doc(security=BEARER)
    @blp.response(200, schemas.MeSchema)
    def get(self):
        """The signed-in account: roles, permissions, memberships and organization."""
        return services.describe_principal(current_actor.principal, get_current_tenant())
