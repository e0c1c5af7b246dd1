"""`/api/v1/api-keys`: an org admin's service-to-service credentials."""

from flask.views import MethodView

from app.api.blueprint import ApiBlueprint
from app.security.actor import current_actor
from app.security.headers import no_store
from app.security.principal import requires
from blueprints.api_keys import schemas, services

blp = ApiBlueprint("api_keys", __name__, url_prefix="/api/v1/api-keys", description="API keys (X-API-Key).")
BEARER = [{"bearerAuth": []}]


@blp.route("")
class ApiKeys(MethodView):
    @requires("api_keys.manage")
    @blp.doc(security=BEARER)
    @blp.response(200, schemas.ApiKeySchema(many=True))
    def get(self):
        """List the organization's API keys (never their secrets)."""
        return services.list_api_keys()

    @requires("api_keys.manage")
    @no_store
    @blp.doc(security=BEARER)
    @blp.arguments(schemas.ApiKeySchema)
    @blp.response(201, schemas.CreatedApiKeySchema)
    def post(self, data):
        """Create a key acting with the given roles, or narrowed to one integration (`integration_id`: that
        integration's routes only); the response holds the key, once."""
        created = services.create_api_key(
            data["name"], data["roles"], current_actor.principal, integration_id=data["integration_id"]
        )
        return services.created_key_view(created)


@blp.route("/<int:key_id>")
class ApiKeyById(MethodView):
    @requires("api_keys.manage")
    @blp.doc(security=BEARER)
    @blp.response(200, schemas.ApiKeySchema)
    def delete(self, key_id):
        """Revoke a key: it stops working at once."""
        return services.revoke_api_key(key_id)
