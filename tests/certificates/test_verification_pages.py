"""The public verification page: readable status in words, what the holder shares, meta tags for link previews."""

import re

import pytest

from tests.support.certificate_rows import make_certificate
from tests.support.quizzes import make_classroom


@pytest.fixture
def classroom(app, api, tenant):
    return make_classroom(app, api, tenant)


def page(client, tenant, path):
    response = client.get(path, headers={"Host": f"{tenant.slug}.localhost:5000"})
    return response, response.get_data(as_text=True)


def test_the_typed_code_leads_to_its_page_in_any_case(app, client, classroom):
    _, code = make_certificate(app, classroom.tenant, classroom.course_id, classroom.ids["learner"])
    response, html = page(client, classroom.tenant, "/verify")
    assert response.status_code == 200 and 'name="code"' in html and "<label" in html
    typed = code.lower().replace("-", " ")
    response, _ = page(client, classroom.tenant, f"/verify?code={typed}")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/verify/{code}")


def test_a_private_certificate_page_says_valid_hides_the_holder_and_is_not_indexed(app, client, classroom):
    _, code = make_certificate(
        app, classroom.tenant, classroom.course_id, classroom.ids["learner"], holder_name="Ada Byron"
    )
    response, html = page(client, classroom.tenant, f"/verify/{code}")
    assert response.status_code == 200
    assert "Valid certificate" in html and "Ada Byron" not in html and "@example.org" not in html
    assert '<meta name="robots" content="noindex, nofollow">' in html
    assert re.search(r'<meta property="og:title" content="Valid certificate · Org ', html)
    assert "/.well-known/jwks.json" in html and "/credentials/verifier.py" in html


def test_a_public_page_shows_holder_and_course_and_a_revocation_changes_it_at_once(app, client, classroom):
    certificate_id, code = make_certificate(
        app, classroom.tenant, classroom.course_id, classroom.ids["learner"], holder_name="Ada Byron"
    )
    assert (
        classroom.learner.post(f"/api/v1/certificates/{certificate_id}/share", json={"public": True}).status_code == 200
    )
    _, html = page(client, classroom.tenant, f"/verify/{code}")
    assert "Ada Byron" in html and "Physics" in html and "noindex" not in html
    assert '<meta property="og:title" content="Physics · Valid certificate' in html
    assert f'<meta property="og:url" content="http://{classroom.tenant.slug}.localhost:5000/verify/{code}">' in html

    revoked = classroom.teacher.post(f"/api/v1/certificates/{certificate_id}/revoke", json={"reason": "Copied work"})
    assert revoked.status_code == 200
    _, html = page(client, classroom.tenant, f"/verify/{code}")
    assert "<h1>Revoked</h1>" in html and "Copied work" in html and "Valid certificate" not in html
    assert "Valid until" not in html and "Expiry date" in html  # a revoked certificate is valid until nothing


def test_an_unknown_code_is_a_page_that_says_so(app, client, classroom):
    response, html = page(client, classroom.tenant, "/verify/NOPE-NOPE-NOPE")
    assert response.status_code == 200 and "Not found" in html and "noindex" in html
    response, _ = page(client, classroom.tenant, "/verify/" + "A" * 3000)
    assert response.status_code == 200


def test_the_offline_check_names_the_file_the_verifier_downloads_as(app, client, classroom):
    _, code = make_certificate(app, classroom.tenant, classroom.course_id, classroom.ids["learner"])
    _, html = page(client, classroom.tenant, f"/verify/{code}")
    download, _ = page(client, classroom.tenant, "/credentials/verifier.py")
    saved_as = re.search(r'filename="([^"]+)"', download.headers["Content-Disposition"]).group(1)
    assert f"<code>python {saved_as} certificate.pdf --jwks jwks.json</code>" in html
