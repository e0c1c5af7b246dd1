"""`/api/v1/organizations/{orgId}/branches`: an organization's branches and their members."""

from flask import request
from flask.views import MethodView

from app.api.blueprint import ApiBlueprint
from app.api.listing import list_parameters, page_response, parse_list_query
from app.security.actor import current_actor
from app.security.principal import requires
from blueprints.branches import schemas, services

blp = ApiBlueprint(
    "branches",
    __name__,
    url_prefix="/api/v1/organizations/<int:organization_id>/branches",
    description="Branches of the organization answering at this host.",
)
BEARER = [{"bearerAuth": []}]


def _branch(organization_id, branch_id):
    services.check_organization(organization_id)
    return services.get_branch(branch_id, current_actor.scope)


@blp.route("")
class Branches(MethodView):
    @requires("branches.read")
    @blp.doc(parameters=list_parameters(services.BRANCH_LIST), security=BEARER)
    @blp.response(200, schemas.BranchSchema(many=True))
    def get(self, organization_id):
        """List branches (a branch manager sees the branches they manage)."""
        services.check_organization(organization_id)
        query = parse_list_query(request.args, services.BRANCH_LIST)
        return page_response(services.list_branches(query, current_actor.scope), query)

    @requires("branches.manage")
    @blp.doc(security=BEARER)
    @blp.arguments(schemas.BranchSchema)
    @blp.response(201, schemas.BranchSchema)
    def post(self, data, organization_id):
        """Create a branch."""
        services.check_organization(organization_id)
        return services.create_branch(data)


@blp.route("/<int:branch_id>")
class BranchById(MethodView):
    @requires("branches.read")
    @blp.doc(security=BEARER)
    @blp.response(200, schemas.BranchSchema)
    def get(self, organization_id, branch_id):
        """One branch."""
        return _branch(organization_id, branch_id)

    @requires("branches.manage")
    @blp.doc(security=BEARER)
    @blp.arguments(schemas.BranchUpdateSchema)
    @blp.response(200, schemas.BranchSchema)
    def put(self, data, organization_id, branch_id):
        """Rename a branch or change its code."""
        return services.update_branch(_branch(organization_id, branch_id), data)

    @requires("branches.manage")
    @blp.doc(security=BEARER)
    @blp.arguments(schemas.BranchDeleteArgs, location="query")
    @blp.response(200, schemas.BranchDeletedSchema)
    def delete(self, args, organization_id, branch_id):
        """Delete an empty branch; 409 with counts if not empty, unless `force=true` archives it."""
        _deleted, outcome = services.delete_branch(_branch(organization_id, branch_id), force=args["force"])
        return {"id": branch_id, "outcome": outcome}


@blp.route("/<int:branch_id>/settings")
class BranchSettings(MethodView):
    @requires("branches.read")
    @blp.doc(security=BEARER)
    @blp.response(200, schemas.BranchSettingsSchema)
    def get(self, organization_id, branch_id):
        """The branch's own settings and the effective ones (organization's, overridden)."""
        branch = _branch(organization_id, branch_id)
        return {"own": branch.settings, "effective": services.effective_settings(branch)}

    @requires("branches.manage")
    @blp.doc(security=BEARER)
    @blp.arguments(schemas.BranchSettingsUpdateSchema)
    @blp.response(200, schemas.BranchSettingsSchema)
    def put(self, data, organization_id, branch_id):
        """Override organization settings for this branch (null removes an override)."""
        branch = services.update_branch_settings(_branch(organization_id, branch_id), data)
        return {"own": branch.settings, "effective": services.effective_settings(branch)}


@blp.route("/<int:branch_id>/users")
class BranchUsers(MethodView):
    @requires("users.read")
    @blp.doc(security=BEARER)
    @blp.response(200, schemas.BranchMemberSchema(many=True))
    def get(self, organization_id, branch_id):
        """The people of a branch with their role there."""
        return services.list_branch_members(_branch(organization_id, branch_id))

    @requires("users.manage")
    @blp.doc(security=BEARER)
    @blp.arguments(schemas.BranchMemberSchema)
    @blp.response(201, schemas.BranchMemberSchema)
    def post(self, data, organization_id, branch_id):
        """Add an existing person to the branch with a role (or change their role there)."""
        scope = current_actor.scope
        services.check_organization(organization_id)
        branch = services.get_branch(branch_id, scope)
        return services.add_branch_member(branch, data["user_id"], data["role"], scope)
