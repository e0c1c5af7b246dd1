"""Managing integrations (docs/integrations.md, "Managing integrations"): an organization's webhook endpoints and
OneRoster syncs, their sealed secrets (shown once, in the answer that made them), and a webhook integration's
subscriptions. Org admins only (`integrations.manage`); an API key narrowed to an integration reaches that one.

Every function takes the acting `actor` and checks it; errors are `app.errors` domain errors, field by field."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa

from app.api.listing import ListSpec, run_list_query
from app.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from app.events.catalog import CATALOG
from app.extensions import db
from app.security.actor_ids import actor_ids
from app.security.permissions import denial_message
from app.security.sealing import seal, unseal
from app.tenancy.models import utcnow
from blueprints.audit.recording import record
from blueprints.integrations import outbound, signing
from blueprints.integrations.models import (
    ALL_EVENTS,
    Integration,
    IntegrationKind,
    IntegrationStatus,
    SubscriptionStatus,
    WebhookSubscription,
)

PERMISSION = "integrations.manage"
SEALING_PURPOSE = "integrations"
ROTATION_OVERLAP = timedelta(hours=24)  # the previous secret signs too, so receivers can switch in their time
MAX_NAME = 100
MAX_URL = 2000
MAX_DESCRIPTION = 300
MAX_TOKEN = 2000
MAX_SUBSCRIPTIONS = 20  # per integration: each event is delivered to each of them
PROCESSING_MODES = ("bulk", "delta")
OWNER_STATUSES = (IntegrationStatus.ACTIVE, IntegrationStatus.PAUSED)  # `disabled` is ours to set
DISABLED_BY_OWNER = "Disabled by its owner."

INTEGRATION_LIST = ListSpec(
    filters={
        "id": Integration.id,
        "kind": Integration.kind,
        "status": Integration.status,
        "name": Integration.name,
        "owner_id": Integration.owner_id,
        "created_at": Integration.created_at,
    },
    sorts={"id": Integration.id, "name": Integration.name, "created_at": Integration.created_at},
    default_sort=("name",),
    tiebreaker=Integration.id,
)


@dataclass
class WithSecret:
    """An integration and the secret just made for it: shown in this answer, never again."""

    integration: Integration
    signing_secret: str | None


# --- who may ---------------------------------------------------------------------------------------------


def _require_manager(actor):
    if actor is None or not actor.can(PERMISSION):
        raise PermissionDenied(denial_message(PERMISSION), {"permission": [PERMISSION]})


# --- event types -----------------------------------------------------------------------------------------


def event_type_names():
    """The catalog's events an organization's webhooks can receive (its own, not the platform's), sorted."""
    return sorted(name for name, cls in CATALOG.items() if cls.scope == "tenant")


def event_types_by_feature():
    """[(feature, [event names])]: the subscription form's checkboxes, grouped by the name's first part."""
    groups = {}
    for name in event_type_names():
        groups.setdefault(name.split(".", 1)[0], []).append(name)
    return sorted(groups.items())


def _event_type_problems(event_types):
    if not isinstance(event_types, list) or not event_types:
        return ['Choose at least one event type, or every event (["*"]).']
    if ALL_EVENTS in event_types:
        return [] if event_types == [ALL_EVENTS] else ['"*" (every event) stands alone.']
    known = set(event_type_names())
    unknown = [name for name in event_types if not isinstance(name, str) or name not in known]
    if unknown:
        return [f"Not an event of the catalog: {', '.join(map(str, unknown[:5]))}."]
    return []


def _normal_event_types(event_types):
    return [ALL_EVENTS] if event_types == [ALL_EVENTS] else sorted(set(event_types))


# --- URLs ------------------------------------------------------------------------------------------------


def url_form_problems(url):
    """What is wrong with a receiver's (or a roster source's) URL as written, at once (docs/integrations.md, "SSRF
    guard"): the outbound guard's form check (http(s) with a host, no credentials or fragment; in production
    https and no literal private address), and no spaces or control characters, nor `localhost` in production.
    The address a name resolves to is checked at each request by the outbound guard, not here."""
    if not isinstance(url, str) or not url.strip():
        return ["Give the URL the requests go to."]
    url = url.strip()
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        return ["A URL has no spaces or control characters."]
    try:
        outbound.check_url_form(url)
    except ValidationFailed as error:
        return list(error.details.get("url", [error.message]))
    host = (urlsplit(url).hostname or "").lower()
    if not outbound.private_addresses_allowed() and (host == "localhost" or host.endswith(".localhost")):
        return ["localhost cannot receive webhooks: they go to public addresses only."]
    return []


# --- secrets ---------------------------------------------------------------------------------------------


def _secrets_of(integration):
    return unseal(integration.secrets_sealed, purpose=SEALING_PURPOSE) if integration.secrets_sealed else {}


def _set_secrets(integration, secrets):
    integration.secrets_sealed = seal(secrets, purpose=SEALING_PURPOSE) if secrets else None


def _overlap_end(secrets):
    """Until when (naive UTC) the previous secret signs, or None: `previous_until` is ISO 8601, with an offset or
    `Z` (as written here) or without (UTC)."""
    until = secrets.get("previous_until")
    if not secrets.get("previous") or not isinstance(until, str):
        return None
    try:
        moment = datetime.fromisoformat(until.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def signing_secrets(integration, now=None):
    """The webhook secrets that sign at `now` (naive UTC): the current one first, the previous one while a rotation
    overlaps."""
    secrets = _secrets_of(integration)
    in_use = [secrets["current"]] if secrets.get("current") else []
    ends = _overlap_end(secrets)
    if ends is not None and ends > (now or utcnow()):
        in_use.append(secrets["previous"])
    return in_use


def secrets_summary(integration):
    """What may be shown of the secrets afterwards: which are set, and until when a previous one signs."""
    secrets = _secrets_of(integration)
    ends = _overlap_end(secrets)
    return {
        "secrets_set": sorted(name for name in ("current", "source_token") if secrets.get(name)),
        "previous_secret_until": ends if ends is not None and ends > utcnow() else None,
    }


# --- integrations ----------------------------------------------------------------------------------------


def list_integrations(query, actor):
    _require_manager(actor)
    return run_list_query(db.session, sa.select(Integration), query, INTEGRATION_LIST)


def all_integrations(actor):
    _require_manager(actor)
    return db.session.scalars(sa.select(Integration).order_by(Integration.name, Integration.id)).all()


def subscription_counts(integration_ids):
    """integration id -> how many webhook subscriptions it has."""
    if not integration_ids:
        return {}
    rows = db.session.execute(
        sa.select(WebhookSubscription.integration_id, sa.func.count())
        .where(WebhookSubscription.integration_id.in_(list(integration_ids)))
        .group_by(WebhookSubscription.integration_id)
    ).all()
    return dict(rows)


def get_integration(integration_id, actor):
    _require_manager(actor)
    integration = db.session.get(Integration, integration_id)
    if integration is None:
        raise NotFound("No such integration.")
    return integration


def _name_problems(name, integration_id=None):
    if not isinstance(name, str) or not name.strip():
        return ["Give the integration a name."]
    if len(name.strip()) > MAX_NAME:
        return [f"At most {MAX_NAME} characters."]
    taken = sa.select(Integration.id).where(sa.func.lower(Integration.name) == name.strip().lower())
    if integration_id is not None:
        taken = taken.where(Integration.id != integration_id)
    if db.session.scalar(taken.limit(1)) is not None:
        return ["Another integration has this name."]
    return []


def _oneroster_settings(settings, problems):
    """A OneRoster sync's settings, checked: where the zip is fetched from (or none: uploaded) and its mode."""
    settings = settings or {}
    if not isinstance(settings, dict):
        problems["settings"] = ["Settings are an object."]
        return {}
    unknown = sorted(set(settings) - {"source_url", "processing"})
    if unknown:
        problems["settings"] = [f"Unknown settings: {', '.join(unknown)}."]
    source_url = settings.get("source_url") or None
    if source_url is not None:
        url_problems = url_form_problems(source_url)
        if url_problems:
            problems["settings.source_url"] = url_problems
        else:
            source_url = source_url.strip()
    processing = settings.get("processing") or "bulk"
    if processing not in PROCESSING_MODES:
        problems["settings.processing"] = ["bulk or delta."]
    return {"source_url": source_url, "processing": processing}


def _webhook_settings(settings, problems):
    if settings:
        problems["settings"] = ["A webhook integration has no settings: its subscriptions say where events go."]
    return {}


def _source_token(value, problems):
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > MAX_TOKEN or any(ord(ch) < 33 for ch in value):
        problems["source_token"] = [f"A bearer token: up to {MAX_TOKEN} visible characters."]
        return None
    return value


def create_integration(data, actor):
    """A new integration, owned by whoever made it, with its secret (a webhook's signing secret, made here) and,
    for a webhook, optionally its first subscription: all or nothing. Returns `WithSecret`."""
    _require_manager(actor)
    kind = data.get("kind")
    problems = {}
    if kind not in IntegrationKind.ALL:
        problems["kind"] = ["webhook or oneroster."]
    name_problems = _name_problems(data.get("name"))
    if name_problems:
        problems["name"] = name_problems
    secrets, signing_secret, settings = {}, None, {}
    if kind == IntegrationKind.WEBHOOK:
        settings = _webhook_settings(data.get("settings"), problems)
        signing_secret = signing.new_signing_secret()
        secrets = {"current": signing_secret}
        if data.get("source_token"):
            problems["source_token"] = ["Only a OneRoster sync has a source token."]
    elif kind == IntegrationKind.ONEROSTER:
        settings = _oneroster_settings(data.get("settings"), problems)
        token = _source_token(data.get("source_token"), problems)
        secrets = {"source_token": token} if token else {}
        if data.get("subscription"):
            problems["subscription"] = ["Only a webhook integration has subscriptions."]
    subscription = data.get("subscription") if kind == IntegrationKind.WEBHOOK else None
    if subscription:
        for field, messages in _subscription_problems(subscription, creating=True).items():
            problems[f"subscription.{field}"] = messages
    if problems:
        raise ValidationFailed("The integration is not valid.", problems)
    user_id, api_key_id = actor_ids(actor)
    integration = Integration(
        kind=kind,
        name=data["name"].strip(),
        status=IntegrationStatus.ACTIVE,
        settings=settings,
        owner_id=user_id,
        created_by_api_key_id=api_key_id,
    )
    _set_secrets(integration, secrets)
    db.session.add(integration)
    db.session.flush()
    if subscription:
        db.session.add(_new_subscription(integration.id, subscription))
    _record_change(integration, actor, "created", kind=kind, with_subscription=bool(subscription))
    db.session.commit()
    return WithSecret(integration, signing_secret)


def _record_change(integration, actor, change, action="integration.changed", **details):
    """One `integration.changed` entry: what (`change`: created, updated, paused, resumed, deleted,
    subscription_created, ...) and which fields; never a secret or a setting's value (a URL may carry a token)."""
    record(
        action,
        target_type="integration",
        target_id=integration.id,
        target_label=integration.name,
        details={"change": change, **details},
        actor=actor,
    )


def update_integration(integration_id, data, actor):
    """Its name, status (active or paused; active again clears what disabled it) and settings; a OneRoster sync's
    source token (set, or cleared with null). Fields left out stay as they are."""
    integration = get_integration(integration_id, actor)
    settings, token = _checked_update(integration, data)
    name_before, status_before = integration.name, integration.status
    if "name" in data:
        integration.name = data["name"].strip()
    if "status" in data and data["status"] != integration.status:
        integration.status = data["status"]
        integration.disabled_reason = None
    changed_fields = [
        field
        for field, changed in (
            ("name", integration.name != name_before),
            ("settings", settings != integration.settings),
            ("source_token", "source_token" in data),
        )
        if changed
    ]
    if integration.status != status_before:  # one entry for the request: a pause is what an auditor looks for
        change = "paused" if integration.status == IntegrationStatus.PAUSED else "resumed"
        changed_fields.append("status")
    else:
        change = "updated"
    if changed_fields:
        details = {"fields": changed_fields}
        if "status" in changed_fields:
            details["status"] = {"before": status_before, "after": integration.status}
        if "name" in changed_fields:
            details["name"] = {"before": name_before, "after": integration.name}
        _record_change(integration, actor, change, **details)
    integration.settings = settings
    if "source_token" in data:
        secrets = {key: value for key, value in _secrets_of(integration).items() if key != "source_token"}
        _set_secrets(integration, {**secrets, "source_token": token} if token else secrets)
    db.session.commit()
    return integration


def _checked_update(integration, data):
    """The settings and source token an update leaves, or ValidationFailed naming each field."""
    problems = {}
    if "name" in data:
        name_problems = _name_problems(data["name"], integration.id)
        if name_problems:
            problems["name"] = name_problems
    if "status" in data and data["status"] not in OWNER_STATUSES:
        problems["status"] = ["active or paused."]
    settings = integration.settings
    if "settings" in data:
        if integration.kind == IntegrationKind.ONEROSTER:
            settings = _oneroster_settings({**(integration.settings or {}), **(data["settings"] or {})}, problems)
        else:
            settings = _webhook_settings(data["settings"], problems)
    token = None
    if "source_token" in data:
        if integration.kind != IntegrationKind.ONEROSTER:
            problems["source_token"] = ["Only a OneRoster sync has a source token."]
        else:
            token = _source_token(data["source_token"], problems)
    if problems:
        raise ValidationFailed("The integration is not valid.", problems)
    return settings, token


def delete_integration(integration_id, actor):
    """Deleted with its subscriptions, deliveries and attempts and the API keys narrowed to it (the foreign keys
    cascade); its roster syncs' records stay, no longer linked."""
    integration = get_integration(integration_id, actor)
    _record_change(integration, actor, "deleted", kind=integration.kind)
    db.session.delete(integration)
    db.session.commit()
    return integration


def rotate_secret(integration_id, actor):
    """A new signing secret for a webhook integration, shown once; the one it replaces still signs for 24 hours
    (both signatures are sent), so receivers can switch without losing a delivery."""
    integration = get_integration(integration_id, actor)
    if integration.kind != IntegrationKind.WEBHOOK:
        raise Conflict("Only a webhook integration has a signing secret to rotate.")
    secrets = _secrets_of(integration)
    fresh = signing.new_signing_secret()
    rotated = {"current": fresh}
    if secrets.get("current"):
        ends = datetime.now(UTC) + ROTATION_OVERLAP
        rotated |= {"previous": secrets["current"], "previous_until": ends.isoformat(timespec="seconds")}
    _set_secrets(integration, rotated)
    _record_change(
        integration,
        actor,
        "secret_rotated",
        action="integration.secret_rotated",
        previous_until=rotated.get("previous_until"),
    )
    db.session.commit()
    return WithSecret(integration, fresh)


# --- subscriptions ---------------------------------------------------------------------------------------


def _webhook_integration(integration_id, actor):
    integration = get_integration(integration_id, actor)
    if integration.kind != IntegrationKind.WEBHOOK:
        raise NotFound("A OneRoster sync has no webhook subscriptions.")
    return integration


def list_subscriptions(integration_id, actor):
    _webhook_integration(integration_id, actor)
    return db.session.scalars(
        sa.select(WebhookSubscription)
        .where(WebhookSubscription.integration_id == integration_id)
        .order_by(WebhookSubscription.id)
    ).all()


def get_subscription(integration_id, subscription_id, actor):
    _webhook_integration(integration_id, actor)
    subscription = db.session.get(WebhookSubscription, subscription_id)
    if subscription is None or subscription.integration_id != integration_id:
        raise NotFound("No such webhook subscription of this integration.")
    return subscription


def _subscription_problems(data, creating):
    problems = {}
    if creating or "url" in data:
        url_problems = url_form_problems(data.get("url"))
        if url_problems:
            problems["url"] = url_problems
    if creating or "event_types" in data:
        type_problems = _event_type_problems(data.get("event_types", [ALL_EVENTS] if creating else None))
        if type_problems:
            problems["event_types"] = type_problems
    description = data.get("description")
    if description is not None and (not isinstance(description, str) or len(description) > MAX_DESCRIPTION):
        problems["description"] = [f"At most {MAX_DESCRIPTION} characters."]
    if "status" in data and data["status"] not in SubscriptionStatus.ALL:
        problems["status"] = ["active or disabled."]
    return problems


def _new_subscription(integration_id, data):
    return WebhookSubscription(
        integration_id=integration_id,
        url=data["url"].strip(),
        event_types=_normal_event_types(data.get("event_types", [ALL_EVENTS])),
        description=(data.get("description") or "").strip(),
        status=SubscriptionStatus.ACTIVE,
    )


def create_subscription(integration_id, data, actor):
    """A URL and the event types it wants (catalog names, or ["*"] for every event)."""
    integration = _webhook_integration(integration_id, actor)
    problems = _subscription_problems(data, creating=True)
    if problems:
        raise ValidationFailed("The webhook subscription is not valid.", problems)
    count = db.session.scalar(sa.select(sa.func.count()).where(WebhookSubscription.integration_id == integration_id))
    if count >= MAX_SUBSCRIPTIONS:
        raise Conflict(f"An integration has at most {MAX_SUBSCRIPTIONS} subscriptions.")
    subscription = _new_subscription(integration_id, data)
    db.session.add(subscription)
    db.session.flush()  # the entry names the new subscription's id
    _record_change(
        integration,
        actor,
        "subscription_created",
        subscription_id=subscription.id,
        event_types=subscription.event_types,
    )
    db.session.commit()
    return subscription


def update_subscription(integration_id, subscription_id, data, actor):
    """Its URL, event types, description, status: `active` enables a disabled one again (what disabled it and
    since when it failed are forgotten), `disabled` stops its deliveries."""
    subscription = get_subscription(integration_id, subscription_id, actor)
    problems = _subscription_problems(data, creating=False)
    if problems:
        raise ValidationFailed("The webhook subscription is not valid.", problems)
    if "url" in data:
        subscription.url = data["url"].strip()
    if "event_types" in data:
        subscription.event_types = _normal_event_types(data["event_types"])
    if "description" in data:
        subscription.description = (data["description"] or "").strip()
    status_before = subscription.status
    if "status" in data and data["status"] != subscription.status:
        subscription.status = data["status"]
        if data["status"] == SubscriptionStatus.ACTIVE:
            subscription.disabled_reason, subscription.failing_since = None, None
        else:
            subscription.disabled_reason = DISABLED_BY_OWNER
    fields = sorted(key for key in ("url", "event_types", "description", "status") if key in data)
    details = {"subscription_id": subscription.id, "fields": fields}
    if subscription.status != status_before:
        details["status"] = {"before": status_before, "after": subscription.status}
    _record_change(get_integration(integration_id, actor), actor, "subscription_updated", **details)
    db.session.commit()
    return subscription


def delete_subscription(integration_id, subscription_id, actor):
    """Deleted with its deliveries and their attempts."""
    subscription = get_subscription(integration_id, subscription_id, actor)
    _record_change(
        get_integration(integration_id, actor), actor, "subscription_deleted", subscription_id=subscription.id
    )
    db.session.delete(subscription)
    db.session.commit()
    return subscription
