"""`/api/v1/notifications`: my notifications (the bell's list), marking read and deleting; my notification
settings and time zone; the organization's defaults and locks. Personal: an API key has none."""

import marshmallow as ma
from flask import g, request
from flask.views import MethodView
from marshmallow import validate

from app.api.blueprint import ApiBlueprint
from app.api.listing import list_parameters, page_response, parse_list_query
from app.api.types import ChangesSchema, UtcDateTime
from app.errors import BadRequest
from app.extensions import db
from app.security.actor import current_actor
from app.security.actor_ids import actor_ids
from app.security.principal import requires
from blueprints.notifications import inbox, preferences
from blueprints.organizations.settings import time_zones
from blueprints.users.models import User

blp = ApiBlueprint(
    "notifications",
    __name__,
    url_prefix="/api/v1/notifications",
    description="Notifications: mine in the app, my settings, the organization's defaults.",
)
BEARER = [{"bearerAuth": []}]
TRUE_FALSE = {"true": True, "1": True, "false": False, "0": False}


class NotificationSchema(ma.Schema):
    id = ma.fields.Integer()
    type = ma.fields.String(metadata={"description": "enrolled, due_soon, ... (GET /notifications/settings)"})
    subject = ma.fields.String()
    body = ma.fields.String(metadata={"description": "plain text; paragraphs separated by blank lines"})
    link = ma.fields.String(allow_none=True, metadata={"description": "a path in the organization's site"})
    read = ma.fields.Boolean()
    read_at = UtcDateTime(allow_none=True)
    created_at = UtcDateTime()


class MarkSchema(ma.Schema):
    read = ma.fields.Boolean(required=True, metadata={"description": "true: read; false: unread again"})


class DeletedSchema(ma.Schema):
    id = ma.fields.Integer()
    deleted = ma.fields.Boolean()


class ReadAllSchema(ma.Schema):
    marked = ma.fields.Integer(metadata={"description": "how many were unread"})


class ChannelSettingSchema(ma.Schema):
    cadence = ma.fields.String(metadata={"description": "what applies: immediately, daily, weekly or off"})
    own = ma.fields.String(allow_none=True, metadata={"description": "my choice; null: the default"})
    default = ma.fields.String()
    locked = ma.fields.Boolean(metadata={"description": "the organization decides"})
    mandatory = ma.fields.Boolean(metadata={"description": "always sent immediately"})
    choices = ma.fields.List(ma.fields.String())


class TypeFieldsSchema(ma.Schema):
    """What both settings resources say of a notification type."""

    type = ma.fields.String()
    label = ma.fields.String()
    description = ma.fields.String()
    mandatory = ma.fields.Boolean()


class TypeSettingSchema(TypeFieldsSchema):
    channels = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Nested(ChannelSettingSchema))


class MySettingsSchema(ma.Schema):
    time_zone = ma.fields.String(allow_none=True, metadata={"description": "null: the organization's"})
    types = ma.fields.List(ma.fields.Nested(TypeSettingSchema))


class MySettingsUpdateSchema(ChangesSchema):
    settings = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String(allow_none=True)),
        metadata={
            "description": '{type: {channel: cadence or null (the default)}}, e.g. {"enrolled": {"email": "daily"}}',
        },
    )
    time_zone = ma.fields.String(
        allow_none=True,
        validate=validate.OneOf(sorted(time_zones())),
        metadata={"description": "an IANA name; null: the organization's"},
    )


class OrganizationChannelSchema(ma.Schema):
    cadence = ma.fields.String()
    locked = ma.fields.Boolean()
    built_in = ma.fields.String(metadata={"description": "the type's own default"})
    choices = ma.fields.List(ma.fields.String())


class OrganizationTypeSchema(TypeFieldsSchema):
    staff_only = ma.fields.Boolean()
    channels = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Nested(OrganizationChannelSchema))


class OrganizationSettingsSchema(ma.Schema):
    types = ma.fields.List(ma.fields.Nested(OrganizationTypeSchema))


class DefaultChoiceSchema(ma.Schema):
    cadence = ma.fields.String(allow_none=True, metadata={"description": "null: the type's built-in default"})
    locked = ma.fields.Boolean(load_default=False)


class OrganizationSettingsUpdateSchema(ChangesSchema):
    defaults = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Nested(DefaultChoiceSchema)),
        required=True,
        metadata={"description": '{type: {channel: {"cadence": ..., "locked": true}}}'},
    )


def _me():
    return db.session.get(User, current_actor.id)


def _unread_only():
    raw = request.args.get("unread")
    if raw is None:
        return False
    if raw.lower() not in TRUE_FALSE:
        raise BadRequest("`unread` is true or false.", {"unread": ["Must be true or false."]})
    return TRUE_FALSE[raw.lower()]


def _out(notification):
    notification.read = notification.read_at is not None
    return notification


@blp.route("")
class Notifications(MethodView):
    @requires("notifications.receive")
    @blp.doc(
        parameters=[
            *list_parameters(inbox.NOTIFICATION_LIST),
            {"in": "query", "name": "unread", "schema": {"type": "boolean"}, "description": "only the unread"},
        ],
        security=BEARER,
    )
    @blp.response(200, NotificationSchema(many=True))
    def get(self):
        """My notifications, newest first (`unread=true`: only those not read); `meta.unread` counts the unread."""
        unread_only = _unread_only()
        query = parse_list_query(request.args, inbox.NOTIFICATION_LIST)
        page = inbox.list_mine(current_actor.id, query, unread_only)
        items = page_response(page, query)
        g.api_meta = {**g.api_meta, "unread": inbox.unread_count(current_actor.id)}
        return [_out(notification) for notification in items]


@blp.route("/<int:notification_id>")
class NotificationById(MethodView):
    @requires("notifications.receive")
    @blp.doc(security=BEARER)
    @blp.response(200, NotificationSchema)
    def get(self, notification_id):
        """One of my notifications (another person's: 404)."""
        return _out(inbox.get_mine(notification_id, current_actor.id))

    @requires("notifications.receive")
    @blp.doc(security=BEARER)
    @blp.arguments(MarkSchema)
    @blp.response(200, NotificationSchema)
    def put(self, data, notification_id):
        """Mark one of my notifications read (`{"read": true}`) or unread again."""
        return _out(inbox.mark(notification_id, current_actor.id, data["read"]))

    @requires("notifications.receive")
    @blp.doc(security=BEARER)
    @blp.response(200, DeletedSchema)
    def delete(self, notification_id):
        """Delete one of my notifications from my list."""
        inbox.delete(notification_id, current_actor.id)
        return {"id": notification_id, "deleted": True}


@blp.route("/read-all")
class ReadAll(MethodView):
    @requires("notifications.receive")
    @blp.doc(security=BEARER)
    @blp.response(200, ReadAllSchema)
    def post(self):
        """Mark all my notifications read."""
        return {"marked": inbox.read_all(current_actor.id)}


@blp.route("/settings")
class MySettings(MethodView):
    @requires("notifications.receive")
    @blp.doc(security=BEARER)
    @blp.response(200, MySettingsSchema)
    def get(self):
        """How I am told of each type I may get, in the app and by e-mail: the cadence that applies, my own
        choice, whether my organization locked it, whether it is mandatory; and my time zone (for digests)."""
        return preferences.my_settings(_me())

    @requires("notifications.receive")
    @blp.doc(security=BEARER)
    @blp.arguments(MySettingsUpdateSchema)
    @blp.response(200, MySettingsSchema)
    def put(self, data):
        """Change some of my cadences and my time zone. In the app: immediately or off; by e-mail also daily or
        weekly (a digest). A locked or mandatory one cannot change: 400 naming the field
        (`settings.enrolled.in_app`), and nothing is saved."""
        return preferences.update_my_settings(_me(), data.get("settings"), data.get("time_zone", ...))


@blp.route("/settings/organization")
class OrganizationNotificationSettings(MethodView):
    @requires("notifications.manage")
    @blp.doc(security=BEARER)
    @blp.response(200, OrganizationSettingsSchema)
    def get(self):
        """The organization's default cadence of each type and channel, and whether it is locked."""
        return preferences.organization_settings()

    @requires("notifications.manage")
    @blp.doc(security=BEARER)
    @blp.arguments(OrganizationSettingsUpdateSchema)
    @blp.response(200, OrganizationSettingsSchema)
    def put(self, data):
        """Set some defaults and locks (a locked one applies to everyone; `cadence` null: the built-in default).
        Mandatory types have none: 400 naming the field, and nothing is saved."""
        user_id, _api_key_id = actor_ids(current_actor.principal)  # an org admin's key changes them as nobody
        return preferences.update_organization_settings(data["defaults"], user_id)
