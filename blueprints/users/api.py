"""`/api/v1/users`: the people of the organization answering at this host."""

from flask import request
from flask.views import MethodView

from app.api.blueprint import ApiBlueprint
from app.api.downloads import csv_download
from app.api.listing import list_parameters, page_response, parse_list_query
from app.security.actor import current_actor
from app.security.principal import requires
from blueprints.auth.services import update_profile
from blueprints.users import management, schemas, services
from blueprints.users.export import export_people
from blueprints.users.listing import USER_LIST, with_status

blp = ApiBlueprint("users", __name__, url_prefix="/api/v1/users", description="People of an organization.")
BEARER = [{"bearerAuth": []}]


@blp.route("")
class Users(MethodView):
    @requires("users.read")
    @blp.doc(parameters=[*list_parameters(USER_LIST), schemas.STATUS_PARAMETER], security=BEARER)
    @blp.arguments(schemas.UserListArgs, location="query")
    @blp.response(200, schemas.UserSchema(many=True))
    def get(self, args):
        """List people (branch managers: of their branches), of every status unless `status` says;
        `format=csv` streams the import format."""
        query = parse_list_query(with_status(request.args, args["status"]), USER_LIST)
        if args["format"] == "csv":
            return csv_download(export_people(query, current_actor.scope), "people.csv")
        return page_response(services.list_users(query, current_actor.scope), query)

    @requires("users.manage")
    @blp.doc(security=BEARER)
    @blp.arguments(schemas.UserCreateSchema)
    @blp.response(201, schemas.UserSchema)
    def post(self, data):
        """Add a person; without a password they get an invitation to choose one."""
        return management.add_person(data, current_actor.scope)


@blp.route("/<int:user_id>")
class UserById(MethodView):
    @requires("users.read")
    @blp.doc(security=BEARER)
    @blp.response(200, schemas.UserSchema)
    def get(self, user_id):
        """One person of the organization."""
        return services.get_user(user_id, current_actor.scope)

    @requires("users.manage")
    @blp.doc(security=BEARER)
    @blp.arguments(schemas.UserUpdateSchema)
    @blp.response(200, schemas.UserSchema)
    def put(self, data, user_id):
        """Change a person's names, role, external id, sign-in address or branches; deactivate or reactivate them."""
        scope = current_actor.scope
        return management.edit_person(services.get_manageable_user(user_id, scope), data, scope)

    @requires("users.manage")
    @blp.doc(security=BEARER)
    @blp.response(200, schemas.UserSchema)
    def delete(self, user_id):
        """Deactivate a person: they can no longer sign in; their records are kept."""
        return management.set_active(services.get_manageable_user(user_id, current_actor.scope), False)


@blp.route("/<int:user_id>/invitation")
class UserInvitation(MethodView):
    @requires("users.manage")
    @blp.doc(security=BEARER)
    @blp.response(202, schemas.UserSchema)
    def post(self, user_id):
        """Send the invitation again to someone who never chose a password (429 within 10 minutes of the last)."""
        user = services.get_manageable_user(user_id, current_actor.scope)
        management.resend_invitation(user)
        return user


@blp.route("/<int:user_id>/profile")
class UserProfile(MethodView):
    @requires("users.read")
    @blp.doc(security=BEARER)
    @blp.response(200, schemas.ProfileSchema)
    def get(self, user_id):
        """A person's profile."""
        return services.get_user(user_id, current_actor.scope)

    @requires("users.manage")
    @blp.doc(security=BEARER)
    @blp.arguments(schemas.ProfileSchema)
    @blp.response(200, schemas.ProfileSchema)
    def put(self, data, user_id):
        """Change a person's names and notification address."""
        user = services.get_manageable_user(user_id, current_actor.scope)
        return update_profile(user, data.get("first_name"), data.get("last_name"), data.get("notification_email"))
