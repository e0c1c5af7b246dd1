"""A post whose CSRF token has expired (a page left open, a sign-in in another tab): htmx reloads the page and
says why; a plain form gets a page in the site's layout that leads back; the API keeps its envelope."""

import re

from app.security.expired_forms import RELOADED_NOTICE
from tests.conftest import make_user, user_token
from tests.support.browser import Browser

STALE = {"X-CSRFToken": "IjBmZDQ.stale.token"}


def _signed_in_admin_with_a_key(app, tenant):
    browser = Browser(app, tenant)
    browser.sign_in("admin@example.org")
    created = browser.post(
        "/settings/api-keys", {"name": "Nightly sync", "roles": ["teacher"]}, csrf_from="/settings/api-keys"
    )
    return browser, re.search(r'id="api-key-(\d+)"', created.get_data(as_text=True)).group(1)


def test_an_htmx_post_with_a_stale_token_reloads_the_page_and_says_why(app, tenant):
    browser, key_id = _signed_in_admin_with_a_key(app, tenant)
    refused = browser.post(f"/settings/api-keys/{key_id}/revoke", headers={"HX-Request": "true", **STALE})
    assert refused.status_code == 400 and refused.headers["HX-Refresh"] == "true"  # htmx reloads the page
    reloaded = browser.get("/settings/api-keys").get_data(as_text=True)
    assert RELOADED_NOTICE in reloaded
    assert f'id="api-key-{key_id}"' in reloaded and "revoked" not in reloaded.split(f'id="api-key-{key_id}"')[1][:400]
    assert RELOADED_NOTICE not in browser.get("/settings/api-keys").get_data(as_text=True)  # said once


def test_a_form_post_with_a_stale_token_explains_and_links_back_to_its_page(app, tenant):
    browser = Browser(app, tenant)
    browser.sign_in("admin@example.org")
    came_from = f"http://{browser.host}/profile?tab=password"
    refused = browser.post("/logout", {"csrf_token": "stale"}, headers={"Referer": came_from})
    assert refused.status_code == 400 and "HX-Refresh" not in refused.headers
    page = refused.get_data(as_text=True)
    assert "This form has expired" in page and f'href="{came_from}"' in page.replace("&amp;", "&")
    assert "Sign out" in page  # the organization's layout, with the person still signed in
    assert "Sign out" in browser.get("/").get_data(as_text=True)  # the refused sign-out changed nothing


def test_the_expired_form_page_never_links_to_another_host(app, tenant):
    browser = Browser(app, tenant)
    for referrer in ("https://evil.example/phish", "javascript:alert(1)", f"http://other.{browser.host}/x"):
        page = browser.post("/login", {"email": "a@example.org"}, headers={"Referer": referrer}).get_data(as_text=True)
        assert "This form has expired" in page and referrer not in page and 'href="/">Back to the start page' in page


def test_the_api_keeps_its_envelope_and_needs_no_csrf_token(app, tenant, api):
    browser = Browser(app, tenant)
    browser.sign_in("admin@example.org")
    by_cookie = browser.post("/api/v1/courses", headers={"HX-Request": "true", **STALE})  # a session is no API sign-in
    assert by_cookie.status_code == 401 and by_cookie.get_json()["error"]["code"] == "UNAUTHORIZED"
    assert "HX-Refresh" not in by_cookie.headers
    teacher = make_user(app, tenant, "teacher")
    with app.app_context():
        client = api(tenant, user_token(app, tenant, teacher, "teacher"))
    created = client.post("/api/v1/courses", json={"title": "No token needed"}, headers=STALE)
    assert created.status_code == 201 and created.get_json()["success"] is True


def test_a_stale_post_to_an_unknown_host_is_still_a_404(app):
    refused = app.test_client().post("/login", data={"csrf_token": "stale"}, headers={"Host": "nosuch.localhost:5000"})
    assert refused.status_code == 404 and "No organization answers at this address." in refused.get_data(as_text=True)
