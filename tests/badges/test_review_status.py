"""Review of issue 13: a revoked award's Open Badges 3.0 credential says it is revoked to a verifier elsewhere.

The hosted 2.0 assertion answers 410 once revoked, but the signed 3.0 credential stayed valid for ever: a
verifier holding the VC-JWT had nothing to ask. Each credential now carries a `credentialStatus` entry
(W3C Bitstring Status List, revocation) whose list is a signed credential the organization publishes; an
independent implementation (openbadgeslib) checks it.
"""

from urllib.parse import urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from openbadgeslib.ob3 import OB3VerificationError, OB3Verifier

from tests.support.badges import badge_course, create_badge, public_key_for, published_jwks


def _fetcher(client):
    def download(url):
        parts = urlsplit(url)
        response = client.get(parts.path, headers={"Host": parts.netloc})
        if response.status_code != 200:
            raise OSError(f"{url}: HTTP {response.status_code}")
        return response.get_data()

    return download


def test_a_revoked_awards_credential_fails_an_independent_status_check(app, school, api, client):
    course_id, _items, _quiz = badge_course(app, school)
    teacher, learner, me = school["teacher"], school["learners"][0], school["students"][0]
    badge = create_badge(teacher, course_id=course_id, name="Status")
    assert teacher.post(f"/api/v1/badges/{badge['id']}/award", json={"user_id": me}).status_code == 201
    other = teacher.post(f"/api/v1/badges/{badge['id']}/award", json={"user_id": school["students"][1]})
    award = other.get_json()["data"]
    first_award = learner.get(f"/api/v1/users/{me}/badges").get_json()["data"][0]
    token = learner.get(first_award["urls"]["credential"]).get_json()["data"]["jwt"]
    claims = jwt.decode(token, options={"verify_signature": False})
    status = claims["credentialStatus"]
    assert status["type"] == "BitstringStatusListEntry" and status["statusPurpose"] == "revocation"

    key = public_key_for(published_jwks(api(school["tenant"])), token)
    pem = key.public_bytes(encoding=Encoding.PEM, format=PublicFormat.SubjectPublicKeyInfo)
    verifier = OB3Verifier(pubkey_pem=pem)
    download = _fetcher(client)
    credential = verifier.verify(token)
    verifier.check_status(credential, verify_list=True, download=download)  # valid

    listed = api(school["tenant"]).get(urlsplit(status["statusListCredential"]).path)
    assert listed.status_code == 200 and listed.headers["Access-Control-Allow-Origin"] == "*"
    assert "X-RateLimit-Limit" in listed.headers

    revoked = teacher.post(f"/api/v1/badges/{badge['id']}/revoke", json={"user_id": me, "reason": "Copied"})
    assert revoked.status_code == 200
    with pytest.raises(OB3VerificationError, match="revocation"):
        verifier.check_status(credential, verify_list=True, download=download)

    # Given again by hand: a new credential with a new bit, valid; the revoked one stays revoked.
    regiven = teacher.post(f"/api/v1/badges/{badge['id']}/award", json={"user_id": me, "reason": "Appeal"})
    assert regiven.status_code == 201
    new_token = learner.get(first_award["urls"]["credential"]).get_json()["data"]["jwt"]
    new_status = jwt.decode(new_token, options={"verify_signature": False})["credentialStatus"]
    assert new_status["statusListIndex"] != status["statusListIndex"]
    verifier.check_status(verifier.verify(new_token), verify_list=True, download=download)
    with pytest.raises(OB3VerificationError, match="revocation"):
        verifier.check_status(credential, verify_list=True, download=download)

    # The other holder's credential is untouched.
    other_token = school["learners"][1].get(award["urls"]["credential"]).get_json()["data"]["jwt"]
    verifier.check_status(verifier.verify(other_token), verify_list=True, download=download)
