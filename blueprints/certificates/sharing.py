"""The holder's choice to show a certificate: public or private, the share link, LinkedIn's "Add to profile".

Private (the default), the verification page says only whether the code is valid and who issued it; public,
it also shows the holder's name, the course and the dates. The share link works either way.
"""

from dataclasses import dataclass
from urllib.parse import urlencode

from app.api.types import as_utc
from app.extensions import db
from app.security.actor import current_actor
from app.tenancy.context import require_tenant
from blueprints.certificates import lifecycle, verification
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
