"""Certificates' verification (public), sharing, revocation, re-issue and bulk ZIP archives.

GET  /api/v1/verify/{code}                       anyone: valid / revoked / expired / superseded / unknown
GET  /api/v1/certificates/{id}/verify            the same, by id
POST /api/v1/certificates/{id}/share             the holder: public or private, share and LinkedIn links
POST /api/v1/certificates/{id}/revoke            the course's managers and org admins, with a reason
POST /api/v1/certificates/{id}/reissue           the same: a new certificate with the holder's current name
POST /api/v1/courses/{id}/certificates/archive   the same: a ZIP of the course's certificates (a job)
GET  /api/v1/certificate-archives/{id}           its progress (the one who asked); `/download` once done
"""

import marshmallow as ma
from flask.views import MethodView
from marshmallow import validate

from app.api.blueprint import ApiBlueprint
from app.api.types import Boolean, UtcDateTime
from app.security.actor import current_actor
from app.security.principal import public, requires
from blueprints.certificates import archives, lifecycle, sharing, verification

blp = ApiBlueprint(
    "certificate_verification",
    __name__,
    url_prefix="/api/v1",
    description="Certificates: public verification, sharing, revocation, re-issue and bulk downloads.",
)
BEARER = [{"bearerAuth": []}]


class VerificationIssuerSchema(ma.Schema):
    name = ma.fields.String()
    url = ma.fields.String(metadata={"description": "the organization's site"})
    logo_url = ma.fields.String(allow_none=True)
    profile_url = ma.fields.String(
        metadata={"description": "the Open Badges 3.0 issuer profile (the credentials' `iss`)"}
    )
    jwks_url = ma.fields.String(metadata={"description": "the public keys that verify its signed credentials"})
    verifier_url = ma.fields.String(metadata={"description": "the offline verifier (Python, stdlib + cryptography)"})


class VerificationLogHeadSchema(ma.Schema):
    seq = ma.fields.Integer(metadata={"description": "entries in the issuance log"})
    hash = ma.fields.String(metadata={"description": "SHA-256 of its last entry (a hash chain)"})


class VerificationSchema(ma.Schema):
    code = ma.fields.String(allow_none=True)
    status = ma.fields.String(metadata={"enum": list(verification.STATUSES)})
    checked_at = UtcDateTime()
    certificate_id = ma.fields.Integer(allow_none=True)
    issuer = ma.fields.Nested(VerificationIssuerSchema)
    log_head = ma.fields.Nested(VerificationLogHeadSchema)
    public = ma.fields.Boolean(metadata={"description": "the holder shows their name, the course and the dates"})
    revoked_at = UtcDateTime(allow_none=True)
    revocation_reason = ma.fields.String(allow_none=True)
    expires_at = UtcDateTime(allow_none=True)
    superseded_at = UtcDateTime(allow_none=True)
    superseded_by = ma.fields.String(allow_none=True, metadata={"description": "the code of its re-issue"})
    holder_name = ma.fields.String(allow_none=True, metadata={"description": "when public (never once erased)"})
    holder_erased = ma.fields.Boolean(
        metadata={"description": "the holder's data was erased at their request: no name, the certificate stands"}
    )
    course_title = ma.fields.String(allow_none=True, metadata={"description": "when public"})
    completed_at = UtcDateTime(allow_none=True, metadata={"description": "when public"})
    issued_at = UtcDateTime(allow_none=True, metadata={"description": "when public"})


class ShareArgs(ma.Schema):
    public = Boolean(required=True, metadata={"description": "true: the page shows your name, the course, the dates"})


class SharingSchema(ma.Schema):
    certificate_id = ma.fields.Integer()
    code = ma.fields.String()
    is_public = ma.fields.Boolean()
    share_url = ma.fields.String(metadata={"description": "the public verification page"})
    linkedin_url = ma.fields.String(metadata={"description": "LinkedIn's Add to profile, filled in"})


class RevokeArgs(ma.Schema):
    reason = ma.fields.String(
        required=True,
        validate=validate.Length(min=1, max=lifecycle.MAX_REASON),
        metadata={"description": "shown on the verification page"},
    )


class CertificateStateSchema(ma.Schema):
    id = ma.fields.Integer()
    code = ma.fields.String()
    course_id = ma.fields.Integer()
    user_id = ma.fields.Integer()
    holder_name = ma.fields.String()
    course_title = ma.fields.String()
    completed_at = UtcDateTime()
    issued_at = UtcDateTime()
    expires_at = UtcDateTime(allow_none=True)
    render_status = ma.fields.String()
    issued_by_id = ma.fields.Integer(allow_none=True, metadata={"description": "the person who (re-)issued it"})
    issued_by_api_key_id = ma.fields.Integer(allow_none=True, metadata={"description": "the API key that did"})
    revoked_at = UtcDateTime(allow_none=True)
    revoked_by_id = ma.fields.Integer(allow_none=True, metadata={"description": "the person who revoked it"})
    revoked_by_api_key_id = ma.fields.Integer(allow_none=True, metadata={"description": "the API key that did"})
    revocation_reason = ma.fields.String(allow_none=True)
    superseded_at = UtcDateTime(allow_none=True)
    superseded_by_id = ma.fields.Integer(allow_none=True)


class ArchiveSchema(ma.Schema):
    id = ma.fields.Integer()
    course_id = ma.fields.Integer()
    status = ma.fields.String(metadata={"enum": [archives.QUEUED, archives.RUNNING, archives.DONE, archives.FAILED]})
    done = ma.fields.Integer(metadata={"description": "certificates written so far"})
    total = ma.fields.Integer()
    error = ma.fields.String(allow_none=True)
    requested_by_id = ma.fields.Integer(allow_none=True, metadata={"description": "the person who asked for it"})
    requested_by_api_key_id = ma.fields.Integer(
        allow_none=True, metadata={"description": "the API key that asked for it (only it may download it)"}
    )
    created_at = UtcDateTime()
    finished_at = UtcDateTime(allow_none=True)


@blp.route("/verify/<code>")
class VerifyCode(MethodView):
    @public
    @verification.limit_verifications
    @blp.response(200, VerificationSchema)
    def get(self, code):
        """Verify a certificate code (any case, dashes optional): its status, the issuer, the issuance log's head
        and what the holder made public. No sign-in; limited per address."""
        verification.require_organization()
        verification.never_cached(robots=True)
        return verification.verify_code(code)


@blp.route("/certificates/<int:certificate_id>/verify")
class VerifyCertificate(MethodView):
    @public
    @verification.limit_verifications
    @blp.response(200, VerificationSchema)
    def get(self, certificate_id):
        """Verify a public certificate by its id, as `/verify/{code}` does (an unknown id or a private certificate:
        status `unknown`; a private one verifies by its code)."""
        verification.require_organization()
        verification.never_cached(robots=True)
        return verification.verify_certificate(certificate_id)


@blp.route("/certificates/<int:certificate_id>/share")
class ShareCertificate(MethodView):
    @requires("courses.learn")
    @blp.doc(security=BEARER)
    @blp.arguments(ShareArgs)
    @blp.response(200, SharingSchema)
    def post(self, args, certificate_id):
        """Make your certificate public or private; returns its share link and LinkedIn's "Add to profile" link."""
        return sharing.share(certificate_id, args["public"], current_actor)


@blp.route("/certificates/<int:certificate_id>/revoke")
class RevokeCertificate(MethodView):
    @requires("courses.manage")
    @blp.doc(security=BEARER)
    @blp.arguments(RevokeArgs)
    @blp.response(200, CertificateStateSchema)
    def post(self, args, certificate_id):
        """Revoke a certificate (the course's managers, org admins) with a reason the verification page shows."""
        return lifecycle.revoke(certificate_id, args["reason"], current_actor)


@blp.route("/certificates/<int:certificate_id>/reissue")
class ReissueCertificate(MethodView):
    @requires("courses.manage")
    @blp.doc(security=BEARER)
    @blp.response(201, CertificateStateSchema)
    def post(self, certificate_id):
        """Re-issue a certificate with the holder's current name; the old one verifies as superseded by it."""
        return lifecycle.reissue(certificate_id, current_actor)


@blp.route("/courses/<int:course_id>/certificates/archive")
class CourseCertificateArchive(MethodView):
    @requires("courses.manage")
    @blp.doc(security=BEARER)
    @blp.response(202, ArchiveSchema)
    def post(self, course_id):
        """Start a ZIP of the course's current certificates (a job); poll `/certificate-archives/{id}`."""
        return archives.request_archive(course_id, current_actor)


@blp.route("/certificate-archives/<int:archive_id>")
class CertificateArchiveById(MethodView):
    @requires("courses.manage")
    @blp.doc(security=BEARER)
    @blp.response(200, ArchiveSchema)
    def get(self, archive_id):
        """An archive's progress (`done` of `total`), for the person or the API key that asked for it."""
        return archives.archive_for(archive_id, current_actor)


@blp.route("/certificate-archives/<int:archive_id>/download")
class CertificateArchiveDownload(MethodView):
    @requires("courses.manage")
    @blp.doc(security=BEARER)
    @blp.response(200, content_type="application/zip")
    def get(self, archive_id):
        """The finished ZIP: one `<holder>-<code>.pdf` per certificate."""
        return archives.serve_archive(archive_id, current_actor)
