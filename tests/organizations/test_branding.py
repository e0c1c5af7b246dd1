"""Branding: the organization's colours draw buttons and links, readable, and a change shows at once;
its display name is on the home and sign-in pages; no language setting pretends to translate pages."""

import io
import re

import pytest
from PIL import Image

from app.contrast import contrast_ratio
from tests.support.browser import Browser, open_signed_in


@pytest.fixture
def admin(api, tenant, login_as):
    return api(tenant, login_as(tenant, "org_admin"))


def settings_url(tenant):
    return f"/api/v1/organizations/{tenant.id}/settings"


def stylesheet_link(html):
    return re.search(r'<link rel="stylesheet" href="(/branding\.css\?v=[0-9a-f]+)">', html).group(1)


def test_a_colour_change_is_a_new_stylesheet_url_that_browsers_may_keep(admin, app, tenant):
    visitor = Browser(app, tenant)
    before = stylesheet_link(visitor.get("/login").get_data(as_text=True))
    cached = visitor.get(before)
    assert "immutable" in cached.headers["Cache-Control"] and "max-age=31536000" in cached.headers["Cache-Control"]

    admin.put(settings_url(tenant), json={"primary_color": "#7c2d12"})
    after = stylesheet_link(visitor.get("/login").get_data(as_text=True))
    assert after != before
    assert "--pico-primary-background: #7c2d12" in visitor.get(after).get_data(as_text=True)
    stale = visitor.get(before)  # a page still linking the old version gets today's colours, not kept
    assert stale.headers["Cache-Control"] == "no-cache" and "#7c2d12" in stale.get_data(as_text=True)


def logo_png(color):
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), color).save(buffer, "PNG")
    return buffer.getvalue()


def test_a_new_logo_is_a_new_url_that_browsers_may_keep(admin, app, tenant):
    def upload(color):
        return admin.post(
            f"{settings_url(tenant)}/logo",
            data={"logo": (io.BytesIO(logo_png(color)), "logo.png")},
            content_type="multipart/form-data",
        )

    upload("red")
    visitor = Browser(app, tenant)
    first = re.search(r'<img src="(/branding/logo\?v=[0-9a-f]+)"', visitor.get("/login").get_data(as_text=True)).group(
        1
    )
    assert "immutable" in visitor.get(first).headers["Cache-Control"]
    upload("blue")
    second = re.search(r'<img src="(/branding/logo\?v=[0-9a-f]+)"', visitor.get("/login").get_data(as_text=True)).group(
        1
    )
    assert second != first and visitor.get(first).headers["Cache-Control"] == "no-cache"


def test_a_colour_too_light_for_text_is_drawn_in_a_readable_shade_and_the_settings_page_says_so(admin, app, tenant):
    admin.put(settings_url(tenant), json={"primary_color": "#ffd700", "accent_color": "#0f766e"})
    visitor = Browser(app, tenant)
    css = visitor.get("/branding.css").get_data(as_text=True)
    drawn = re.search(r"--pico-primary-background: (#[0-9a-f]{6})", css).group(1)
    assert drawn != "#ffd700" and 4.5 <= contrast_ratio(drawn, "#ffffff") < 4.7  # readable, no darker than needed
    red, green, blue = (int(drawn[i : i + 2], 16) for i in (1, 3, 5))
    assert red > green > blue == 0  # still a gold, darker
    assert "--pico-primary-hover-background: #0f766e" in css  # a readable colour is kept as chosen

    visitor.sign_in("admin@example.org")
    page = visitor.get("/settings").get_data(as_text=True)
    assert "#ffd700 is too light for text to read on white" in page and drawn in page


def test_the_display_name_is_the_home_and_sign_in_pages_title_and_heading(admin, app, tenant):
    admin.put(settings_url(tenant), json={"display_name": "Harbour Academy"})
    visitor = Browser(app, tenant)
    home = visitor.get("/").get_data(as_text=True)
    assert "<title>Harbour Academy</title>" in home and "<h1>Harbour Academy</h1>" in home
    assert tenant.name not in home
    login = visitor.get("/login").get_data(as_text=True)
    assert "<title>Sign in · Harbour Academy</title>" in login and "<h1>Sign in to Harbour Academy</h1>" in login


def test_the_settings_page_offers_no_language_that_would_change_nothing(app, tenant):
    visitor = Browser(app, tenant)
    visitor.sign_in("admin@example.org")
    page = visitor.get("/settings").get_data(as_text=True)
    assert 'name="locale"' not in page and "Pages and e-mails are in English" in page


@pytest.mark.browser
def test_buttons_and_links_take_the_primary_colour_in_chromium(admin, app, tenant, browser, live_server):
    admin.put(settings_url(tenant), json={"primary_color": "#7c2d12"})
    page = open_signed_in(browser, live_server, tenant, "admin@example.org", "/settings", 1280, 800)
    button = page.eval_on_selector("main form button[type=submit]", "e => getComputedStyle(e).backgroundColor")
    link = page.eval_on_selector("footer a", "e => getComputedStyle(e).color")
    assert button == link == "rgb(124, 45, 18)"
    page.screenshot(path="/tmp/student_branding_settings_1280.png", full_page=True)
    page.set_viewport_size({"width": 375, "height": 812})
    page.screenshot(path="/tmp/student_branding_settings_375.png", full_page=True)
    page.close()
