"""Hostile review of the certificate jobs (issue 13): what a render job does with a certificate revoked or
replaced while it waited in the queue."""

import pytest

from app.security.actor import Actor
from app.tenancy.context import tenant_context
from blueprints.certificates import issuance, lifecycle
from blueprints.certificates.models import CertificateStatus
from blueprints.users.services import principal_for_user
from tests.conftest import run_jobs
from tests.support.certificates import build_certificate_course, certificates_of

pytestmark = pytest.mark.skipif(
    not issuance.credentials_ready(), reason="needs the credentials part's signing, log and PDF embedding"
)


@pytest.fixture
def certificate_course(app, api, tenant, login_as):
    return build_certificate_course(app, api, tenant, login_as)


def test_a_certificate_revoked_before_its_render_gets_no_signed_pdf(app, tenant, certificate_course):
    """Revoked while pending, it must not come out of the worker with a freshly signed credential: the offline
    verifier (which cannot know of the revocation) would call that new PDF valid."""
    course = certificate_course
    with tenant_context(tenant, app):
        teacher = Actor(principal_for_user(course["teacher_id"]))
        revoked = issuance.issue_certificate(course["course_id"], course["learner_ids"][0])
        kept = issuance.issue_certificate(course["course_id"], course["learner_ids"][1])
        revoked_id, kept_id = revoked.id, kept.id
        lifecycle.revoke(revoked_id, "Issued by mistake", actor=teacher)
    run_jobs(app)
    (row,) = certificates_of(app, tenant, id=revoked_id)
    assert row.credential_jwt is None and row.pdf_key is None
    assert row.render_status == CertificateStatus.FAILED and "revoked" in row.render_error
    (ready,) = certificates_of(app, tenant, id=kept_id)
    assert ready.render_status == CertificateStatus.READY and ready.credential_jwt
