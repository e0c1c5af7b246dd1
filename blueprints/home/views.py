"""The front door: the platform's landing page and each organization's home page."""

from flask import Blueprint, abort, make_response, render_template, request, send_file, url_for

from app.tenancy.context import get_current_tenant
from blueprints.home.services import brand_colors, branding_version, logo_version, organization_name
from blueprints.organizations.settings import logo_file

bp = Blueprint("home", __name__)


@bp.app_template_global("organization_name")
def current_organization_name():
    """The organization's display name on its pages (the platform's on the bare domain)."""
    return organization_name(get_current_tenant())


@bp.app_template_global("branding_css_url")
def branding_css_url():
    """`/branding.css?v=<version of the colours>`: a change of colours is a new URL, seen at once."""
    return url_for("home.branding_css", v=branding_version(get_current_tenant()))


@bp.get("/")
def index():
    """The organization's home page on its host; the platform's landing page on the bare domain."""
    tenant = get_current_tenant()
    if tenant is None:
        return render_template("home/platform.html")
    return render_template("home/tenant.html", tenant=tenant, name=organization_name(tenant))


@bp.app_template_global("logo_url")
def logo_url():
    """`/branding/logo?v=<version of the logo>`: a new logo is a new URL, seen at once."""
    return url_for("home.logo", v=logo_version(get_current_tenant()))


@bp.get("/branding.css")
def branding_css():
    """The organization's colours as CSS variables (a stylesheet, so the CSP needs no inline styles)."""
    tenant = get_current_tenant()
    css = render_template("home/branding.css", colors=brand_colors(tenant))
    response = make_response(css)
    response.headers["Content-Type"] = "text/css; charset=utf-8"
    if request.args.get("v") == branding_version(tenant):  # this URL always means these colours
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    else:  # an old version's or no version's URL: today's colours, asked again each time
        response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/branding/logo")
def logo():
    """The organization's logo; an SVG can never run script, even opened on its own."""

    tenant = get_current_tenant()
    path, mimetype = logo_file(tenant) if tenant else (None, None)
    if path is None:
        abort(404)
    response = send_file(path, mimetype=mimetype)
    if request.args.get("v") == logo_version(tenant):  # this URL always means this logo
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    else:
        response.headers["Cache-Control"] = "no-cache"
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    return response
