"""`/api/v1/integrations/{id}/deliveries` and `/webhooks/{sid}/test`: a webhook integration's delivery log, its
redeliveries and test events (docs/integrations.md, "API"). Org admins (`integrations.manage`)."""

import marshmallow as ma
from flask import request
from flask.views import MethodView
from marshmallow import validate

from app.api.blueprint import ApiBlueprint
from app.api.listing import list_parameters, page_response, parse_list_query
from app.api.types import UtcDateTime
from app.security.principal import requires
from blueprints.integrations import delivery_log
from blueprints.integrations.models import DeliveryStatus

blp = ApiBlueprint(
    "webhook_deliveries",
    __name__,
    url_prefix="/api/v1/integrations",
    description="Integrations: a webhook integration's delivery log, redeliveries, test events.",
)
BEARER = [{"bearerAuth": []}]
PERMISSION = "integrations.manage"


class WebhookAttemptSchema(ma.Schema):
    number = ma.fields.Integer()
    started_at = UtcDateTime()
    duration_ms = ma.fields.Integer(allow_none=True)
    status_code = ma.fields.Integer(allow_none=True, metadata={"description": "none when no answer came"})
    response_excerpt = ma.fields.String(allow_none=True, metadata={"description": "the answer's first 500 characters"})
    error = ma.fields.String(allow_none=True, metadata={"description": "why there was no 2xx, in words"})


class WebhookDeliverySchema(ma.Schema):
    id = ma.fields.Integer()
    subscription_id = ma.fields.Integer()
    event_id = ma.fields.String()
    event_type = ma.fields.String()
    message_id = ma.fields.String(metadata={"description": "the webhook-id header, the same on every attempt"})
    status = ma.fields.String(metadata={"enum": list(DeliveryStatus.ALL)})
    attempts = ma.fields.Integer()
    next_attempt_at = UtcDateTime(allow_none=True)
    last_status_code = ma.fields.Integer(allow_none=True)
    last_error = ma.fields.String(allow_none=True)
    created_at = UtcDateTime()
    delivered_at = UtcDateTime(allow_none=True)


class WebhookDeliveryDetailSchema(WebhookDeliverySchema):
    body = ma.fields.String(metadata={"description": "the JSON sent"})
    attempt_log = ma.fields.List(ma.fields.Nested(WebhookAttemptSchema), data_key="attempt_log")


class WebhooksRedeliveredSchema(ma.Schema):
    queued = ma.fields.Integer(metadata={"description": "deliveries back to pending, queued now"})


class WebhookTestEventSchema(ma.Schema):
    message = ma.fields.String(validate=validate.Length(min=1, max=500), load_default=None)


def _detail(delivery):
    return {
        **{
            column: getattr(delivery, column)
            for column in WebhookDeliveryDetailSchema().fields
            if column != "attempt_log"
        },
        "attempt_log": delivery_log.attempts_of(delivery),
    }


@blp.route("/<int:integration_id>/deliveries")
class Deliveries(MethodView):
    @requires(PERMISSION)
    @blp.doc(parameters=list_parameters(delivery_log.DELIVERY_LIST), security=BEARER)
    @blp.response(200, WebhookDeliverySchema(many=True))
    def get(self, integration_id):
        """The integration's deliveries, newest first (filters: status, event_type, subscription_id, created_at)."""
        integration = delivery_log.webhook_integration(integration_id)
        query = parse_list_query(request.args, delivery_log.DELIVERY_LIST)
        return page_response(delivery_log.list_deliveries(integration, query), query)


@blp.route("/<int:integration_id>/deliveries/<int:delivery_id>")
class DeliveryById(MethodView):
    @requires(PERMISSION)
    @blp.doc(security=BEARER)
    @blp.response(200, WebhookDeliveryDetailSchema)
    def get(self, integration_id, delivery_id):
        """One delivery with its body and every attempt (status code, duration, response excerpt, error)."""
        integration = delivery_log.webhook_integration(integration_id)
        return _detail(delivery_log.delivery_of(integration, delivery_id))


@blp.route("/<int:integration_id>/deliveries/<int:delivery_id>/redeliver")
class Redeliver(MethodView):
    @requires(PERMISSION)
    @blp.doc(security=BEARER)
    @blp.response(202, WebhookDeliverySchema)
    def post(self, integration_id, delivery_id):
        """Send it again now, with the same webhook-id (409 while it is being sent)."""
        integration = delivery_log.webhook_integration(integration_id)
        return delivery_log.redeliver_one(integration, delivery_id)


@blp.route("/<int:integration_id>/deliveries/redeliver")
class RedeliverMany(MethodView):
    @requires(PERMISSION)
    @blp.doc(parameters=list_parameters(delivery_log.DELIVERY_LIST), security=BEARER)
    @blp.response(202, WebhooksRedeliveredSchema)
    def post(self, integration_id):
        """Send again every failed delivery, or those of the filters given as query parameters (as the list's)."""
        integration = delivery_log.webhook_integration(integration_id)
        return {"queued": delivery_log.redeliver_matching(integration, request.args)}


@blp.route("/<int:integration_id>/webhooks/<int:subscription_id>/test")
class SendTestEvent(MethodView):
    @requires(PERMISSION)
    @blp.doc(security=BEARER)
    @blp.arguments(WebhookTestEventSchema)
    @blp.response(202, WebhookDeliverySchema)
    def post(self, body, integration_id, subscription_id):
        """Send a `webhook.test` event to this endpoint now (even while it is disabled); see it in the log."""
        integration = delivery_log.webhook_integration(integration_id)
        return delivery_log.send_test(integration, subscription_id, body.get("message"))
