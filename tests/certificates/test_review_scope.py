"""Hostile review of who sees which certificate (issue 13): the least trusted signed-in user."""

import pytest

from tests.support.quizzes import make_classroom


@pytest.fixture
def classroom(app, api, tenant):
    return make_classroom(app, api, tenant)


def test_a_persons_certificates_tell_a_stranger_nothing_of_whether_the_person_exists(classroom):
    """`GET /users/{id}/certificates` by a student: someone else's id and an id nobody has answer alike, so the
    route is no way to count or probe the organization's people. Org admins still get a 404 for nobody."""
    someone = classroom.outsider.get(f"/api/v1/users/{classroom.ids['learner']}/certificates")
    nobody = classroom.outsider.get("/api/v1/users/999999/certificates")
    assert (someone.status_code, nobody.status_code) == (200, 200)
    assert someone.get_json() == nobody.get_json()
    assert nobody.get_json()["data"] == []
