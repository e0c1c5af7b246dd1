"""The delivery log's pages (docs/integrations.md, "Pages"): `/integrations/<id>/deliveries` (the table, a filter,
redeliver one or every failed one, send a test event) and a delivery's own page with every attempt. Org admins."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from app.api.listing import parse_list_query
from app.errors import Conflict
from app.pages import organizations_only
from app.security.principal import requires
from blueprints.integrations import delivery_log, webhooks
from blueprints.integrations.models import DeliveryStatus

bp = Blueprint("webhook_delivery_pages", __name__, url_prefix="/integrations")
organizations_only(bp)
PERMISSION = "integrations.manage"
PER_PAGE = 25
FILTERS = ("status", "event_type", "subscription_id")


def _list_args(args):
    """The page's plain filter fields as the list helper's `filter[...]` parameters (empty ones left out)."""
    query = MultiDict({"sort": "-id", "per_page": str(PER_PAGE), "page": args.get("page", "1")})
    for name in FILTERS:
        value = (args.get(name) or "").strip()
        if value:
            query[f"filter[{name}]"] = value
    return query


@bp.get("/<int:integration_id>/deliveries")
@requires(PERMISSION)
def deliveries(integration_id):
    """Every delivery of the integration, newest first: event, attempts, last status code and duration, next
    attempt, the answer's first characters; redeliver, send a test event."""
    integration = delivery_log.webhook_integration(integration_id)
    query = parse_list_query(_list_args(request.args), delivery_log.DELIVERY_LIST)
    page = delivery_log.list_deliveries(integration, query)
    subscriptions = delivery_log.subscriptions_of(integration)
    return render_template(
        "integrations/deliveries.html",
        integration=integration,
        page=page,
        query=query,
        last_attempts=delivery_log.last_attempts(page.items),
        subscriptions=subscriptions,
        urls={subscription.id: subscription.url for subscription in subscriptions},
        counts=delivery_log.summary(integration),
        statuses=DeliveryStatus.ALL,
        event_types=[webhooks.TEST_EVENT, *webhooks.tenant_event_names()],
        chosen={name: request.args.get(name, "") for name in FILTERS},
    )


@bp.get("/<int:integration_id>/deliveries/<int:delivery_id>")
@requires(PERMISSION)
def delivery(integration_id, delivery_id):
    """One delivery: its body and every attempt."""
    integration = delivery_log.webhook_integration(integration_id)
    found = delivery_log.delivery_of(integration, delivery_id)
    subscription = delivery_log.subscription_of(integration, found.subscription_id)
    return render_template(
        "integrations/deliveries_one.html",
        integration=integration,
        delivery=found,
        subscription=subscription,
        attempts=delivery_log.attempts_of(found),
    )


@bp.post("/<int:integration_id>/deliveries/<int:delivery_id>/redeliver")
@requires(PERMISSION)
def redeliver(integration_id, delivery_id):
    """Send one delivery again now (same webhook-id)."""
    integration = delivery_log.webhook_integration(integration_id)
    try:
        delivery_log.redeliver_one(integration, delivery_id)
        flash("Sent again: it shows in the log in a moment.")
    except Conflict as error:
        flash(error.message)
    if request.form.get("back") == "delivery":  # from the delivery's own page: back there (never a URL given)
        return redirect(url_for(".delivery", integration_id=integration.id, delivery_id=delivery_id))
    return redirect(url_for(".deliveries", integration_id=integration.id))


@bp.post("/<int:integration_id>/deliveries/redeliver")
@requires(PERMISSION)
def redeliver_failed(integration_id):
    """Send again every failed delivery of the integration."""
    integration = delivery_log.webhook_integration(integration_id)
    queued = delivery_log.redeliver_matching(integration, MultiDict())
    flash(f"{queued} failed deliver{'y' if queued == 1 else 'ies'} sent again." if queued else "Nothing had failed.")
    return redirect(url_for(".deliveries", integration_id=integration.id))


@bp.post("/<int:integration_id>/deliveries/test")
@requires(PERMISSION)
def send_test(integration_id):
    """Send a `webhook.test` event to one endpoint of the integration."""
    integration = delivery_log.webhook_integration(integration_id)
    delivery_log.send_test(integration, request.form.get("subscription_id", type=int) or 0)  # another's: a 404
    flash("Test event sent: it shows at the top of the log in a moment.")
    return redirect(url_for(".deliveries", integration_id=integration.id))
