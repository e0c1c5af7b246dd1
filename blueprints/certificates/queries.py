"""What other features may read of certificates."""

from app.extensions import db
from blueprints.certificates.models import Certificate


def certificate_summary(certificate_id):
    """(course title, expires_at) of a certificate as issued, or None."""
    certificate = db.session.get(Certificate, certificate_id)
    return None if certificate is None else (certificate.course_title, certificate.expires_at)
