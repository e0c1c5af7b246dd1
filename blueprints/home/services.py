"""What the home pages show: the organization's name and the colours every page is drawn with."""

import hashlib
import json

from app.contrast import HEX_COLOR, readable_on_white, rgba

DEFAULT_BRAND = {"primary_color": "#1d4ed8", "accent_color": "#0f766e"}


def chosen_colors(tenant):
    """The colours the organization chose, falling back to ours for anything unset or malformed."""
    settings = (tenant.settings if tenant else {}) or {}
    return {
        key: settings.get(key) if HEX_COLOR.match(str(settings.get(key, ""))) else default
        for key, default in DEFAULT_BRAND.items()
    }


def brand_colors(tenant):
    """The colours buttons and links are drawn with: the chosen ones, or a darker shade of them where white
    text on them (or they as text on white) would not reach 4.5:1."""
    colors = {key: readable_on_white(value) for key, value in chosen_colors(tenant).items()}
    return {
        **colors,
        "primary_underline": rgba(colors["primary_color"], 0.5),
        "primary_focus": rgba(colors["primary_color"], 0.5),
        "accent_underline": rgba(colors["accent_color"], 0.5),
    }


def shaded_colors(tenant):
    """{setting: (chosen, drawn with)} for the chosen colours that are drawn darker to stay readable."""
    drawn = brand_colors(tenant)
    return {key: (value, drawn[key]) for key, value in chosen_colors(tenant).items() if value.lower() != drawn[key]}


def branding_version(tenant):
    """Changes whenever the stylesheet would: it is in `/branding.css`'s URL, so browsers may keep one
    version for long and still see a change at once."""
    digest = hashlib.sha256(json.dumps(brand_colors(tenant), sort_keys=True).encode()).hexdigest()
    return digest[:12]


def logo_version(tenant):
    """Changes with every logo stored (`logo_version`, a digest of its bytes; "0" for one stored before)."""
    return str(((tenant.settings if tenant else {}) or {}).get("logo_version") or "0")


def organization_name(tenant):
    """The name the organization shows (its display name), or the platform's on the bare domain."""
    if tenant is None:
        return "Tessera"
    return (tenant.settings or {}).get("display_name") or tenant.name
