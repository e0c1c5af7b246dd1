"""`/api/v1/integrations`: an organization's integrations and a webhook integration's subscriptions (org admins; a
key narrowed to an integration: that one). Secrets are answered once, by the requests that make them."""

import marshmallow as ma
from flask import request
from flask.views import MethodView
from marshmallow import validate

from app.api.blueprint import ApiBlueprint
from app.api.listing import list_parameters, page_response, parse_list_query
from app.api.types import ChangesSchema, UtcDateTime
from app.security.actor import current_actor
from app.security.headers import no_store
from app.security.principal import requires
from blueprints.integrations import services
from blueprints.integrations.models import IntegrationKind, SubscriptionStatus

blp = ApiBlueprint(
    "integrations",
    __name__,
    url_prefix="/api/v1/integrations",
    description="Integrations: webhook endpoints (Standard Webhooks) and OneRoster syncs, with their secrets.",
)
TAGS = ["integrations"]
BEARER = [{"bearerAuth": []}, {"apiKeyAuth": []}]
PERMISSION = services.PERMISSION


class SubscriptionSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    integration_id = ma.fields.Integer(dump_only=True)
    url = ma.fields.String(
        required=True,
        validate=validate.Length(min=1, max=services.MAX_URL),
        metadata={"description": "where events are POSTed: http(s), a host, no credentials (https in production)"},
    )
    event_types = ma.fields.List(
        ma.fields.String(validate=validate.Length(max=100)),
        load_default=lambda: ["*"],
        validate=validate.Length(min=1, max=200),
        metadata={"description": 'catalog event names (`docs/events.md`), or ["*"] for every event'},
    )
    description = ma.fields.String(validate=validate.Length(max=services.MAX_DESCRIPTION), load_default="")
    status = ma.fields.String(
        dump_only=True, metadata={"description": "active, or disabled (see disabled_reason); PUT active enables it"}
    )
    disabled_reason = ma.fields.String(dump_only=True, allow_none=True)
    failing_since = UtcDateTime(dump_only=True, allow_none=True)
    created_at = UtcDateTime(dump_only=True)
    updated_at = UtcDateTime(dump_only=True)


class SubscriptionUpdateSchema(ChangesSchema):
    url = ma.fields.String(validate=validate.Length(min=1, max=services.MAX_URL))
    event_types = ma.fields.List(
        ma.fields.String(validate=validate.Length(max=100)), validate=validate.Length(min=1, max=200)
    )
    description = ma.fields.String(validate=validate.Length(max=services.MAX_DESCRIPTION))
    status = ma.fields.String(
        validate=validate.OneOf(SubscriptionStatus.ALL),
        metadata={"description": "active (enables a disabled one again) or disabled"},
    )


class IntegrationSettingsSchema(ma.Schema):
    """By kind: a OneRoster sync's `source_url` (or null: zips are uploaded) and `processing`; a webhook has none."""

    source_url = ma.fields.String(allow_none=True, validate=validate.Length(max=services.MAX_URL))
    processing = ma.fields.String(validate=validate.OneOf(services.PROCESSING_MODES))


class IntegrationSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    kind = ma.fields.String(required=True, validate=validate.OneOf(IntegrationKind.ALL))
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=services.MAX_NAME))
    status = ma.fields.String(dump_only=True, metadata={"description": "active, paused, or disabled (by us)"})
    disabled_reason = ma.fields.String(dump_only=True, allow_none=True)
    settings = ma.fields.Nested(IntegrationSettingsSchema, load_default=dict)
    source_token = ma.fields.String(
        load_only=True,
        allow_none=True,
        validate=validate.Length(max=services.MAX_TOKEN),
        metadata={"description": "a OneRoster sync's bearer token for its source_url (stored sealed, never shown)"},
    )
    subscription = ma.fields.Nested(
        SubscriptionSchema,
        load_only=True,
        metadata={"description": "a webhook integration's first subscription, made with it"},
    )
    owner_id = ma.fields.Integer(dump_only=True, allow_none=True)
    subscriptions = ma.fields.Integer(dump_only=True, metadata={"description": "how many webhook subscriptions"})
    secrets_set = ma.fields.List(
        ma.fields.String(), dump_only=True, metadata={"description": "which secrets are set (never their values)"}
    )
    previous_secret_until = UtcDateTime(
        dump_only=True, allow_none=True, metadata={"description": "after a rotation: until when the old secret signs"}
    )
    signing_secret = ma.fields.String(
        dump_only=True,
        metadata={"description": "a webhook's `whsec_` signing secret: in the create and rotate answers only, once"},
    )
    created_at = UtcDateTime(dump_only=True)
    updated_at = UtcDateTime(dump_only=True)


class IntegrationUpdateSchema(ChangesSchema):
    name = ma.fields.String(validate=validate.Length(min=1, max=services.MAX_NAME))
    status = ma.fields.String(
        validate=validate.OneOf(services.OWNER_STATUSES),
        metadata={"description": "active or paused (active also enables one we disabled)"},
    )
    settings = ma.fields.Nested(IntegrationSettingsSchema)
    source_token = ma.fields.String(allow_none=True, validate=validate.Length(max=services.MAX_TOKEN))


def integration_view(integration, counts=None, secret=None):
    view = {
        "id": integration.id,
        "kind": integration.kind,
        "name": integration.name,
        "status": integration.status,
        "disabled_reason": integration.disabled_reason,
        "settings": integration.settings or {},
        "owner_id": integration.owner_id,
        "subscriptions": (counts or services.subscription_counts([integration.id])).get(integration.id, 0),
        "created_at": integration.created_at,
        "updated_at": integration.updated_at,
        **services.secrets_summary(integration),
    }
    if secret:
        view["signing_secret"] = secret
    return view


@blp.route("", tags=TAGS)
class Integrations(MethodView):
    @requires(PERMISSION)
    @blp.doc(parameters=list_parameters(services.INTEGRATION_LIST), security=BEARER)
    @blp.response(200, IntegrationSchema(many=True))
    def get(self):
        """The organization's integrations; filter on kind, status, name, owner_id, created_at."""
        query = parse_list_query(request.args, services.INTEGRATION_LIST)
        page = services.list_integrations(query, current_actor)
        counts = services.subscription_counts([integration.id for integration in page.items])
        page_response(page, query)
        return [integration_view(integration, counts) for integration in page.items]

    @requires(PERMISSION)
    @no_store
    @blp.doc(security=BEARER)
    @blp.arguments(IntegrationSchema)
    @blp.response(201, IntegrationSchema)
    def post(self, data):
        """Connect a webhook receiver (`kind: webhook`, optionally with its first `subscription`) or a OneRoster
        sync (`kind: oneroster`, `settings`, `source_token`). A webhook's `signing_secret` is in this answer only."""
        made = services.create_integration(data, current_actor)
        return integration_view(made.integration, secret=made.signing_secret)


@blp.route("/<int:integration_id>", tags=TAGS)
class IntegrationById(MethodView):
    @requires(PERMISSION)
    @blp.doc(security=BEARER)
    @blp.response(200, IntegrationSchema)
    def get(self, integration_id):
        """One integration: its settings, status and which secrets are set (never the secrets)."""
        return integration_view(services.get_integration(integration_id, current_actor))

    @requires(PERMISSION)
    @blp.doc(security=BEARER)
    @blp.arguments(IntegrationUpdateSchema)
    @blp.response(200, IntegrationSchema)
    def put(self, data, integration_id):
        """Rename, pause or resume (`status`), change settings or a OneRoster sync's `source_token` (null clears
        it). Fields left out stay as they are."""
        return integration_view(services.update_integration(integration_id, data, current_actor))

    @requires(PERMISSION)
    @blp.doc(security=BEARER)
    @blp.response(200, IntegrationSchema)
    def delete(self, integration_id):
        """Delete it with its subscriptions, deliveries and the API keys narrowed to it."""
        integration = services.get_integration(integration_id, current_actor)
        view = integration_view(integration)
        services.delete_integration(integration_id, current_actor)
        return view


@blp.route("/<int:integration_id>/rotate-secret", tags=TAGS)
class RotateSecret(MethodView):
    @requires(PERMISSION)
    @no_store
    @blp.doc(security=BEARER)
    @blp.response(200, IntegrationSchema)
    def post(self, integration_id):
        """A new signing secret for a webhook integration, in this answer only; the previous one keeps signing
        (both signatures sent) for 24 hours. 409 for a OneRoster sync."""
        made = services.rotate_secret(integration_id, current_actor)
        return integration_view(made.integration, secret=made.signing_secret)


@blp.route("/<int:integration_id>/webhooks", tags=TAGS)
class Subscriptions(MethodView):
    @requires(PERMISSION)
    @blp.doc(security=BEARER)
    @blp.response(200, SubscriptionSchema(many=True))
    def get(self, integration_id):
        """A webhook integration's subscriptions (404 for a OneRoster sync)."""
        return services.list_subscriptions(integration_id, current_actor)

    @requires(PERMISSION)
    @blp.doc(security=BEARER)
    @blp.arguments(SubscriptionSchema)
    @blp.response(201, SubscriptionSchema)
    def post(self, data, integration_id):
        """Subscribe a URL to event types (catalog names, or ["*"]); 422 naming the field otherwise."""
        return services.create_subscription(integration_id, data, current_actor)


@blp.route("/<int:integration_id>/webhooks/<int:subscription_id>", tags=TAGS)
class SubscriptionById(MethodView):
    @requires(PERMISSION)
    @blp.doc(security=BEARER)
    @blp.response(200, SubscriptionSchema)
    def get(self, integration_id, subscription_id):
        """One subscription, and whether and why it is disabled."""
        return services.get_subscription(integration_id, subscription_id, current_actor)

    @requires(PERMISSION)
    @blp.doc(security=BEARER)
    @blp.arguments(SubscriptionUpdateSchema)
    @blp.response(200, SubscriptionSchema)
    def put(self, data, integration_id, subscription_id):
        """Change its URL, event types or description; `status: active` enables a disabled one again."""
        return services.update_subscription(integration_id, subscription_id, data, current_actor)

    @requires(PERMISSION)
    @blp.doc(security=BEARER)
    @blp.response(200, SubscriptionSchema)
    def delete(self, integration_id, subscription_id):
        """Delete it with its deliveries."""
        subscription = services.get_subscription(integration_id, subscription_id, current_actor)
        view = {column.name: getattr(subscription, column.name) for column in subscription.__table__.columns}
        services.delete_subscription(integration_id, subscription_id, current_actor)
        return view
