"""`/api/v1/certificates`: issued certificates (a learner's own, staff's in their reach), issue by hand, the
PDF; `/api/v1/users/{id}/certificates`; `/api/v1/courses/{id}/certificate-settings`.

Verification, sharing and revocation are the certificates' other routes (verify_api.py)."""

import marshmallow as ma
from flask import request
from flask.views import MethodView

from app.api.blueprint import ApiBlueprint
from app.api.listing import list_parameters, page_response, parse_list_query
from app.api.types import Boolean, ChangesSchema, Id, Integer, UtcDateTime
from app.errors import NotFound, ValidationFailed
from app.security.principal import requires
from blueprints.certificates import issuance, settings
from blueprints.courses import access

blp = ApiBlueprint(
    "certificates", __name__, url_prefix="/api/v1", description="Certificates: issued on completion or by hand."
)
BEARER = [{"bearerAuth": []}]


class CertificateSchema(ma.Schema):
    id = ma.fields.Integer()
    code = ma.fields.String(metadata={"description": "the short verification code, e.g. 7KQ2-M9XD-4TPA"})
    user_id = ma.fields.Integer()
    course_id = ma.fields.Integer()
    template_id = ma.fields.Integer(allow_none=True)
    holder_name = ma.fields.String(metadata={"description": "as it was on the day of issue"})
    course_title = ma.fields.String(metadata={"description": "as it was on the day of issue"})
    completed_at = UtcDateTime()
    issued_at = UtcDateTime()
    expires_at = UtcDateTime(allow_none=True)
    issued_by_id = ma.fields.Integer(
        allow_none=True, metadata={"description": "the person who issued it (null with a null key: on completion)"}
    )
    issued_by_api_key_id = ma.fields.Integer(
        allow_none=True, metadata={"description": "the API key that issued it (null with a null person: on completion)"}
    )
    status = ma.fields.String(
        attribute="render_status", metadata={"enum": ["pending", "ready", "failed"], "description": "its PDF's"}
    )
    render_error = ma.fields.String(allow_none=True)
    is_public = ma.fields.Boolean()
    revoked_at = UtcDateTime(allow_none=True)
    revoked_by_id = ma.fields.Integer(allow_none=True, metadata={"description": "the person who revoked it"})
    revoked_by_api_key_id = ma.fields.Integer(allow_none=True, metadata={"description": "the API key that revoked it"})
    revocation_reason = ma.fields.String(allow_none=True)
    superseded_at = UtcDateTime(allow_none=True)
    superseded_by_id = ma.fields.Integer(allow_none=True)
    pdf_sha256 = ma.fields.String(allow_none=True, metadata={"description": "SHA-256 of the PDF as rendered"})
    pdf_url = ma.fields.Function(
        lambda certificate: issuance.pdf_path(certificate) if certificate.pdf_key else None,
        metadata={"type": "string", "nullable": True, "description": "the PDF, once ready"},
    )
    verify_url = ma.fields.Function(
        lambda certificate: f"/verify/{certificate.code}",
        metadata={"type": "string", "description": "the public verification page"},
    )


class CertificateDetailSchema(CertificateSchema):
    credential = ma.fields.String(
        attribute="credential_jwt",
        allow_none=True,
        metadata={"description": "the signed credential (VC-JWT), once the PDF is ready"},
    )


class IssueSchema(ma.Schema):
    course_id = Id(required=True)
    user_id = Id(required=True)


class CertificateSettingsSchema(ma.Schema):
    course_id = ma.fields.Integer(dump_only=True)
    enabled = Boolean(metadata={"description": "completing the course gives a certificate"})
    template_id = Id(allow_none=True, metadata={"description": "null: the organization's default template"})
    valid_months = Integer(
        allow_none=True, minimum=1, maximum=settings.MAX_VALID_MONTHS, metadata={"description": "null: no expiry"}
    )


class CertificateSettingsUpdateSchema(CertificateSettingsSchema, ChangesSchema):
    pass


@blp.route("/certificates")
class Certificates(MethodView):
    @requires("courses.read")
    @blp.doc(parameters=list_parameters(issuance.CERTIFICATE_LIST), security=BEARER)
    @blp.response(200, CertificateSchema(many=True))
    def get(self):
        """The certificates you can see: your own; those of the courses you manage; those of your branches'
        people (filter on course_id, user_id, status)."""
        query = parse_list_query(request.args, issuance.CERTIFICATE_LIST)
        return page_response(issuance.list_certificates(query), query)

    @requires("courses.manage")
    @blp.doc(security=BEARER)
    @blp.arguments(IssueSchema)
    @blp.response(201, CertificateDetailSchema)
    def post(self, data):
        """Issue a certificate by hand to a learner of a course you manage (409 `CERTIFICATE_EXISTS` when they
        hold a current one); its PDF is made by a job (`status` pending, then ready)."""
        try:
            access.course_for(data["course_id"])
        except NotFound:
            raise ValidationFailed("No such course.", {"course_id": ["No course with this id."]}) from None
        return issuance.issue_by_hand(data["course_id"], data["user_id"])


@blp.route("/certificates/<int:certificate_id>")
class CertificateById(MethodView):
    @requires("courses.read")
    @blp.doc(security=BEARER)
    @blp.response(200, CertificateDetailSchema)
    def get(self, certificate_id):
        """A certificate you can see, with its signed credential and the PDF's address."""
        return issuance.get_certificate(certificate_id)


@blp.route("/certificates/<int:certificate_id>/pdf")
class CertificatePdf(MethodView):
    @requires("courses.read")
    @blp.doc(security=BEARER)
    @blp.response(200, content_type="application/pdf")
    def get(self, certificate_id):
        """The certificate's PDF, its signed credential embedded (404 while it is being made)."""
        return issuance.serve_pdf(issuance.get_certificate(certificate_id))


@blp.route("/users/<int:user_id>/certificates")
class UserCertificates(MethodView):
    @requires("courses.read")
    @blp.doc(parameters=list_parameters(issuance.CERTIFICATE_LIST), security=BEARER)
    @blp.response(200, CertificateSchema(many=True))
    def get(self, user_id):
        """A person's certificates that you can see (all of yours; theirs in your courses or branches)."""
        query = parse_list_query(request.args, issuance.CERTIFICATE_LIST)
        return page_response(issuance.list_certificates(query, user_id=user_id), query)


@blp.route("/courses/<int:course_id>/certificate-settings")
class CourseCertificateSettings(MethodView):
    @requires("courses.manage")
    @blp.doc(security=BEARER)
    @blp.response(200, CertificateSettingsSchema)
    def get(self, course_id):
        """Whether the course gives a certificate, with which template and for how long (its managers)."""
        return settings.get_settings(course_id)

    @requires("courses.manage")
    @blp.doc(security=BEARER)
    @blp.arguments(CertificateSettingsUpdateSchema)
    @blp.response(200, CertificateSettingsSchema)
    def put(self, data, course_id):
        """Change them; certificates already issued keep their template and dates."""
        return settings.update_settings(course_id, data)
