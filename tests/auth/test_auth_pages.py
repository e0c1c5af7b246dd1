"""Sign-in pages: CSRF on every form, host-only cookies, redirects, profile and API keys pages."""

import re

import pytest

from tests.conftest import PASSWORD, make_user, run_jobs
from tests.support.browser import Browser


def test_sign_in_sets_a_host_only_http_only_lax_cookie_and_signs_out(app, tenant):
    browser = Browser(app, tenant)
    response = browser.sign_in("admin@example.org")
    assert response.status_code == 302 and response.headers["Location"] == "/people"  # an org admin lands on People
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Domain=" not in cookie
    home = browser.get("/").get_data(as_text=True)
    assert "Sign out" in home and "admin@example.org" in home
    out = browser.post("/logout", csrf_from="/")
    assert out.status_code == 302
    assert "Sign in" in browser.get("/").get_data(as_text=True)


def test_wrong_password_re_renders_the_form_with_the_error(app, tenant):
    response = Browser(app, tenant).sign_in("admin@example.org", "wrong-password")
    assert response.status_code == 401
    page = response.get_data(as_text=True)
    assert "Invalid e-mail or password." in page and 'value="admin@example.org"' in page


def test_forms_without_a_csrf_token_are_refused(app, tenant):
    browser = Browser(app, tenant)
    assert browser.post("/login", {"email": "admin@example.org", "password": PASSWORD}).status_code == 400
    browser.sign_in("admin@example.org")
    assert browser.post("/logout").status_code == 400


def test_htmx_posts_carry_the_csrf_token_in_a_header(app, tenant):
    browser = Browser(app, tenant)
    browser.sign_in("admin@example.org")
    page = browser.get("/settings/api-keys").get_data(as_text=True)
    header_token = re.search(r"hx-headers='\{\"X-CSRFToken\": \"([^\"]+)\"\}'", page).group(1)
    created = browser.post(
        "/settings/api-keys", {"name": "Nightly sync", "roles": ["teacher"]}, csrf_from="/settings/api-keys"
    )
    key_id = re.search(r'id="api-key-(\d+)"', created.get_data(as_text=True)).group(1)
    refused = browser.post(f"/settings/api-keys/{key_id}/revoke", headers={"HX-Request": "true"})
    assert refused.status_code == 400
    revoked = browser.post(
        f"/settings/api-keys/{key_id}/revoke", headers={"HX-Request": "true", "X-CSRFToken": header_token}
    )
    assert revoked.status_code == 200
    fragment = revoked.get_data(as_text=True)
    assert fragment.startswith(f'<tr id="api-key-{key_id}">') and "revoked" in fragment and "<html" not in fragment


def test_a_session_cookie_is_worthless_on_another_tenants_host(app, make_tenant):
    a, b = make_tenant(), make_tenant()
    browser = Browser(app, a)
    browser.sign_in("admin@example.org")
    cookie = browser.client.get_cookie("session", domain=f"{a.slug}.localhost")
    other = app.test_client()
    other.set_cookie("session", cookie.value, domain=f"{b.slug}.localhost")
    page = other.get("/profile", headers={"Host": f"{b.slug}.localhost:5000"})
    assert page.status_code == 302 and "/login" in page.headers["Location"]


def test_pages_that_need_a_user_send_anonymous_visitors_to_sign_in_and_back(app, tenant):
    browser = Browser(app, tenant)
    response = browser.get("/settings/api-keys")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/settings/api-keys"
    back = browser.sign_in("admin@example.org", next_path="/settings/api-keys")
    assert back.headers["Location"] == "/settings/api-keys"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "javascript:alert(1)"])
def test_sign_in_never_redirects_off_site(app, tenant, target):
    response = Browser(app, tenant).sign_in("admin@example.org", next_path=target)
    assert response.headers["Location"] == "/people"  # their working page, never off site


def test_api_keys_page_is_for_org_admins(app, tenant):
    make_user(app, tenant, "teacher", email="teacher@example.org")
    browser = Browser(app, tenant)
    browser.sign_in("teacher@example.org")
    assert browser.get("/settings/api-keys").status_code == 403
    assert "API keys" not in browser.get("/").get_data(as_text=True)


def test_api_key_is_shown_once_on_the_page(app, tenant):
    browser = Browser(app, tenant)
    browser.sign_in("admin@example.org")
    created = browser.post(
        "/settings/api-keys", {"name": "HR sync", "roles": ["org_admin"]}, csrf_from="/settings/api-keys"
    ).get_data(as_text=True)
    secret = re.search(r'id="new-api-key">(tsk_[^<]+)<', created).group(1)
    assert secret not in browser.get("/settings/api-keys").get_data(as_text=True)
    invalid = browser.post("/settings/api-keys", {"name": ""}, csrf_from="/settings/api-keys")
    assert invalid.status_code == 422 and "Choose at least one role." in invalid.get_data(as_text=True)


def test_profile_changes_name_notification_address_and_password(app, tenant):
    browser = Browser(app, tenant)
    browser.sign_in("admin@example.org")
    saved = browser.post(
        "/profile",
        {
            "form": "profile",
            "profile-first_name": "Ada",
            "profile-last_name": "Lovelace",
            "profile-notification_email": "ada@example.net",
        },
        csrf_from="/profile",
    )
    assert saved.status_code == 302
    page = browser.get("/profile").get_data(as_text=True)
    assert 'value="Ada"' in page and 'value="ada@example.net"' in page

    weak = browser.post(
        "/profile",
        {
            "form": "password",
            "password-current_password": PASSWORD,
            "password-new_password": "password123",
            "password-confirm": "password123",
        },
        csrf_from="/profile",
    )
    assert weak.status_code == 422 and "too common" in weak.get_data(as_text=True)
    changed = browser.post(
        "/profile",
        {
            "form": "password",
            "password-current_password": PASSWORD,
            "password-new_password": "a-much-better-passphrase",
            "password-confirm": "a-much-better-passphrase",
        },
        csrf_from="/profile",
    )
    assert changed.status_code == 302
    assert Browser(app, tenant).sign_in("admin@example.org", "a-much-better-passphrase").status_code == 302


def test_forgot_and_reset_pages(app, tenant, mailbox):
    browser = Browser(app, tenant)
    sent = browser.post("/forgot-password", {"email": "admin@example.org"}, csrf_from="/forgot-password")
    assert "Check your e-mail" in sent.get_data(as_text=True)
    run_jobs(app)
    body = mailbox.to("admin@example.org")[0].get_body(("plain",)).get_content()
    path = re.search(r"http://[^/]+(/reset-password\?token=\S+)", body).group(1)
    mismatch = browser.post(
        path, {"password": "a-much-better-passphrase", "confirm": "different-passphrase"}, csrf_from=path
    )
    assert mismatch.status_code == 200 and "The passwords differ." in mismatch.get_data(as_text=True)
    done = browser.post(
        path, {"password": "a-much-better-passphrase", "confirm": "a-much-better-passphrase"}, csrf_from=path
    )
    assert done.status_code == 302 and done.headers["Location"] == "/login"
    reused = browser.post(path, {"password": "another-passphrase-1", "confirm": "another-passphrase-1"}, csrf_from=path)
    assert reused.status_code == 400 and "invalid, expired or already used" in reused.get_data(as_text=True)


def test_operators_sign_in_on_the_platform_page(app, operator_token):
    browser = Browser(app, None)
    assert browser.sign_in("operator@example.org").status_code == 302
    assert "Sign out" in browser.get("/").get_data(as_text=True)
