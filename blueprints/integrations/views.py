"""The integrations pages (org admins): the list, a new webhook or OneRoster sync, one integration's page (settings,
pause and resume, the signing secret shown once after it is made or rotated, its webhook subscriptions, links to its
delivery log or syncs), a subscription's page, and deleting with a confirmation."""

from flask import Blueprint, flash, redirect, render_template, request, url_for

from app.errors import DomainError, ValidationFailed
from app.extensions import db
from app.pages import organizations_only
from app.security.actor import current_actor
from app.security.headers import no_store
from app.security.principal import requires
from blueprints.integrations import services
from blueprints.integrations.models import ALL_EVENTS, IntegrationKind, IntegrationStatus, SubscriptionStatus

bp = Blueprint("integration_pages", __name__, url_prefix="/integrations")
PERMISSION = services.PERMISSION
KIND_LABELS = {IntegrationKind.WEBHOOK: "Webhook endpoint", IntegrationKind.ONEROSTER: "OneRoster sync"}

# Integrations are an organization's: the platform's host has none
organizations_only(bp)


def _subscription_values(form):
    """A subscription's fields as the service takes them, from the page's form."""
    chosen = form.getlist("event_types")
    return {
        "url": form.get("url", ""),
        "event_types": [ALL_EVENTS] if form.get("events", "all") == "all" else chosen,
        "description": form.get("description", ""),
    }


def _errors_of(error):
    return dict(error.details) or {"form": [error.message]}


# --- the list and a new one ------------------------------------------------------------------------------


@bp.get("")
@requires(PERMISSION)
def index():
    """The organization's integrations: kind, status, how many subscriptions; new webhook, new OneRoster sync."""
    integrations = services.all_integrations(current_actor)
    return render_template(
        "integrations/index.html",
        integrations=integrations,
        counts=services.subscription_counts([integration.id for integration in integrations]),
        kinds=KIND_LABELS,
    )


def _new_page(kind, values=None, errors=None, status=200):
    return render_template(
        "integrations/new.html",
        kind=kind,
        kinds=KIND_LABELS,
        values=values or {"events": "all", "processing": "bulk"},
        errors=errors or {},
        groups=services.event_types_by_feature(),
        processing_modes=services.PROCESSING_MODES,
    ), status


@bp.get("/new")
@requires(PERMISSION)
def new():
    """A new webhook endpoint (name, URL, events) or OneRoster sync (name, source, mode, token)."""
    kind = request.args.get("kind", IntegrationKind.WEBHOOK)
    return _new_page(kind if kind in IntegrationKind.ALL else IntegrationKind.WEBHOOK)


@bp.post("")
@requires(PERMISSION)
@no_store
def create():
    """Make the integration; a webhook's signing secret is shown on the page this answers, once."""
    form = request.form
    kind = form.get("kind", "")
    data = {"kind": kind, "name": form.get("name", "")}
    if kind == IntegrationKind.WEBHOOK:
        data["subscription"] = _subscription_values(form)
    elif kind == IntegrationKind.ONEROSTER:
        data["settings"] = {"source_url": form.get("source_url", ""), "processing": form.get("processing", "bulk")}
        data["source_token"] = form.get("source_token", "")
    try:
        made = services.create_integration(data, current_actor)
    except ValidationFailed as error:
        db.session.rollback()
        values = {**form.to_dict(), "event_types": form.getlist("event_types")}
        errors = {key.removeprefix("subscription."): messages for key, messages in error.details.items()}
        return _new_page(kind if kind in IntegrationKind.ALL else IntegrationKind.WEBHOOK, values, errors, 422)
    return _detail_page(made.integration, secret=made.signing_secret, status=201)


# --- one integration -------------------------------------------------------------------------------------


def _detail_page(integration, secret=None, values=None, errors=None, status=200):
    subscriptions = (
        services.list_subscriptions(integration.id, current_actor)
        if integration.kind == IntegrationKind.WEBHOOK
        else []
    )
    return render_template(
        "integrations/detail.html",
        integration=integration,
        kinds=KIND_LABELS,
        secret=secret,
        secrets=services.secrets_summary(integration),
        subscriptions=subscriptions,
        groups=services.event_types_by_feature(),
        values=values or {"events": "all"},
        errors=errors or {},
        processing_modes=services.PROCESSING_MODES,
        # a webhook endpoint has a delivery log, a roster sync its syncs
        deliveries_url=url_for("webhook_delivery_pages.deliveries", integration_id=integration.id)
        if integration.kind == IntegrationKind.WEBHOOK
        else None,
        syncs_url=url_for("roster_pages.syncs", oneroster_id=integration.id)
        if integration.kind == IntegrationKind.ONEROSTER
        else None,
        statuses=IntegrationStatus,
    ), status


@bp.get("/<int:integration_id>")
@requires(PERMISSION)
def detail(integration_id):
    """One integration: settings, status, whether its secrets are set, its subscriptions, where its log is."""
    return _detail_page(services.get_integration(integration_id, current_actor))


@bp.post("/<int:integration_id>")
@requires(PERMISSION)
def update(integration_id):
    """Save its name (and a OneRoster sync's source, mode and, when given, a new token)."""
    integration = services.get_integration(integration_id, current_actor)
    form = request.form
    data = {"name": form.get("name", "")}
    if integration.kind == IntegrationKind.ONEROSTER:
        data["settings"] = {"source_url": form.get("source_url", ""), "processing": form.get("processing", "bulk")}
        if form.get("source_token"):
            data["source_token"] = form["source_token"]
        elif form.get("clear_token"):
            data["source_token"] = None
    try:
        services.update_integration(integration_id, data, current_actor)
    except ValidationFailed as error:
        db.session.rollback()
        integration = services.get_integration(integration_id, current_actor)
        return _detail_page(integration, errors={f"settings_{k}": v for k, v in _errors_of(error).items()}, status=422)
    flash("Settings saved.")
    return redirect(url_for("integration_pages.detail", integration_id=integration_id), code=303)


@bp.post("/<int:integration_id>/status")
@requires(PERMISSION)
def set_status(integration_id):
    """Pause (nothing is delivered or synced; deliveries wait) or resume it."""
    wanted = request.form.get("status", "")
    try:
        integration = services.update_integration(integration_id, {"status": wanted}, current_actor)
    except ValidationFailed as error:
        db.session.rollback()
        flash(" ".join(error.details.get("status", [error.message])))
    else:
        flash("Paused: nothing is sent until you resume it." if integration.status == "paused" else "Resumed.")
    return redirect(url_for("integration_pages.detail", integration_id=integration_id), code=303)


@bp.post("/<int:integration_id>/rotate-secret")
@requires(PERMISSION)
@no_store
def rotate_secret(integration_id):
    """A new signing secret, shown on the page this answers, once; the old one signs too for 24 hours."""
    made = services.rotate_secret(integration_id, current_actor)
    return _detail_page(made.integration, secret=made.signing_secret)


@bp.get("/<int:integration_id>/delete")
@requires(PERMISSION)
def confirm_delete(integration_id):
    """Are you sure? Says what goes with it."""
    integration = services.get_integration(integration_id, current_actor)
    return render_template(
        "integrations/delete.html",
        integration=integration,
        subscriptions=services.subscription_counts([integration.id]).get(integration.id, 0),
    )


@bp.post("/<int:integration_id>/delete")
@requires(PERMISSION)
def delete(integration_id):
    """Delete it, with its subscriptions, deliveries and the API keys narrowed to it."""
    integration = services.delete_integration(integration_id, current_actor)
    flash(f"“{integration.name}” is deleted.")
    return redirect(url_for("integration_pages.index"), code=303)


# --- subscriptions ---------------------------------------------------------------------------------------


@bp.post("/<int:integration_id>/webhooks")
@requires(PERMISSION)
def add_subscription(integration_id):
    """Subscribe a URL to every event or to the ones ticked."""
    try:
        services.create_subscription(integration_id, _subscription_values(request.form), current_actor)
    except DomainError as error:
        db.session.rollback()
        if error.status not in (409, 422):
            raise
        values = {**request.form.to_dict(), "event_types": request.form.getlist("event_types")}
        integration = services.get_integration(integration_id, current_actor)
        return _detail_page(integration, values=values, errors=_errors_of(error), status=422)
    flash("Subscription added.")
    return redirect(url_for("integration_pages.detail", integration_id=integration_id), code=303)


def _subscription_page(integration_id, subscription, values, errors=None, status=200):
    return render_template(
        "integrations/subscription.html",
        integration=services.get_integration(integration_id, current_actor),
        subscription=subscription,
        values=values,
        errors=errors or {},
        groups=services.event_types_by_feature(),
        statuses=SubscriptionStatus,
    ), status


@bp.get("/<int:integration_id>/webhooks/<int:subscription_id>")
@requires(PERMISSION)
def subscription(integration_id, subscription_id):
    """Edit one subscription: URL, events, description; enable it again once disabled."""
    found = services.get_subscription(integration_id, subscription_id, current_actor)
    values = {
        "url": found.url,
        "description": found.description,
        "events": "all" if found.event_types == [ALL_EVENTS] else "chosen",
        "event_types": found.event_types,
    }
    return _subscription_page(integration_id, found, values)


@bp.post("/<int:integration_id>/webhooks/<int:subscription_id>")
@requires(PERMISSION)
def update_subscription(integration_id, subscription_id):
    """Save the subscription (and enable or disable it, with the buttons that say so)."""
    data = _subscription_values(request.form)
    if request.form.get("status") in SubscriptionStatus.ALL:
        data["status"] = request.form["status"]
    try:
        services.update_subscription(integration_id, subscription_id, data, current_actor)
    except ValidationFailed as error:
        db.session.rollback()
        found = services.get_subscription(integration_id, subscription_id, current_actor)
        values = {**request.form.to_dict(), "event_types": request.form.getlist("event_types")}
        return _subscription_page(integration_id, found, values, _errors_of(error), 422)
    flash("Subscription saved.")
    return redirect(url_for("integration_pages.detail", integration_id=integration_id), code=303)


@bp.post("/<int:integration_id>/webhooks/<int:subscription_id>/delete")
@requires(PERMISSION)
def delete_subscription(integration_id, subscription_id):
    """Delete one subscription with its deliveries."""
    services.delete_subscription(integration_id, subscription_id, current_actor)
    flash("Subscription deleted.")
    return redirect(url_for("integration_pages.detail", integration_id=integration_id), code=303)
