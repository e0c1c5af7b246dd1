"""Helpers for the credentials tests: acting org admins, tampering with stored rows, racing threads."""

import hashlib
import io
import threading
from datetime import datetime

import sqlalchemy as sa
from xhtml2pdf import pisa

from app.extensions import db
from app.security.actor import Actor
from app.security.permissions import ORG_ADMIN, STUDENT
from app.security.principal import Principal
from app.tenancy.base import execute_in_tenant
from app.tenancy.context import tenant_context
from blueprints.credentials import keys, signing
from tests.conftest import make_user


def actor_of(app, tenant, role=ORG_ADMIN):
    """An acting person of `role` in `tenant` (a real user row)."""
    user_id = make_user(app, tenant, role)
    return Actor(Principal("user", user_id, f"{role}@example.org", (role,), tenant.id))


def student_actor(app, tenant):
    return actor_of(app, tenant, STUDENT)


def run_sql(app, tenant, sql, **params):
    """Run raw SQL on the tenant's database and commit: what someone with database access could do."""
    with tenant_context(tenant, app):
        execute_in_tenant(sa.text(sql), params)
        db.session.commit()


def in_threads(app, tenant, work, count, timeout=120):
    """Run `work(n)` in `count` threads at once, each inside the tenant with its own session; their results."""
    barrier, results, errors = threading.Barrier(count), [None] * count, []

    def run(n):
        try:
            with tenant_context(tenant, app):
                barrier.wait()
                results[n] = work(n)
        except Exception as error:  # reported to the test below, never swallowed
            errors.append(error)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not errors, errors
    return results


def rendered_pdf(text="Certificate of completion"):
    """A real xhtml2pdf PDF, as the certificates' renderer makes them."""
    out = io.BytesIO()
    result = pisa.CreatePDF(
        f"<html><body><h1>{text}</h1><p>Zoë Ünal completed Fire safety.</p></body></html>", dest=out
    )
    assert not result.err
    return out.getvalue()


def signed_certificate(app, tenant, rendered, valid_until=None):
    """A certificate credential for `rendered` signed by `tenant`, and the tenant's JWKS (committed)."""
    with tenant_context(tenant, app):
        token = signing.sign(
            {
                "type": ["VerifiableCredential", "TesseraCertificate"],
                "credentialSubject": {
                    "holderName": "Zoë Ünal",
                    "courseTitle": "Fire safety",
                    "code": "ABCD-2345",
                    "pdfSha256": hashlib.sha256(rendered).hexdigest(),
                },
            },
            subject_id="urn:uuid:5f0c4f8e-8a43-4ad4-9b55-55e4b1b9c2a7",
            credential_id=signing.absolute_url("/certificates/verify/ABCD-2345"),
            valid_from=datetime(2026, 1, 5, 9, 30),
            valid_until=valid_until,
        )
        db.session.commit()
        return token, keys.jwks()
