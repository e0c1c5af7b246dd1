"""`/api/v1/users`: the people of the organization answering at this host."""

from flask import request
from flask.views import MethodView

from app.api.blueprint import ApiBlueprint
from app.api.listing import list_parameters, page_response, parse_list_query
from app.security.principal import requires
from blueprints.users import services
from blueprints.users.schemas import UserSchema

blp = ApiBlueprint("users", __name__, url_prefix="/api/v1/users", description="People of an organization.")
BEARER = [{"bearerAuth": []}]


@blp.route("")
class Users(MethodView):
    @requires("users.read")
    @blp.doc(parameters=list_parameters(services.USER_LIST), security=BEARER)
    @blp.response(200, UserSchema(many=True))
    def get(self):
        """List the organization's people, with filters, sorting and paging."""
        query = parse_list_query(request.args, services.USER_LIST)
        return page_response(services.list_users(query), query)


@blp.route("/<int:user_id>")
class UserById(MethodView):
    @requires("users.read")
    @blp.doc(security=BEARER)
    @blp.response(200, UserSchema)
    def get(self, user_id):
        """One person of the organization."""
        return services.get_user(user_id)
