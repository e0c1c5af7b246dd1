"""A form or htmx post whose CSRF token no longer matches the session: reload or explain, never a dead click.

The token expires with its lifetime (WTF_CSRF_TIME_LIMIT) and whenever the session changes (a sign-in or
sign-out in another tab), so a page left open answers its next post with a CSRFError (a 400). htmx swaps
nothing on a 400, so without this the person clicks and nothing happens.
"""

from urllib.parse import urlsplit

from flask import current_app, flash, render_template, request
from werkzeug.exceptions import HTTPException

from app.api.errors import handle_http_exception, wants_envelope
from app.errors import DomainError
from app.extensions import htmx
from app.tenancy.resolution import resolve_tenant_for_request

RELOADED_NOTICE = "This page had expired, so it was reloaded. Please try again."


def render_expired_form(error):
    """htmx: reload the page (with a fresh token) and say why; a form: a page that sends the person back."""
    if wants_envelope():  # the API is exempt from CSRF (bearer tokens); anything else there keeps the envelope
        return handle_http_exception(error)
    if htmx:
        flash(RELOADED_NOTICE)
        return "", 400, {"HX-Refresh": "true"}
    try:  # the CSRF check runs before the host is resolved: the page shows the organization's layout
        resolve_tenant_for_request()
    except (DomainError, HTTPException) as refusal:  # an unknown or suspended organization says so instead
        return current_app.handle_user_exception(refusal)
    return render_template("errors/expired_form.html", back_to=same_host_referrer()), 400


def same_host_referrer():
    """The page the form was on, when the browser names it and it is on this host; otherwise None."""
    referrer = request.referrer
    if not referrer:
        return None
    parts = urlsplit(referrer)
    if parts.scheme not in ("http", "https") or parts.netloc != request.host:
        return None
    return referrer
