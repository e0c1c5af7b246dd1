"""Awards: earned from events through the real relay (once, several in one delivery), given and revoked by
hand within the manager's reach, signed as Open Badges 3.0 credentials that verify against the published
keys, logged in the issuance log, announced as events; progress towards a badge."""

import base64
import json
import threading
from datetime import datetime

import jwt
import pytest
import sqlalchemy as sa

from app.events.catalog import load
from app.events.models import EventDelivery, OutboxEvent
from app.extensions import db
from app.tenancy.context import tenant_context
from blueprints.badges import awards
from blueprints.badges.models import BadgeAward
from blueprints.credentials.models import LedgerEntry
from tests.conftest import run_jobs, user_token
from tests.support.badges import (
    badge_course,
    complete_course,
    create_badge,
    published_jwks,
    take_quiz,
    verify_with_published_keys,
)


def _outbox(app, tenant, prefix):
    with tenant_context(tenant, app):
        rows = db.session.execute(
            sa.select(OutboxEvent.name, OutboxEvent.payload).where(OutboxEvent.name.like(f"{prefix}%"))
        ).all()
    return [(name, payload) for name, payload in rows]


def test_completing_a_course_earns_its_badges_in_one_delivery_once_and_signed(app, school, api):
    tenant = school["tenant"]
    course_id, item_ids, quiz_id = badge_course(app, school)
    teacher, learner, me = school["teacher"], school["learners"][0], school["students"][0]
    finished = create_badge(
        teacher, name="Finished", course_id=course_id, criteria_strategy="course_completed", valid_months=6
    )
    either = create_badge(
        teacher,
        name="Either",
        course_id=course_id,
        criteria_strategy="courses",
        criteria={"course_ids": [course_id], "mode": "any"},
    )
    create_badge(teacher, name="Draft", course_id=course_id, criteria_strategy="course_completed", status="draft")
    create_badge(
        teacher, name="Quiz", course_id=course_id, criteria_strategy="assessment_passed", criteria={"quiz_id": quiz_id}
    )

    before = learner.get(f"/api/v1/badges/{finished['id']}/progress").get_json()["data"]
    assert (before["met"], before["percent"], before["awarded"]) == (False, 0, False)
    assert [i["label"] for i in before["missing_items"]] == ["Complete Algebra"]

    complete_course(learner, item_ids)
    run_jobs(app)  # course.completed -> the badges' subscriber -> badge.awarded
    mine = learner.get(f"/api/v1/users/{me}/badges").get_json()["data"]
    assert sorted(b["name"] for b in mine) == ["Either", "Finished"]
    with tenant_context(tenant, app):
        deliveries = db.session.scalars(
            sa.select(EventDelivery.id)
            .join(OutboxEvent, OutboxEvent.id == EventDelivery.event_id)
            .where(OutboxEvent.name == "course.completed", EventDelivery.subscriber.like("blueprints.badges.%"))
        ).all()
        held = db.session.scalars(sa.select(BadgeAward).where(BadgeAward.user_id == me)).all()
        entries = db.session.scalars(sa.select(LedgerEntry).where(LedgerEntry.subject_type == "badge_award")).all()
    assert len(deliveries) == 1 and len(held) == 2  # both in the one delivery
    assert sorted(e.action for e in entries) == ["awarded", "awarded"]
    awarded = [payload for name, payload in _outbox(app, tenant, "badge.") if name == "badge.awarded"]
    assert sorted(p["badge_id"] for p in awarded) == sorted([finished["id"], either["id"]])

    got = next(b for b in mine if b["name"] == "Finished")
    assert got["expires_at"] and got["revoked"] is False
    after = learner.get(f"/api/v1/badges/{finished['id']}/progress").get_json()["data"]
    assert (after["met"], after["percent"], after["awarded"]) == (True, 100, True)

    credential = learner.get(got["urls"]["credential"]).get_json()["data"]
    jwks = published_jwks(api(tenant))
    claims = verify_with_published_keys(jwks, credential["jwt"])
    assert claims["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert claims["credentialSubject"]["achievement"]["name"] == "Finished"
    assert claims["credentialSubject"]["id"] == claims["sub"] and claims["jti"] == claims["id"]
    assert claims["issuer"]["type"] == ["Profile"] and claims["iss"] == claims["issuer"]["id"] and "exp" in claims
    assert "s0@example.org" not in json.dumps(claims)  # the recipient is a salted hash
    assert jwt.get_unverified_header(credential["jwt"])["alg"] == "RS256"

    header, payload, signature = credential["jwt"].split(".")
    changed = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    changed["credentialSubject"]["achievement"]["name"] = "Grand master"
    forged = base64.urlsafe_b64encode(json.dumps(changed).encode()).rstrip(b"=").decode()
    with pytest.raises(jwt.InvalidSignatureError):
        verify_with_published_keys(jwks, f"{header}.{forged}.{signature}")

    # Delivered again (a replay): nothing new.
    with tenant_context(tenant, app):
        event = db.session.scalar(sa.select(OutboxEvent).where(OutboxEvent.name == "course.completed"))
        assert awards.award_met_badges(load(event.name, event.payload)) == []
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count(BadgeAward.id)).where(BadgeAward.user_id == me)) == 2


def test_assessment_badges_follow_passing_and_the_best_score(app, school):
    course_id, _items, quiz_id = badge_course(app, school)
    teacher, learner, me = school["teacher"], school["learners"][1], school["students"][1]
    passed = create_badge(
        teacher,
        name="Passed",
        course_id=course_id,
        criteria_strategy="assessment_passed",
        criteria={"quiz_id": quiz_id},
    )
    ace = create_badge(
        teacher,
        name="Ace",
        course_id=course_id,
        criteria_strategy="assessment_score",
        criteria={"quiz_id": quiz_id, "min_percent": 100},
    )
    take_quiz(learner, quiz_id, right=False)
    run_jobs(app)
    assert learner.get(f"/api/v1/users/{me}/badges").get_json()["data"] == []
    progress = learner.get(f"/api/v1/badges/{ace['id']}/progress").get_json()["data"]
    assert progress["met"] is False and "best so far 0 %" in progress["missing_items"][0]["label"]

    take_quiz(learner, quiz_id, right=True)
    run_jobs(app)
    names = sorted(b["name"] for b in learner.get(f"/api/v1/users/{me}/badges").get_json()["data"])
    assert names == ["Ace", "Passed"]
    take_quiz(learner, quiz_id, right=True)  # graded again: nothing new
    run_jobs(app)
    assert len(learner.get(f"/api/v1/users/{me}/badges").get_json()["data"]) == 2
    assert passed["id"] != ace["id"]


def test_manual_awards_and_revocations_stay_within_the_managers_reach(app, district, api):
    admin, manager, teacher = district["admin"], district["manager"], district["teacher"]
    people = district["people"]
    tenant = admin.tenant
    rows = admin.get(f"/api/v1/organizations/{tenant.id}/branches").get_json()["data"]
    north = next(r["id"] for r in rows if r["code"] == "north")
    local = create_badge(manager, name="North helper", branch_ids=[north])
    out_of_reach = manager.post(f"/api/v1/badges/{local['id']}/award", json={"user_id": people["south"]})
    assert out_of_reach.status_code == 404
    given = manager.post(f"/api/v1/badges/{local['id']}/award", json={"user_id": people["north"], "reason": "Helped"})
    assert given.status_code == 201, given.get_json()
    award = given.get_json()["data"]
    assert award["reason"] == "Helped" and award["urls"]["assertion"] == f"/ob/v2/assertions/{award['public_id']}"
    twice = manager.post(f"/api/v1/badges/{local['id']}/award", json={"user_id": people["north"]})
    assert (twice.status_code, twice.get_json()["error"]["code"]) == (409, "ALREADY_AWARDED")
    assert teacher.post(f"/api/v1/badges/{local['id']}/award", json={"user_id": people["north"]}).status_code == 404

    listed = manager.get(f"/api/v1/badges/{local['id']}/awards?filter[q]=north").get_json()
    assert [a["user_id"] for a in listed["data"]] == [people["north"]] and listed["meta"]["total"] == 1

    no_reason = manager.post(f"/api/v1/badges/{local['id']}/revoke", json={"user_id": people["north"], "reason": ""})
    assert no_reason.status_code == 422
    revoked = manager.post(
        f"/api/v1/badges/{local['id']}/revoke", json={"user_id": people["north"], "reason": "Mistake"}
    )
    assert revoked.status_code == 200 and revoked.get_json()["data"]["revoked"] is True
    again = manager.post(f"/api/v1/badges/{local['id']}/revoke", json={"user_id": people["north"], "reason": "Again"})
    assert (again.status_code, again.get_json()["error"]["code"]) == (409, "ALREADY_REVOKED")
    with tenant_context(tenant, app):
        actions = db.session.scalars(sa.select(LedgerEntry.action).order_by(LedgerEntry.seq)).all()
    assert actions[-2:] == ["awarded", "revoked"]
    assert [n for n, _ in _outbox(app, tenant, "badge.")] == ["badge.awarded", "badge.revoked"]

    # Given again by hand: the same row, a new credential.
    regiven = manager.post(f"/api/v1/badges/{local['id']}/award", json={"user_id": people["north"]})
    assert regiven.status_code == 201 and regiven.get_json()["data"]["public_id"] == award["public_id"]

    # Whose badges one may read: oneself, and staff who see the person.
    with tenant_context(tenant, app):
        north_learner = api(tenant, user_token(app, tenant, people["north"], "student"))
        south_learner = api(tenant, user_token(app, tenant, people["south"], "student"))
    assert len(north_learner.get(f"/api/v1/users/{people['north']}/badges").get_json()["data"]) == 1
    assert south_learner.get(f"/api/v1/users/{people['north']}/badges").status_code == 404
    assert manager.get(f"/api/v1/users/{people['south']}/badges").status_code == 404
    assert admin.get(f"/api/v1/users/{people['north']}/badges").status_code == 200
    credential = north_learner.get(f"/api/v1/badge-awards/{award['public_id']}/credential")
    assert credential.status_code == 200
    assert south_learner.get(f"/api/v1/badge-awards/{award['public_id']}/credential").status_code == 404
    progress = manager.get(f"/api/v1/badges/{local['id']}/progress?user_id={people['north']}")
    assert progress.status_code == 200 and progress.get_json()["data"]["awarded"] is True
    assert south_learner.get(f"/api/v1/badges/{local['id']}").status_code == 404  # not of their branch


def test_two_awards_at_once_make_one(app, school):
    """On PostgreSQL the two transactions really overlap: the badge's row lock makes the second wait and find
    the first's award (one row, one credential, one log entry)."""
    tenant = school["tenant"]
    course_id, _items, _quiz = badge_course(app, school)
    badge = create_badge(school["teacher"], course_id=course_id, name="Race")
    me = school["students"][2]
    barrier, results, errors = threading.Barrier(4), [], []

    def give():
        try:
            with tenant_context(tenant, app):
                barrier.wait(timeout=10)
                made = awards.award(badge["id"], me)
                results.append(made.id if made else None)
        except Exception as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=give) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert results.count(None) == 3 and len(results) == 4
    with tenant_context(tenant, app):
        assert db.session.scalar(sa.select(sa.func.count(BadgeAward.id)).where(BadgeAward.user_id == me)) == 1
        logged = db.session.scalar(
            sa.select(sa.func.count(LedgerEntry.id)).where(LedgerEntry.subject_type == "badge_award")
        )
    assert logged == 1


def test_an_award_expires_whole_months_later_on_the_same_day_or_the_months_last():
    assert awards.add_months(datetime(2026, 1, 31, 9, 30), 1) == datetime(2026, 2, 28, 9, 30)
    assert awards.add_months(datetime(2027, 11, 30), 3) == datetime(2028, 2, 29)
    assert awards.add_months(datetime(2026, 11, 25), 12) == datetime(2027, 11, 25)
