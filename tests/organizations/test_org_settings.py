"""Organization settings and branding, on the organization's own host."""

import io
import struct
import zlib

import pytest
from PIL import Image

from blueprints.organizations.settings import logo_folder, update_settings_raw
from tests.support.browser import Browser


def image_bytes(size, mode="RGB", fmt="PNG", color="red", **save_options):
    out = io.BytesIO()
    Image.new(mode, size, color).save(out, fmt, **save_options)
    return out.getvalue()


def png_claiming(width, height):
    """A tiny PNG whose header claims a huge canvas: a decompression bomb (nothing is ever drawn)."""

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    rows = zlib.compress(b"\0" * 1024, 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


PNG = image_bytes((40, 20))
EVIL_SVG = b"""<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" onload="alert(1)">
  <script>alert(2)</script><rect width="10" height="10" fill="#123456" onclick="alert(3)"/>
  <a xlink:href="javascript:alert(4)"><circle r="4"/></a><foreignObject><p>hi</p></foreignObject>
  <use href="https://evil.example/x.svg#a"/><use href="#local"/></svg>"""


@pytest.fixture
def admin(api, tenant, login_as):
    return api(tenant, login_as(tenant, "org_admin"))


def url(tenant, suffix=""):
    return f"/api/v1/organizations/{tenant.id}/settings{suffix}"


def test_settings_round_trip_and_validation(admin, tenant, make_tenant):
    defaults = admin.get(url(tenant)).get_json()["data"]
    assert defaults["display_name"] == tenant.name and defaults["self_registration"] is False
    changed = admin.put(
        url(tenant),
        json={
            "primary_color": "#aa0000",
            "time_zone": "Europe/Paris",
            "locale": "pt-BR",
        },
    )
    data = changed.get_json()["data"]
    assert data["primary_color"] == "#aa0000" and data["time_zone"] == "Europe/Paris"
    assert "notification_defaults" not in data  # retired: /api/v1/notifications/settings/organization
    retired = admin.put(url(tenant), json={"notification_defaults": {"due_reminders": False}})
    assert retired.status_code == 422 and "notification_defaults" in retired.get_json()["error"]["details"]
    bad = admin.put(url(tenant), json={"primary_color": "red", "time_zone": "Mars/Olympus", "locale": "klingon!"})
    assert bad.status_code == 422
    assert set(bad.get_json()["error"]["details"]) == {"primary_color", "time_zone", "locale"}
    other = make_tenant()
    assert admin.get(url(other)).status_code == 404


def test_only_org_admins_change_settings_and_only_operators_change_status(api, admin, tenant, login_as):
    teacher = api(tenant, login_as(tenant, "teacher"))
    assert teacher.get(url(tenant)).status_code == 200
    assert teacher.put(url(tenant), json={"locale": "fr"}).status_code == 403
    renamed = admin.put(f"/api/v1/organizations/{tenant.id}", json={"name": "Renamed Academy"})
    assert renamed.status_code == 200 and renamed.get_json()["data"]["name"] == "Renamed Academy"
    suspend = admin.put(f"/api/v1/organizations/{tenant.id}", json={"status": "suspended"})
    assert suspend.status_code == 403


def test_branding_reaches_every_page_and_the_sign_in_page(admin, client, tenant):
    admin.put(url(tenant), json={"primary_color": "#aa0000", "accent_color": "#006600", "display_name": "Harbour"})
    host = {"Host": f"{tenant.slug}.localhost:5000"}
    css = client.get("/branding.css", headers=host).get_data(as_text=True)
    assert "--brand-primary: #aa0000" in css and "--brand-accent: #006600" in css
    login = client.get("/login", headers=host).get_data(as_text=True)
    assert "Harbour" in login and "/branding.css" in login


def test_logo_type_comes_from_the_bytes_not_the_name(admin, client, tenant):
    lying = admin.post(
        url(tenant, "/logo"),
        data={"logo": (io.BytesIO(b"<html>not an image</html>"), "logo.png")},
        content_type="multipart/form-data",
    )
    assert lying.status_code == 422
    png = admin.post(
        url(tenant, "/logo"), data={"logo": (io.BytesIO(PNG), "whatever.svg")}, content_type="multipart/form-data"
    )
    assert png.status_code == 200 and png.get_json()["data"]["logo"] == "png"
    served = client.get("/branding/logo", headers={"Host": f"{tenant.slug}.localhost:5000"})
    assert served.status_code == 200 and served.mimetype == "image/png"
    with Image.open(io.BytesIO(served.data)) as logo:
        assert logo.format == "PNG" and logo.size == (40, 20)
    too_big = admin.post(
        url(tenant, "/logo"),
        data={"logo": (io.BytesIO(PNG + b"\0" * 600_000), "big.png")},
        content_type="multipart/form-data",
    )
    assert too_big.status_code == 422


def upload_logo(admin, tenant, data, name="logo.png"):
    return admin.post(url(tenant, "/logo"), data={"logo": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def test_raster_logos_are_decoded_bounded_and_re_encoded(admin, client, tenant):
    host = {"Host": f"{tenant.slug}.localhost:5000"}
    for bomb in (png_claiming(60_000, 60_000), png_claiming(5_000, 5_000)):
        refused = upload_logo(admin, tenant, bomb)
        assert refused.status_code == 422, len(bomb)
        assert "too large to use as a logo" in refused.get_json()["error"]["message"]
        assert "logo" in refused.get_json()["error"]["details"]
    assert client.get("/branding/logo", headers=host).status_code == 404  # nothing was stored

    broken = PNG[:40] + b"\0" * 200  # a PNG header, then no image data
    assert upload_logo(admin, tenant, broken).status_code == 422
    jpeg_named_png = image_bytes((30, 30), fmt="JPEG")
    assert upload_logo(admin, tenant, b"\x89PNG\r\n\x1a\n" + jpeg_named_png).status_code == 422

    exif = Image.Exif()
    exif[0x8825] = {2: (48.0, 51.0, 24.0)}  # GPSInfo
    photo = image_bytes((3000, 1000), fmt="JPEG", exif=exif.tobytes())
    assert upload_logo(admin, tenant, photo, "logo.jpg").get_json()["data"]["logo"] == "jpg"
    served = client.get("/branding/logo", headers=host)
    with Image.open(io.BytesIO(served.data)) as logo:
        assert served.mimetype == "image/jpeg" and logo.format == "JPEG" and logo.size == (1024, 341)
        assert not logo.getexif()

    transparent = image_bytes((64, 64), mode="RGBA", color=(0, 0, 0, 0))
    assert upload_logo(admin, tenant, transparent).status_code == 200
    with Image.open(io.BytesIO(client.get("/branding/logo", headers=host).data)) as logo:
        assert logo.format == "PNG" and logo.mode == "RGBA" and logo.getpixel((5, 5))[3] == 0  # still see-through


def test_a_bomb_stored_before_logos_were_checked_is_never_served(app, admin, client, tenant):
    assert upload_logo(admin, tenant, PNG).status_code == 200
    with app.app_context():
        (logo_folder(tenant) / "logo.png").write_bytes(png_claiming(60_000, 60_000))  # as an older version kept it
        update_settings_raw(tenant, {"logo": "png"})
    assert client.get("/branding/logo", headers={"Host": f"{tenant.slug}.localhost:5000"}).status_code == 404


def test_svg_logos_are_sanitised_and_served_sandboxed(admin, client, tenant):
    response = admin.post(
        url(tenant, "/logo"), data={"logo": (io.BytesIO(EVIL_SVG), "logo.svg")}, content_type="multipart/form-data"
    )
    assert response.status_code == 200
    served = client.get("/branding/logo", headers={"Host": f"{tenant.slug}.localhost:5000"})
    svg = served.get_data(as_text=True)
    assert served.mimetype == "image/svg+xml" and "sandbox" in served.headers["Content-Security-Policy"]
    for bad in ("script", "onload", "onclick", "javascript:", "foreignObject", "evil.example"):
        assert bad not in svg, bad
    assert "#123456" in svg and 'href="#local"' in svg
    entity = b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x "y">]><svg xmlns="http://www.w3.org/2000/svg">&x;</svg>'
    refused = admin.post(
        url(tenant, "/logo"), data={"logo": (io.BytesIO(entity), "x.svg")}, content_type="multipart/form-data"
    )
    assert refused.status_code == 422


def test_settings_page_for_org_admins(app, tenant):
    browser = Browser(app, tenant)
    browser.sign_in("admin@example.org")
    page = browser.get("/settings").get_data(as_text=True)
    assert 'type="color"' in page
    saved = browser.post(
        "/settings",
        {
            "display_name": "Seaside",
            "primary_color": "#334455",
            "accent_color": "#556677",
            "time_zone": "Europe/Lisbon",
            "locale": "pt",
        },
        csrf_from="/settings",
    )
    assert saved.status_code == 302
    assert "Seaside" in browser.get("/").get_data(as_text=True)
    bad = browser.post(
        "/settings",
        {
            "display_name": "Seaside",
            "primary_color": "#334455",
            "accent_color": "#556677",
            "time_zone": "Nowhere/City",
            "locale": "pt",
        },
        csrf_from="/settings",
    )
    assert bad.status_code == 422 and "Not a time zone" in bad.get_data(as_text=True)
    bomb = browser.post(
        "/settings",
        {
            "display_name": "Renamed",
            "primary_color": "#334455",
            "accent_color": "#556677",
            "time_zone": "Europe/Lisbon",
            "locale": "pt",
            "logo": (io.BytesIO(png_claiming(60_000, 60_000)), "logo.png"),
        },
        csrf_from="/settings",
    )
    assert bomb.status_code == 422 and "too large to use as a logo" in bomb.get_data(as_text=True)
    assert "Seaside" in browser.get("/").get_data(as_text=True)  # nothing saved: the name stays
    fields = {"primary_color": "#334455", "accent_color": "#556677", "time_zone": "Europe/Lisbon", "locale": "pt"}
    with_logo = browser.post(
        "/settings",
        {"display_name": "Seaside", **fields, "logo": (io.BytesIO(image_bytes((40, 20))), "logo.png")},
        csrf_from="/settings",
    )
    assert with_logo.status_code == 302
    # Saved again with the logo in place and no new file chosen: this answered 500 (issue 10).
    again = browser.post("/settings", {"display_name": "Seaside Bay", **fields}, csrf_from="/settings")
    assert again.status_code == 302 and "Seaside Bay" in browser.get("/").get_data(as_text=True)


def test_branch_overrides_follow_the_organization_rules(admin, tenant):
    branch = admin.post(f"/api/v1/organizations/{tenant.id}/branches", json={"code": "north", "name": "North"})
    settings = f"/api/v1/organizations/{tenant.id}/branches/{branch.get_json()['data']['id']}/settings"
    bad = admin.put(settings, json={"time_zone": "Mars/Olympus", "locale": "<script>"})
    assert bad.status_code == 422
    details = bad.get_json()["error"]["details"]
    assert set(details) == {"time_zone", "locale"} and "Not a time zone" in details["time_zone"][0]
    assert admin.put(settings, json={"time_zone": "posixrules"}).status_code == 422  # a file, not a zone
    assert admin.get(settings).get_json()["data"]["own"] in ({}, None)  # nothing half-written

    good = admin.put(settings, json={"time_zone": "America/Sao_Paulo", "locale": "pt-BR"})
    assert good.status_code == 200 and good.get_json()["data"]["effective"]["time_zone"] == "America/Sao_Paulo"
    cleared = admin.put(settings, json={"time_zone": None, "locale": None})  # null removes an override
    assert cleared.status_code == 200 and "time_zone" not in cleared.get_json()["data"]["effective"]
