"""Permission refusals in people's words (issue 10, item 10); the permission's name stays for integrators."""

from app.security.permissions import PERMISSION_ACTIONS, ROLE_NAMES, ROLE_PERMISSIONS, denial_message
from tests.support.browser import Browser


def test_every_permission_has_a_sentence_naming_exactly_the_roles_that_hold_it():
    granted = set().union(*ROLE_PERMISSIONS.values())
    assert granted <= set(PERMISSION_ACTIONS)
    for permission in granted:
        sentence = denial_message(permission)
        assert "`" not in sentence and permission not in sentence
        for role, name in ROLE_NAMES.items():
            if name in sentence:
                assert permission in ROLE_PERMISSIONS[role], (permission, sentence)
    assert denial_message("outbox.read") == "Only platform operators can see the outbox."
    assert denial_message("no.such") == "You are not allowed to do this."


def test_the_api_says_who_may_and_keeps_the_permission_in_details(api, tenant, login_as):
    response = api(tenant, login_as(tenant, "student")).get("/api/v1/users")
    assert response.status_code == 403
    error = response.get_json()["error"]
    assert error["code"] == "FORBIDDEN"
    assert error["message"] == "Only org admins and branch managers can see the people list."
    assert error["details"] == {"permission": ["users.read"]}


def test_a_page_says_it_in_words_without_the_internal_name(app, tenant):
    from tests.conftest import make_user

    make_user(app, tenant, "student", email="pupil@example.org")
    browser = Browser(app, tenant)
    browser.sign_in("pupil@example.org")
    response = browser.get("/people")
    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "Only org admins and branch managers can see the people list." in page
    assert "users.read" not in page and "permission" not in page
