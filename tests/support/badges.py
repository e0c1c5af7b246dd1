"""Badges for tests: a school with a course and a quiz to earn them by, learners taking quizzes through the API,
and the pieces of Open Badges documents a test reads (baked PNG chunks, the published JWKS)."""

import jwt

from tests.support.attempts import EVERY_KIND, enrolled_course, make_quiz

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def badge_course(app, school, items=2):
    """A published course of the school's teacher with its three students enrolled, and a quiz in it (50 % to
    pass, highest attempt counts)."""
    course_id, item_ids = enrolled_course(school, items=items)
    quiz_id = make_quiz(app, school["tenant"], course_id, pass_percent=50.0, grading_method="highest")
    return course_id, item_ids, quiz_id


def create_badge(client, expect=201, **fields):
    body = {"name": "Finisher", "criteria_strategy": "manual", "status": "active", **fields}
    response = client.post("/api/v1/badges", json=body)
    assert response.status_code == expect, response.get_json()
    return response.get_json()["data"] if expect == 201 else response.get_json()


def complete_course(learner, item_ids):
    for item_id in item_ids:
        done = learner.post(f"/api/v1/content/{item_id}/complete")
        assert done.status_code == 200, done.get_json()


def take_quiz(learner, quiz_id, right=True):
    """Start and submit an attempt with every answer right (or every one wrong); returns the graded attempt."""
    started = learner.post(f"/api/v1/assessments/{quiz_id}/attempts")
    assert started.status_code == 201, started.get_json()
    attempt = started.get_json()["data"]
    by_stem = {sample["stem"]: sample for sample in EVERY_KIND.values()}
    answers = [
        {"position": q["position"], "response": by_stem[q["stem_html"]]["right" if right else "wrong"]}
        for q in attempt["questions"]
    ]
    submitted = learner.post(f"/api/v1/assessments/{quiz_id}/submit", json={"answers": answers})
    assert submitted.status_code == 200, submitted.get_json()
    return submitted.get_json()["data"]


def png_chunks(data):
    """[(type, data)] of a PNG's chunks, read by the PNG specification's layout."""
    assert data[:8] == PNG_SIGNATURE
    chunks, at = [], 8
    while at < len(data):
        length = int.from_bytes(data[at : at + 4], "big")
        chunks.append((data[at + 4 : at + 8], data[at + 8 : at + 8 + length]))
        at += 12 + length
    return chunks


def published_jwks(anonymous):
    """The organization's JWK Set, fetched from `/.well-known/jwks.json` without signing in."""
    served = anonymous.get("/.well-known/jwks.json")
    assert served.status_code == 200, served.status_code
    return served.get_json()


def public_key_for(jwks, token):
    """The public key of the JWK Set named by the token's `kid`."""
    kid = jwt.get_unverified_header(token)["kid"]
    return jwt.PyJWK(next(k for k in jwks["keys"] if k["kid"] == kid)).key


def verify_with_published_keys(jwks, token):
    """The token's claims, verified with PyJWT alone against the published JWK Set (by its `kid`)."""
    return jwt.decode(token, public_key_for(jwks, token), algorithms=["RS256"], options={"verify_aud": False})
