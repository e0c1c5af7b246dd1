"""The holder's choice to show a certificate: public or private, the share link, LinkedIn's "Add to profile".

Private (the default), the verification page says only whether the code is valid and who issued it; public,
it also shows the holder's name, the course and the dates. The share link works either way.
"""

from dataclasses import dataclass
from urllib.parse import urlencode

import sqlalchemy as sa

from app.api.types import as_utc
from app.extensions import db
from app.security.actor import current_actor
from app.tenancy.context import require_tenant
from blueprints.certificates import lifecycle, verification
from blueprints.certificates.models import Certificate
from blueprints.home.services import organization_name

LINKEDIN_ADD_TO_PROFILE = "https://www.linkedin.com/profile/add"


@dataclass(frozen=True)
class Sharing:
    certificate_id: int
    code: str
    is_public: bool
    share_url: str
    linkedin_url: str


def linkedin_url(certificate):
    """LinkedIn's "Add to profile" link for a certification, filled in: name, organization, issue and
    expiry month, the credential id (the code) and its URL (the verification page)."""
    issued = as_utc(certificate.issued_at)
    fields = {
        "startTask": "CERTIFICATION_NAME",
        "name": certificate.course_title,
        "organizationName": organization_name(require_tenant()),
        "issueYear": issued.year,
        "issueMonth": issued.month,
    }
    if certificate.expires_at:
        expires = as_utc(certificate.expires_at)
        fields |= {"expirationYear": expires.year, "expirationMonth": expires.month}
    fields |= {"certUrl": verification.verify_url(certificate.code), "certId": certificate.code}
    return f"{LINKEDIN_ADD_TO_PROFILE}?{urlencode(fields)}"


def sharing_of(certificate):
    return Sharing(
        certificate.id,
        certificate.code,
        certificate.is_public,
        verification.verify_url(certificate.code),
        linkedin_url(certificate),
    )


def share(certificate_id, public, actor=current_actor):
    """Make the actor's own certificate public or private; returns its links (the holder only)."""
    certificate = lifecycle.certificate_for(certificate_id, "own", actor)
    if certificate.is_public != public:
        certificate.is_public = public
        verification.forget_after_commit(certificate.code)
        db.session.commit()
    return sharing_of(certificate)


@dataclass(frozen=True)
class HeldCertificate:
    certificate: Certificate
    status: str  # valid, expired, revoked, superseded
    sharing: Sharing
    expiring_soon: bool


def certificates_held(actor=current_actor):
    """The actor's own certificates for "My achievements": current ones first (newest first), then those
    revoked or replaced, each with its status and links."""
    if not actor.is_authenticated or actor.kind != "user":
        return []
    rows = db.session.scalars(
        sa.select(Certificate)
        .where(Certificate.user_id == actor.id)
        .order_by(
            sa.case((sa.and_(Certificate.revoked_at.is_(None), Certificate.superseded_at.is_(None)), 0), else_=1),
            Certificate.issued_at.desc(),
            Certificate.id.desc(),
        )
    ).all()
    soon = {
        row.id for row in db.session.scalars(lifecycle.expiring_certificates().where(Certificate.user_id == actor.id))
    }
    return [HeldCertificate(row, lifecycle.status_label(row), sharing_of(row), row.id in soon) for row in rows]


def held_certificate(certificate_id, actor=current_actor):
    """One of the actor's own certificates, as on "My achievements"."""
    certificate = lifecycle.certificate_for(certificate_id, "own", actor)
    soon = db.session.scalar(lifecycle.expiring_certificates().where(Certificate.id == certificate.id)) is not None
    return HeldCertificate(certificate, lifecycle.status_label(certificate), sharing_of(certificate), soon)
