"""Secure headers on every response."""

import functools
import secrets

from flask import after_this_request, g, request

from app.storage import media_storage

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'; "
    # Course videos embed from these hosts only (blueprints/courses/content.py keeps the same list).
    "frame-src https://www.youtube.com https://player.vimeo.com"
)
# Swagger UI's page (flask-smorest's template) boots with one inline script.
DOCS_CSP = CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'").replace(
    "style-src 'self'", "style-src 'self' 'unsafe-inline'"
)


def content_security_policy(app):
    """The policy, worked out once per app: when files come from an object store, browsers also load
    images and video from its origin."""
    policy = app.extensions.get("tessera.csp")
    if policy is None:
        origin = media_storage().browser_origin
        policy = CSP
        if origin:
            policy = (
                CSP.replace("img-src 'self' data:", f"img-src 'self' data: {origin}") + f"; media-src 'self' {origin}"
            )
        app.extensions["tessera.csp"] = policy
    return policy


def style_nonce():
    """A nonce for this response's `<style>` elements (the rich-text editor inserts two): calling it from a
    template is what allows them; every other page keeps `style-src 'self'` only."""
    if not g.get("style_nonce"):
        g.style_nonce = secrets.token_urlsafe(16)
    return g.style_nonce


def no_store(view):
    """For responses that carry a credential (tokens, a new API key): no browser, proxy or history keeps them."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        @after_this_request
        def forbid_caching(response):
            response.headers["Cache-Control"] = "no-store"
            response.headers["Pragma"] = "no-cache"
            return response

        return view(*args, **kwargs)

    return wrapped


def init_security_headers(app):
    docs_path = app.config["OPENAPI_URL_PREFIX"].rstrip("/") + app.config["OPENAPI_SWAGGER_UI_PATH"]
    app.add_template_global(style_nonce)

    @app.after_request
    def add_security_headers(response):
        headers = response.headers
        page_policy = content_security_policy(app)
        if nonce := g.get("style_nonce"):  # a page with the rich-text editor, whose <style> carries it
            page_policy = page_policy.replace("style-src 'self'", f"style-src 'self' 'nonce-{nonce}'")
        headers.setdefault("Content-Security-Policy", DOCS_CSP if request.path == docs_path else page_policy)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        if app.config["SESSION_COOKIE_SECURE"]:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response
