"""What the home pages show."""

import re

DEFAULT_BRAND = {"primary_color": "#1d4ed8", "accent_color": "#0f766e"}
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


def brand_colors(tenant):
    """The tenant's colours, falling back to ours for anything unset or malformed."""
    settings = (tenant.settings if tenant else {}) or {}
    return {
        key: settings.get(key) if _COLOR.match(str(settings.get(key, ""))) else default
        for key, default in DEFAULT_BRAND.items()
    }
