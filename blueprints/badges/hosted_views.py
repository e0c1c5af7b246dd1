"""Open Badges 2.0, hosted: the Issuer, each BadgeClass and each Assertion as JSON-LD at stable public URLs,
the badges' pictures, and the baked images a learner downloads for backpacks that only know 2.0.

Public, without sign-in, and never an e-mail: the recipient is `sha256$` of the e-mail and the award's salt.
A revoked assertion answers 410 Gone with `{"revoked": true, "revocationReason": ...}` (Open Badges 2.0,
"Hosted verification"); so do its baked images. A draft badge does not exist here (404).
"""

from flask import Blueprint, Response, jsonify

from app.errors import NotFound
from app.extensions import db
from app.tenancy.context import get_current_tenant
from blueprints.badges import artwork, awards, badges, status
from blueprints.badges.criteria import LearnerFacts, strategy_for
from blueprints.badges.models import Badge, BadgeStatus
from blueprints.credentials import signing
from blueprints.users.models import User  # the recipient's e-mail, hashed with the award's salt

bp = Blueprint("badges_hosted", __name__, url_prefix="/ob/v2")
status_bp = Blueprint("badges_status", __name__)


@bp.before_request
@status_bp.before_request
def _organizations_only():
    """Badges are an organization's: on the platform's own host there are none."""
    if get_current_tenant() is None:
        raise NotFound("No such page.")


CONTEXT = "https://w3id.org/openbadges/v2"
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
PUBLIC_CACHE = "public, max-age=300"


def _json_ld(document, status=200):
    response = jsonify(document)
    response.status_code = status
    response.mimetype = "application/ld+json"
    response.headers["Cache-Control"] = PUBLIC_CACHE if status == 200 else "no-store"
    response.headers["Access-Control-Allow-Origin"] = "*"  # backpacks and validators fetch it from their pages
    return response


def issuer_url():
    return signing.absolute_url("/ob/v2/issuer")


def badge_class_url(badge_id):
    return signing.absolute_url(f"/ob/v2/badges/{badge_id}")


def assertion_url(public_id):
    return signing.absolute_url(f"/ob/v2/assertions/{public_id}")


def _public_badge(badge_id):
    badge = db.session.get(Badge, badge_id)
    if badge is None or badge.status == BadgeStatus.DRAFT:
        raise NotFound("No such badge.")
    return badge


def _iso(moment):
    return moment.replace(microsecond=0).isoformat() + "Z"


@bp.get("/issuer")
def issuer():
    """The organization as an Open Badges 2.0 Issuer (Profile)."""
    profile = signing.issuer_profile()
    document = {
        "@context": CONTEXT,
        "type": "Issuer",
        "id": issuer_url(),
        "name": profile.get("name"),
        "url": profile.get("url") or signing.absolute_url("/"),
    }
    image = profile.get("image")
    if image:
        document["image"] = image.get("id") if isinstance(image, dict) else image
    return _json_ld(document)


def badge_class(badge):
    return {
        "@context": CONTEXT,
        "type": "BadgeClass",
        "id": badge_class_url(badge.id),
        "name": badge.name,
        "description": badge.description or badge.name,
        "image": signing.absolute_url(badges.image_path(badge)),
        "criteria": {"narrative": strategy_for(badge.criteria_strategy).narrative(badge.criteria, LearnerFacts(None))},
        "issuer": issuer_url(),
    }


@bp.get("/badges/<int:badge_id>")
def badge_class_document(badge_id):
    """A badge as an Open Badges 2.0 BadgeClass, once it was given to someone (its holders' assertions name it;
    before that it would only tell anyone counting ids the badge and the courses its criteria name)."""
    badge = _public_badge(badge_id)
    if not badges.award_count(badge.id):
        raise NotFound("No such badge.")
    return _json_ld(badge_class(badge))


@bp.get("/badges/<int:badge_id>/image.svg")
def badge_image_svg(badge_id):
    """The badge's picture as SVG (drawn, or the uploaded SVG as cleaned); 404 for an uploaded PNG."""
    svg = badges.badge_svg(_public_badge(badge_id))
    if svg is None:
        raise NotFound("This badge's picture is a PNG.")
    return _image(svg, "image/svg+xml")


@bp.get("/badges/<int:badge_id>/image.png")
def badge_image_png(badge_id):
    """The badge's picture as PNG."""
    return _image(badges.badge_png(_public_badge(badge_id)), "image/png")


def _image(data, mimetype, download_name=None):
    response = Response(data, mimetype=mimetype)
    response.headers["Cache-Control"] = PUBLIC_CACHE
    response.headers["X-Content-Type-Options"] = "nosniff"
    if mimetype == "image/svg+xml":
        response.headers["Content-Security-Policy"] = SVG_POLICY
    if download_name:
        response.headers["Content-Disposition"] = f'attachment; filename="{download_name}"'
    return response


def assertion(award, badge):
    email = db.session.scalar(db.select(User.email).where(User.id == award.user_id)) or ""
    document = {
        "@context": CONTEXT,
        "type": "Assertion",
        "id": assertion_url(award.public_id),
        "recipient": {
            "type": "email",
            "hashed": True,
            "salt": award.recipient_salt,
            "identity": awards.recipient_hash(email, award.recipient_salt),
        },
        "badge": badge_class_url(badge.id),
        "verification": {"type": "hosted"},
        "issuedOn": _iso(award.awarded_at),
    }
    if award.expires_at:
        document["expires"] = _iso(award.expires_at)
    return document


def _revoked(award):
    return _json_ld(
        {
            "@context": CONTEXT,
            "type": "Assertion",
            "id": assertion_url(award.public_id),
            "revoked": True,
            "revocationReason": award.revocation_reason or "",
        },
        status=410,
    )


@bp.get("/assertions/<public_id>")
def assertion_document(public_id):
    """An award as an Open Badges 2.0 hosted Assertion (410 with `revoked: true` once revoked)."""
    award = awards.award_by_public_id(public_id)
    if award.revoked_at is not None:
        return _revoked(award)
    return _json_ld(assertion(award, db.session.get(Badge, award.badge_id)))


def _baked_source(public_id):
    award = awards.award_by_public_id(public_id)
    return award, db.session.get(Badge, award.badge_id)


@bp.get("/assertions/<public_id>/baked.png")
def baked_png(public_id):
    """The badge's PNG with the assertion's URL baked in (an `iTXt` chunk `openbadges`)."""
    award, badge = _baked_source(public_id)
    if award.revoked_at is not None:
        return _revoked(award)
    data = artwork.bake_png(badges.badge_png(badge), assertion_url(award.public_id))
    return _image(data, "image/png", f"badge-{award.public_id[:8]}.png")


@bp.get("/assertions/<public_id>/baked.svg")
def baked_svg(public_id):
    """The badge's SVG with the assertion's URL baked in (`<openbadges:assertion verify=...>`); the drawn
    picture when the badge's own is a PNG."""
    award, badge = _baked_source(public_id)
    if award.revoked_at is not None:
        return _revoked(award)
    svg = badges.badge_svg(badge) or artwork.drawn_svg(badge.colour, badge.accent, badge.initials, badge.name)
    data = artwork.bake_svg(svg, assertion_url(award.public_id))
    return _image(data, "image/svg+xml", f"badge-{award.public_id[:8]}.svg")


@status_bp.get(status.STATUS_LIST_PATH)
def revocation_list():
    """The badges' revocation list: a signed W3C BitstringStatusListCredential (VC-JWT) that every Open Badges
    3.0 credential names in its `credentialStatus`. Cached for a few minutes; each copy is valid for an hour."""
    response = Response(status.status_list_token(), mimetype="application/vc+jwt")
    response.headers["Cache-Control"] = PUBLIC_CACHE
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
