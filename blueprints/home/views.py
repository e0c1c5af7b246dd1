"""The front door: the platform's landing page and each organization's home page."""

from flask import Blueprint, abort, make_response, render_template, send_file

from app.tenancy.context import get_current_tenant
from blueprints.home.services import brand_colors
from blueprints.organizations.settings import logo_file

bp = Blueprint("home", __name__)


@bp.get("/")
def index():
    """The organization's home page on its host; the platform's landing page on the bare domain."""
    tenant = get_current_tenant()
    if tenant is None:
        return render_template("home/platform.html")
    return render_template("home/tenant.html", tenant=tenant)


@bp.get("/branding.css")
def branding_css():
    """The organization's colours as CSS variables (a stylesheet, so the CSP needs no inline styles)."""
    css = render_template("home/branding.css", colors=brand_colors(get_current_tenant()))
    response = make_response(css)
    response.headers["Content-Type"] = "text/css; charset=utf-8"
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


@bp.get("/branding/logo")
def logo():
    """The organization's logo; an SVG can never run script, even opened on its own."""

    tenant = get_current_tenant()
    path, mimetype = logo_file(tenant) if tenant else (None, None)
    if path is None:
        abort(404)
    response = send_file(path, mimetype=mimetype, max_age=300)
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    return response


@bp.get("/healthz")
def healthz():
    """Liveness for load balancers."""
    return {"status": "ok"}
