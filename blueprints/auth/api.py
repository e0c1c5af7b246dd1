"""`/api/v1/auth`: sign in for an access token."""

import marshmallow as ma
from flask.views import MethodView

from app.api.blueprint import ApiBlueprint
from app.security.principal import public
from app.tenancy.context import get_current_tenant
from blueprints.auth import services

blp = ApiBlueprint("auth", __name__, url_prefix="/api/v1/auth", description="Authentication.")


class LoginSchema(ma.Schema):
    email = ma.fields.String(required=True)
    password = ma.fields.String(required=True, load_only=True)


class TokenSchema(ma.Schema):
    access_token = ma.fields.String()
    token_type = ma.fields.String()
    expires_in = ma.fields.Integer(metadata={"description": "Seconds"})


@blp.route("/login")
class Login(MethodView):
    @public
    @blp.arguments(LoginSchema)
    @blp.response(200, TokenSchema)
    def post(self, credentials):
        """Exchange e-mail and password for a bearer access token."""
        return services.login(credentials["email"], credentials["password"], get_current_tenant())
