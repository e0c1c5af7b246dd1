"""What the home pages show."""

import re

from flask import current_app

from app.tenancy.context import get_current_tenant

DEFAULT_BRAND = {"primary_color": "#1d4ed8", "accent_color": "#0f766e"}
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


def brand_colors(tenant):
    """The tenant's colours, falling back to ours for anything unset or malformed."""
    settings = (tenant.settings if tenant else {}) or {}
    return {
        key: settings.get(key) if _COLOR.match(str(settings.get(key, ""))) else default
        for key, default in DEFAULT_BRAND.items()
    }


def platform_summary():
    return {"base_domain": current_app.config["LMS_BASE_DOMAIN"], "tenant": get_current_tenant()}
