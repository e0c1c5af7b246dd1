"""`/api/v1/badges`: badge definitions, a learner's progress, manual awards and revocations; a person's badges
(`/api/v1/users/{id}/badges`) and an award's signed credential (`/api/v1/badge-awards/{public_id}/credential`)."""

import jwt
import marshmallow as ma
from flask import request
from flask.views import MethodView
from flask_smorest.fields import Upload
from marshmallow import validate

from app.api.blueprint import ApiBlueprint
from app.api.listing import list_parameters, page_response, parse_list_query
from app.api.types import ChangesSchema, Id, Integer, UtcDateTime, id_list
from app.security.principal import requires
from blueprints.badges import awards, badges
from blueprints.badges.criteria import STRATEGIES
from blueprints.badges.models import BadgeStatus
from blueprints.badges.queries import public_urls

blp = ApiBlueprint("badges", __name__, url_prefix="/api/v1/badges", description="Badges: definitions and awards.")
people_blp = ApiBlueprint("user_badges", __name__, url_prefix="/api/v1/users", description="A person's badges.")
awards_blp = ApiBlueprint(
    "badge_awards", __name__, url_prefix="/api/v1/badge-awards", description="A badge award's signed credential."
)
BEARER = [{"bearerAuth": []}]
COLOUR = validate.Regexp(r"^#[0-9a-fA-F]{6}$", error="A colour is #rrggbb.")


class BadgeFieldsSchema(ma.Schema):
    """What a badge's managers set. `criteria` holds the strategy's parameters: `course_completed`
    {course_id}, `courses` {course_ids, mode: all|any|n_of, n}, `assessment_passed` {quiz_id},
    `assessment_score` {quiz_id, min_percent}, `manual` {}."""

    name = ma.fields.String(validate=validate.Length(min=1, max=120))
    description = ma.fields.String(validate=validate.Length(max=1000))
    status = ma.fields.String(validate=validate.OneOf(BadgeStatus.ALL))
    colour = ma.fields.String(validate=COLOUR, metadata={"description": "of the drawn picture"})
    accent = ma.fields.String(validate=COLOUR)
    initials = ma.fields.String(validate=validate.Length(max=3), metadata={"description": "of the drawn picture"})
    criteria_strategy = ma.fields.String(validate=validate.OneOf(tuple(STRATEGIES)))
    criteria = ma.fields.Dict(keys=ma.fields.String(), metadata={"description": "the strategy's parameters"})
    valid_months = Integer(
        allow_none=True, minimum=1, maximum=badges.MAX_VALID_MONTHS, metadata={"description": "null: never expires"}
    )
    branch_ids = id_list(metadata={"description": "an organization badge's branches (none: the whole organization)"})


class BadgeSchema(BadgeFieldsSchema):
    id = ma.fields.Integer(dump_only=True)
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=120))
    course_id = Id(allow_none=True, metadata={"description": "a course's badge; null: the organization's"})
    criteria_strategy = ma.fields.String(required=True, validate=validate.OneOf(tuple(STRATEGIES)))
    image_url = ma.fields.String(dump_only=True)
    uploaded_image = ma.fields.Boolean(dump_only=True)
    created_at = UtcDateTime(dump_only=True)
    updated_at = UtcDateTime(dump_only=True)


class BadgeUpdateSchema(BadgeFieldsSchema, ChangesSchema):
    pass


class BadgeDeletedSchema(ma.Schema):
    id = ma.fields.Integer()
    outcome = ma.fields.String(metadata={"enum": ["deleted", "archived"]})


class RequirementSchema(ma.Schema):
    kind = ma.fields.String()
    id = ma.fields.Integer(allow_none=True)
    label = ma.fields.String()
    met = ma.fields.Boolean()


class ProgressSchema(ma.Schema):
    badge_id = ma.fields.Integer()
    user_id = ma.fields.Integer()
    awarded = ma.fields.Boolean()
    awarded_at = UtcDateTime(allow_none=True)
    met = ma.fields.Boolean()
    percent = ma.fields.Integer()
    summary = ma.fields.String()
    needed = ma.fields.Integer()
    met_items = ma.fields.List(ma.fields.Nested(RequirementSchema))
    missing_items = ma.fields.List(ma.fields.Nested(RequirementSchema))


class ProgressArgs(ma.Schema):
    user_id = Id(strict=False, metadata={"description": "staff: a learner you follow (default: yourself)"})


class AwardRequestSchema(ma.Schema):
    user_id = Id(required=True)
    reason = ma.fields.String(load_default="", validate=validate.Length(max=awards.MAX_REASON))


class RevokeRequestSchema(ma.Schema):
    user_id = Id(required=True)
    reason = ma.fields.String(required=True, validate=validate.Length(min=1, max=awards.MAX_REASON))


class UrlsSchema(ma.Schema):
    page = ma.fields.String()
    assertion = ma.fields.String()
    baked_png = ma.fields.String()
    baked_svg = ma.fields.String()
    credential = ma.fields.String()


class AwardSchema(ma.Schema):
    id = ma.fields.Integer()
    badge_id = ma.fields.Integer()
    user_id = ma.fields.Integer()
    learner_name = ma.fields.String()
    public_id = ma.fields.String()
    awarded_at = UtcDateTime()
    expires_at = UtcDateTime(allow_none=True)
    awarded_by_id = ma.fields.Integer(
        allow_none=True, metadata={"description": "the person who gave it by hand (null with a null key: earned)"}
    )
    awarded_by_api_key_id = ma.fields.Integer(
        allow_none=True, metadata={"description": "the API key that gave it by hand (null with a null person: earned)"}
    )
    reason = ma.fields.String()
    revoked = ma.fields.Boolean()
    revoked_at = UtcDateTime(allow_none=True)
    revoked_by_id = ma.fields.Integer(allow_none=True, metadata={"description": "the person who revoked it"})
    revoked_by_api_key_id = ma.fields.Integer(allow_none=True, metadata={"description": "the API key that did"})
    revocation_reason = ma.fields.String(allow_none=True)
    urls = ma.fields.Nested(UrlsSchema)


class UserBadgeSchema(ma.Schema):
    badge_id = ma.fields.Integer()
    award_id = ma.fields.Integer()
    public_id = ma.fields.String()
    name = ma.fields.String()
    description = ma.fields.String()
    image_url = ma.fields.String()
    awarded_at = UtcDateTime()
    expires_at = UtcDateTime(allow_none=True)
    revoked = ma.fields.Boolean()
    revoked_at = UtcDateTime(allow_none=True)
    urls = ma.fields.Nested(UrlsSchema)


class CredentialSchema(ma.Schema):
    public_id = ma.fields.String()
    revoked = ma.fields.Boolean()
    jwt = ma.fields.String(metadata={"description": "the VC-JWT (RS256), verifiable against /.well-known/jwks.json"})
    credential = ma.fields.Dict(metadata={"description": "its claims: the OpenBadgeCredential"})


class ImageUploadSchema(ma.Schema):
    file = Upload(required=True)


def _badge_out(badge):
    badge.branch_ids = badges.branch_ids_of([badge.id]).get(badge.id, [])
    badge.image_url = badges.image_path(badge)
    badge.uploaded_image = badge.image_key is not None
    return badge


def _award_out(award):
    award.revoked = award.revoked_at is not None
    award.urls = public_urls(award)
    return award


@blp.route("")
class Badges(MethodView):
    @requires("courses.read")
    @blp.doc(parameters=list_parameters(badges.BADGE_LIST), security=BEARER)
    @blp.response(200, BadgeSchema(many=True))
    def get(self):
        """The badges you can see: those you manage (drafts too), and the active ones you can earn."""
        query = parse_list_query(request.args, badges.BADGE_LIST)
        page = badges.list_badges(query)
        links = badges.branch_ids_of([b.id for b in page.items])
        for badge in page.items:
            badge.branch_ids = links.get(badge.id, [])
            badge.image_url = badges.image_path(badge)
            badge.uploaded_image = badge.image_key is not None
        return page_response(page, query)

    @requires("courses.manage")
    @blp.doc(security=BEARER)
    @blp.arguments(BadgeSchema)
    @blp.response(201, BadgeSchema)
    def post(self, data):
        """Create a badge: of a course you manage (`course_id`), or of the organization (org admins; branch
        managers for some of their branches, `branch_ids`). 422 with a message per field."""
        return _badge_out(badges.create_badge(data))


@blp.route("/<int:badge_id>")
class BadgeById(MethodView):
    @requires("courses.read")
    @blp.doc(security=BEARER)
    @blp.response(200, BadgeSchema)
    def get(self, badge_id):
        """A badge you can see."""
        return _badge_out(badges.get_badge(badge_id))

    @requires("courses.manage")
    @blp.doc(security=BEARER)
    @blp.arguments(BadgeUpdateSchema)
    @blp.response(200, BadgeSchema)
    def put(self, data, badge_id):
        """Change a badge you manage (its course stays)."""
        return _badge_out(badges.update_badge(badge_id, data))

    @requires("courses.manage")
    @blp.doc(security=BEARER)
    @blp.response(200, BadgeDeletedSchema)
    def delete(self, badge_id):
        """Delete a badge nobody holds; one with awards is archived instead (its credentials stay valid)."""
        return {"id": badge_id, "outcome": badges.delete_badge(badge_id)}


@blp.route("/<int:badge_id>/image")
class BadgeImage(MethodView):
    @requires("courses.manage")
    @blp.doc(security=BEARER)
    @blp.arguments(ImageUploadSchema, location="multipart")
    @blp.response(200, BadgeSchema)
    def put(self, files, badge_id):
        """Upload the badge's picture: a PNG (re-encoded, at most 512 px) or an SVG (cleaned: no scripts, no
        external references), up to 2 MB."""
        upload = files["file"]
        return _badge_out(badges.set_image(badge_id, upload.read(), upload.filename or ""))

    @requires("courses.manage")
    @blp.doc(security=BEARER)
    @blp.response(200, BadgeSchema)
    def delete(self, badge_id):
        """Back to the picture drawn from the badge's colours and initials."""
        return _badge_out(badges.remove_image(badge_id))


@blp.route("/<int:badge_id>/progress")
class BadgeProgress(MethodView):
    @requires("courses.read")
    @blp.doc(security=BEARER)
    @blp.arguments(ProgressArgs, location="query")
    @blp.response(200, ProgressSchema)
    def get(self, args, badge_id):
        """Your progress towards the badge (what is met, what is missing), or a learner's (`user_id`) for
        staff who follow them."""
        return awards.progress_of_learner(badge_id, args.get("user_id"))


@blp.route("/<int:badge_id>/award")
class BadgeAwardByHand(MethodView):
    @requires("courses.manage")
    @blp.doc(security=BEARER)
    @blp.arguments(AwardRequestSchema)
    @blp.response(201, AwardSchema)
    def post(self, data, badge_id):
        """Give the badge by hand to a learner you reach (409 `ALREADY_AWARDED`, `BADGE_NOT_ACTIVE`)."""
        return _award_out(awards.award_by_hand(badge_id, data["user_id"], data["reason"]))


@blp.route("/<int:badge_id>/revoke")
class BadgeRevoke(MethodView):
    @requires("courses.manage")
    @blp.doc(security=BEARER)
    @blp.arguments(RevokeRequestSchema)
    @blp.response(200, AwardSchema)
    def post(self, data, badge_id):
        """Revoke a learner's award, with a reason (its assertion answers revoked from then on)."""
        return _award_out(awards.revoke_by_hand(badge_id, data["user_id"], data["reason"]))


@blp.route("/<int:badge_id>/awards")
class BadgeAwards(MethodView):
    @requires("courses.manage")
    @blp.doc(parameters=list_parameters(awards.AWARD_LIST), security=BEARER)
    @blp.response(200, AwardSchema(many=True))
    def get(self, badge_id):
        """The badge's awards (its managers; a branch manager: their branches' learners): filter on user_id,
        revoked, awarded_at, q (name or e-mail)."""
        query = parse_list_query(request.args, awards.AWARD_LIST)
        page = awards.list_awards(badge_id, query)
        for award in page.items:
            _award_out(award)
        return page_response(page, query)


@people_blp.route("/<int:user_id>/badges")
class UserBadges(MethodView):
    @requires("courses.read")
    @people_blp.doc(security=BEARER)
    @people_blp.response(200, UserBadgeSchema(many=True))
    def get(self, user_id):
        """A person's badges, newest first (revoked ones marked): yours, or someone's you see as staff."""
        return [
            {
                "badge_id": badge.id,
                "award_id": award.id,
                "public_id": award.public_id,
                "name": badge.name,
                "description": badge.description,
                "image_url": badges.image_path(badge),
                "awarded_at": award.awarded_at,
                "expires_at": award.expires_at,
                "revoked": award.revoked_at is not None,
                "revoked_at": award.revoked_at,
                "urls": public_urls(award),
            }
            for award, badge in awards.user_awards(user_id)
        ]


@awards_blp.route("/<string:public_id>/credential")
class AwardCredential(MethodView):
    @requires("courses.read")
    @awards_blp.doc(security=BEARER)
    @awards_blp.response(200, CredentialSchema)
    def get(self, public_id):
        """An award's Open Badges 3.0 credential: the signed VC-JWT and its claims (the learner's own, or staff
        who see them)."""
        award, _badge = awards.credential_of(public_id)
        return {
            "public_id": award.public_id,
            "revoked": award.revoked_at is not None,
            "jwt": award.credential_jwt,
            "credential": jwt.decode(award.credential_jwt, options={"verify_signature": False}),
        }
