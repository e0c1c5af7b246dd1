"""`/api/v1/classes`: classes, their terms and rosters."""

from flask import request
from flask.views import MethodView

from app.api.blueprint import ApiBlueprint
from app.api.listing import list_parameters, page_response, parse_list_query
from app.security.actor import current_actor
from app.security.principal import requires
from blueprints.classes import schemas, services

blp = ApiBlueprint("classes", __name__, url_prefix="/api/v1/classes", description="Classes and their members.")
BEARER = [{"bearerAuth": []}]


@blp.route("")
class Classes(MethodView):
    @requires("classes.read")
    @blp.doc(parameters=list_parameters(services.CLASS_LIST), security=BEARER)
    @blp.response(200, schemas.ClassSchema(many=True))
    def get(self):
        """List classes (branch managers and teachers: those of their branches)."""
        query = parse_list_query(request.args, services.CLASS_LIST)
        return page_response(services.list_classes(query, current_actor.scope), query)

    @requires("classes.manage")
    @blp.doc(security=BEARER)
    @blp.arguments(schemas.ClassSchema)
    @blp.response(201, schemas.ClassSchema)
    def post(self, data):
        """Create a class in a branch."""
        return services.create_class(data, current_actor.scope)


@blp.route("/<int:class_id>")
class ClassById(MethodView):
    @requires("classes.read")
    @blp.doc(security=BEARER)
    @blp.response(200, schemas.ClassSchema)
    def get(self, class_id):
        """One class."""
        return services.get_class(class_id, current_actor.scope)

    @requires("classes.manage")
    @blp.doc(security=BEARER)
    @blp.arguments(schemas.ClassUpdateSchema)
    @blp.response(200, schemas.ClassSchema)
    def put(self, data, class_id):
        """Rename a class, change its term or move it to another branch."""
        scope = current_actor.scope
        return services.update_class(services.get_class(class_id, scope, manage=True), data, scope)

    @requires("classes.manage")
    @blp.doc(security=BEARER)
    @blp.response(200, schemas.ClassSchema)
    def delete(self, class_id):
        """Archive a class (its members and history are kept)."""
        return services.archive_class(services.get_class(class_id, current_actor.scope, manage=True))


@blp.route("/<int:class_id>/members")
class ClassMembers(MethodView):
    @requires("classes.read")
    @blp.doc(security=BEARER)
    @blp.response(200, schemas.ClassMemberSchema(many=True))
    def get(self, class_id):
        """The class roster: teachers first, then students."""
        return services.list_members(services.get_class(class_id, current_actor.scope))

    @requires("classes.manage")
    @blp.doc(security=BEARER)
    @blp.arguments(schemas.AddMembersSchema)
    @blp.response(200, schemas.ClassMemberSchema(many=True))
    def post(self, data, class_id):
        """Add teachers or students (up to 1 000 at once); answers the whole roster."""
        scope = current_actor.scope
        return services.add_members(
            services.get_class(class_id, scope, manage=True), data["user_ids"], data["role"], scope
        )


@blp.route("/<int:class_id>/members/<int:user_id>")
class ClassMember(MethodView):
    @requires("classes.manage")
    @blp.doc(security=BEARER)
    @blp.response(200)
    def delete(self, class_id, user_id):
        """Remove someone from the class (their history stays)."""
        services.remove_member(services.get_class(class_id, current_actor.scope, manage=True), user_id)
