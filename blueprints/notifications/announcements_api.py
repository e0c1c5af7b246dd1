"""Announcements in the API: `POST /api/v1/notifications` sends one (the same path as the list of my notifications,
which another blueprint answers for GET), `/api/v1/notifications/announcements` lists them, one by id, cancel."""

import marshmallow as ma
from flask import request
from flask.views import MethodView
from marshmallow import validate

from app.api.blueprint import ApiBlueprint
from app.api.listing import list_parameters, page_response, parse_list_query
from app.api.types import Id, UtcDateTime
from app.security.actor import current_actor
from app.security.principal import requires
from blueprints.notifications import announcements

blp = ApiBlueprint(
    "announcements",
    __name__,
    url_prefix="/api/v1/notifications",
    description="Announcements: messages from staff to people in their scope, now or scheduled.",
)
TAGS = ["notifications"]
BEARER = [{"bearerAuth": []}]


class AnnouncementSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    title = ma.fields.String(required=True, validate=validate.Length(min=1, max=announcements.MAX_TITLE))
    body = ma.fields.String(
        required=True,
        validate=validate.Length(min=1, max=announcements.MAX_BODY),
        metadata={"description": "plain text; paragraphs separated by blank lines"},
    )
    audience = ma.fields.String(required=True, validate=validate.OneOf(announcements.AUDIENCES))
    audience_ids = ma.fields.List(
        Id(),
        load_default=list,
        validate=validate.Length(max=max(announcements.MAX_IDS.values())),
        metadata={
            "description": "the branches, classes, courses or people (`people`, up to 1 000) of the audience; "
            "empty for `organization`"
        },
    )
    send_at = UtcDateTime(
        allow_none=True,
        load_default=None,
        metadata={"description": "when to send it (in the future, at most a year ahead); none: now"},
    )
    status = ma.fields.String(dump_only=True, metadata={"description": "scheduled, sending, sent or cancelled"})
    recipients = ma.fields.Integer(
        dump_only=True, allow_none=True, metadata={"description": "how many people it told (once sent)"}
    )
    author_id = ma.fields.Integer(dump_only=True, allow_none=True)
    created_at = UtcDateTime(dump_only=True)
    sent_at = UtcDateTime(dump_only=True, allow_none=True)


@blp.route("", tags=TAGS)
class SendAnnouncement(MethodView):
    @requires("notifications.announce")
    @blp.doc(security=BEARER)
    @blp.arguments(AnnouncementSchema)
    @blp.response(201, AnnouncementSchema)
    def post(self, data):
        """Send an announcement, signed by you, now or at `send_at`: to the organization (org admins), branches
        you manage, classes and courses you teach or manage, or chosen people among yours. The people told are
        the audience's active people when it is sent. 404 naming `audience_ids` for one out of your reach; 429
        past 20 an hour."""
        return announcements.create_announcement(data, current_actor)


@blp.route("/announcements", tags=TAGS)
class Announcements(MethodView):
    @requires("notifications.announce")
    @blp.doc(parameters=list_parameters(announcements.ANNOUNCEMENT_LIST), security=BEARER)
    @blp.response(200, AnnouncementSchema(many=True))
    def get(self):
        """Your announcements (org admins: everyone's), newest first; filter on status, audience, author_id,
        send_at, created_at."""
        query = parse_list_query(request.args, announcements.ANNOUNCEMENT_LIST)
        return page_response(announcements.list_announcements(query, current_actor), query)


@blp.route("/announcements/<int:announcement_id>", tags=TAGS)
class AnnouncementById(MethodView):
    @requires("notifications.announce")
    @blp.doc(security=BEARER)
    @blp.response(200, AnnouncementSchema)
    def get(self, announcement_id):
        """One announcement: its status and how many people it told (yours; org admins: anyone's)."""
        return announcements.get_announcement(announcement_id, current_actor)

    @requires("notifications.announce")
    @blp.doc(security=BEARER)
    @blp.response(200, AnnouncementSchema)
    def delete(self, announcement_id):
        """Cancel a scheduled announcement (its author or an org admin); 409 once it is sending or sent."""
        return announcements.cancel_announcement(announcement_id, current_actor)
