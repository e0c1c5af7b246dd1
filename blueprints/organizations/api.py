"""`/api/v1/organizations`: operators manage tenants on the platform domain; members read their own."""

from flask import request
from flask.views import MethodView

from app.api.blueprint import ApiBlueprint
from app.api.listing import list_parameters, page_response, parse_list_query
from app.errors import NotFound
from app.security.principal import requires
from app.tenancy.context import get_current_tenant
from blueprints.organizations import schemas, services
from blueprints.organizations import settings as org_settings

blp = ApiBlueprint(
    "organizations",
    __name__,
    url_prefix="/api/v1/organizations",
    description="Organizations (tenants). Managed by platform operators on the platform domain.",
)
BEARER = [{"bearerAuth": []}]


@blp.route("")
class Organizations(MethodView):
    @requires("organizations.read")
    @blp.doc(parameters=list_parameters(services.ORGANIZATION_LIST), security=BEARER)
    @blp.response(200, schemas.OrganizationSchema(many=True))
    def get(self):
        """List organizations: all of them on the platform domain, your own on a tenant host."""
        query = parse_list_query(request.args, services.ORGANIZATION_LIST)
        page = services.list_organizations(query, get_current_tenant())
        return page_response(page, query)

    @requires("organizations.manage")
    @blp.doc(security=BEARER)
    @blp.arguments(schemas.OrganizationCreateSchema)
    @blp.response(201, schemas.OrganizationCreatedSchema)
    def post(self, data):
        """Provision an organization: its database, schema and first org admin."""
        return services.create_organization(data)


@blp.route("/<int:organization_id>")
class OrganizationById(MethodView):
    @requires("organizations.read")
    @blp.doc(security=BEARER)
    @blp.response(200, schemas.OrganizationDetailSchema)
    def get(self, organization_id):
        """One organization (on a tenant host: only its own, with figures from its database)."""
        return services.get_organization(organization_id, get_current_tenant())

    @requires("organizations.update")
    @blp.doc(security=BEARER)
    @blp.arguments(schemas.OrganizationUpdateSchema)
    @blp.response(200, schemas.OrganizationSchema)
    def put(self, data, organization_id):
        """Rename an organization; operators also suspend, reactivate or change its settings."""
        return services.update_organization(organization_id, data, get_current_tenant())

    @requires("organizations.manage")
    @blp.doc(security=BEARER)
    @blp.arguments(schemas.OrganizationDeleteArgs, location="query")
    @blp.response(200, schemas.OrganizationSchema)
    def delete(self, args, organization_id):
        """Archive an organization: back up its database; `purge=true` then drops it."""
        return services.archive_organization(organization_id, purge=args["purge"])


@blp.route("/<int:organization_id>/settings")
class OrganizationSettings(MethodView):
    @requires("organizations.read")
    @blp.doc(security=BEARER)
    @blp.response(200, schemas.SettingsSchema)
    def get(self, organization_id):
        """The organization's settings and branding (on its own host)."""
        return org_settings.settings_of(_own_tenant(organization_id))

    @requires("settings.manage")
    @blp.doc(security=BEARER)
    @blp.arguments(schemas.SettingsUpdateSchema)
    @blp.response(200, schemas.SettingsSchema)
    def put(self, data, organization_id):
        """Change display name, colours, time zone, locale, self-registration (notification defaults: see
        `/api/v1/notifications/settings/organization`)."""
        return org_settings.update_settings(_own_tenant(organization_id), data)


@blp.route("/<int:organization_id>/settings/logo")
class OrganizationLogo(MethodView):
    @requires("settings.manage")
    @blp.doc(security=BEARER)
    @blp.arguments(schemas.LogoUploadSchema, location="multipart")
    @blp.response(200, schemas.SettingsSchema)
    def post(self, files, organization_id):
        """Upload the logo: PNG or JPEG (decoded, re-encoded, fit in 1024 x 512) or SVG (sanitised), at most 512 KB."""
        return org_settings.save_logo(_own_tenant(organization_id), files["logo"].read())


def _own_tenant(organization_id):
    tenant = get_current_tenant()
    if tenant is None or organization_id != tenant.id:
        raise NotFound("No such organization.")
    return tenant
