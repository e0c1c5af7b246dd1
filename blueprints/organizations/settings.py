"""An organization's own settings and branding, edited by its org admins."""

import functools
import hashlib
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from zoneinfo import available_timezones

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as parse_untrusted_xml
from flask import current_app
from PIL import Image, UnidentifiedImageError

from app.errors import ValidationFailed
from app.extensions import db
from app.images import normalise_image
from app.tenancy.context import get_current_tenant, tenant_context
from app.tenancy.models import Tenant
from blueprints.audit.recording import record

SETTING_KEYS = (
    "display_name",
    "primary_color",
    "accent_color",
    "time_zone",
    "locale",
    "self_registration",
)
BRANDING_KEYS = frozenset(
    {"display_name", "primary_color", "accent_color", "logo", "logo_version"}
)  # how the pages look
COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
LOCALE = re.compile(r"^[a-z]{2,3}(?:[-_][A-Z]{2})?$")
LOGO_TYPES = {"png": "image/png", "jpg": "image/jpeg", "svg": "image/svg+xml"}
MAX_LOGO_BYTES = 512 * 1024
LOGO_BOX = (1024, 512)  # drawn in every page's header, far smaller
LOGO_MAX_PIXELS = 16_000_000
RASTER_LOGO_FORMATS = {"png": "PNG", "jpg": "JPEG"}


def settings_of(tenant_ref):
    defaults = {
        "display_name": tenant_ref.name,
        "primary_color": "#1d4ed8",
        "accent_color": "#0f766e",
        "time_zone": "UTC",
        "locale": "en",
        "self_registration": False,
        "logo": None,
    }
    return {**defaults, **(tenant_ref.settings or {})}


@functools.cache
def time_zones():
    """The IANA names this Python knows (read from disk once per process)."""
    return frozenset(available_timezones())


def setting_problems(changes):
    """Field -> messages for the values among `changes` that are not valid (organization or branch)."""
    problems = {}
    if "primary_color" in changes and not COLOR.match(str(changes["primary_color"])):
        problems["primary_color"] = ["Use a colour like #1d4ed8."]
    if "accent_color" in changes and not COLOR.match(str(changes["accent_color"])):
        problems["accent_color"] = ["Use a colour like #0f766e."]
    if "time_zone" in changes and str(changes["time_zone"]) not in time_zones():
        problems["time_zone"] = ["Not a time zone (e.g. Europe/Paris)."]
    if "locale" in changes and not LOCALE.match(str(changes["locale"])):
        problems["locale"] = ["Use a language code such as en or pt-BR."]
    if "display_name" in changes and not 1 <= len(str(changes["display_name"]).strip()) <= 200:
        problems["display_name"] = ["1 to 200 characters."]
    return problems


def update_settings(tenant_ref, changes):
    problems = {key: ["Not a setting."] for key in changes if key not in SETTING_KEYS}
    problems.update(setting_problems(changes))
    if problems:
        raise ValidationFailed("Some settings are not valid.", problems)
    tenant = db.session.get(Tenant, tenant_ref.id)
    before = settings_of(tenant.ref())
    merged = {**(tenant.settings or {}), **changes}
    tenant.settings = merged
    _record_settings_change(tenant, before, changes)
    db.session.commit()
    return settings_of(tenant.ref())


def _record_settings_change(tenant, before, changes):
    """One entry for the change, with each changed key's before and after: `organization.branding_changed` when
    only the looks changed (name, colours, logo), `organization.settings_changed` otherwise."""
    changed = {key: {"before": before.get(key), "after": value} for key, value in changes.items()}
    changed = {key: change for key, change in changed.items() if change["before"] != change["after"]}
    if not changed:
        return
    branding_only = set(changed) <= BRANDING_KEYS
    entry = {
        "action": "organization.branding_changed" if branding_only else "organization.settings_changed",
        "target_type": "organization",
        "target_id": tenant.id,
        "target_label": tenant.name,
        "details": changed,
    }
    if get_current_tenant() is not None:  # the organization's own request: it commits with the change
        record(**entry)
        return
    with tenant_context(tenant.ref()):  # the CLI or a platform job: into the organization's database, on its own
        record(**entry, commit=True)


# --- logo ------------------------------------------------------------------------------------------

SVG_NS = "{http://www.w3.org/2000/svg}"
SVG_ALLOWED = {
    "svg",
    "g",
    "path",
    "rect",
    "circle",
    "ellipse",
    "line",
    "polyline",
    "polygon",
    "text",
    "tspan",
    "defs",
    "lineargradient",
    "radialgradient",
    "stop",
    "title",
    "desc",
    "clippath",
    "use",
}


def _logo_kind(data):
    """The real type from the bytes, never from the file name."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    head = data[:1024].lstrip().lower()
    if head.startswith((b"<?xml", b"<svg")) and b"<svg" in data[:4096].lower():
        return "svg"
    return None


def sanitize_svg(data):
    """Keep shapes and text; drop scripts, event handlers, external references and entities."""
    try:
        root = parse_untrusted_xml(data, forbid_dtd=True)
    except DefusedXmlException:
        raise ValidationFailed(
            "SVG files with DOCTYPE or entities are not accepted.", {"logo": ["Not a plain SVG."]}
        ) from None
    except ET.ParseError:
        raise ValidationFailed("The SVG could not be read.", {"logo": ["Not a valid SVG."]}) from None
    if root.tag.lower() not in (f"{SVG_NS}svg", "svg"):
        raise ValidationFailed("The file is not an SVG image.", {"logo": ["Not an SVG."]})

    def clean(element):
        for child in list(element):
            local = child.tag.split("}")[-1].lower()
            if local not in SVG_ALLOWED:
                element.remove(child)
                continue
            clean(child)
        for name in list(element.attrib):
            local = name.split("}")[-1].lower()
            value = element.attrib[name].strip().lower()
            if (
                local.startswith("on")
                or (local == "href" and not value.startswith("#"))
                or "javascript:" in value
                or (local == "style" and ("url(" in value or "expression" in value))
            ):
                del element.attrib[name]

    clean(root)
    ET.register_namespace("", "http://www.w3.org/2000/svg")
    ET.register_namespace("xlink", "http://www.w3.org/1999/xlink")
    return ET.tostring(root, encoding="utf-8")


def logo_folder(tenant_ref):
    return Path(current_app.config["INSTANCE_DIR"]) / "media" / tenant_ref.slug


def save_logo(tenant_ref, data):
    return store_logo(tenant_ref, checked_logo(data))


def checked_logo(data):
    """An uploaded logo made fit to store, as (kind, bytes); refused with a ValidationFailed on `logo`."""
    if not data:
        raise ValidationFailed("The logo file is empty.", {"logo": ["Empty file."]})
    if len(data) > MAX_LOGO_BYTES:
        raise ValidationFailed("The logo is too large.", {"logo": [f"At most {MAX_LOGO_BYTES // 1024} KB."]})
    kind = _logo_kind(data)
    if kind is None:
        raise ValidationFailed("The logo must be a PNG, JPEG or SVG image.", {"logo": ["PNG, JPEG or SVG only."]})
    if kind == "svg":
        data = sanitize_svg(data)
    else:  # decoded and re-encoded like covers: a bomb or a broken file never reaches a header
        data = normalise_image(
            data,
            accepted=(RASTER_LOGO_FORMATS[kind],),
            box=LOGO_BOX,
            max_pixels=LOGO_MAX_PIXELS,
            output=RASTER_LOGO_FORMATS[kind],
            purpose="a logo",
            field="logo",
        )
    return kind, data


def store_logo(tenant_ref, checked):
    kind, data = checked
    folder = logo_folder(tenant_ref)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("logo.*"):
        old.unlink()
    (folder / f"logo.{kind}").write_bytes(data)
    # In the logo's URL (`?v=`): browsers keep a logo for long and still see a new one at once.
    return update_settings_raw(tenant_ref, {"logo": kind, "logo_version": hashlib.sha256(data).hexdigest()[:12]})


def update_settings_raw(tenant_ref, changes):
    tenant = db.session.get(Tenant, tenant_ref.id)
    before = settings_of(tenant.ref())
    tenant.settings = {**(tenant.settings or {}), **changes}
    _record_settings_change(tenant, before, changes)
    db.session.commit()
    return settings_of(tenant.ref())


def logo_file(tenant_ref):
    kind = (tenant_ref.settings or {}).get("logo")
    path = logo_folder(tenant_ref) / f"logo.{kind}" if kind else None
    if not path or not path.exists() or (kind in RASTER_LOGO_FORMATS and not _fit_to_draw(path)):
        return None, None
    return path, LOGO_TYPES[kind]


def _fit_to_draw(path):
    """Logos stored before they were re-encoded may claim a huge canvas (a bomb): never serve those.
    Reads the header only."""
    try:
        with Image.open(path) as image:
            return image.width * image.height <= LOGO_MAX_PIXELS
    except (Image.DecompressionBombError, UnidentifiedImageError, OSError):
        return False
