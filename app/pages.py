"""Rendering pages for HTMX: one route serves the full page or, on an HX-Request, its fragment."""

from flask import render_template

from app.errors import NotFound
from app.extensions import htmx
from app.tenancy.context import get_current_tenant


def is_htmx():
    """An htmx request that wants a fragment; a history restore (the page is not in htmx's cache) wants it all."""
    return bool(htmx) and not htmx.history_restore_request


def render_page(template, partial=None, **context):
    """The fragment template for HTMX requests, the whole page (which includes it) otherwise."""
    if partial and is_htmx():
        return render_template(partial, **context)
    return render_template(template, **context)


def organizations_only(blueprint, message="No such page."):
    """Pages of an organization's own: on the platform's host (no tenant) every route of `blueprint` is a 404."""

    @blueprint.before_request
    def _organizations_only():
        if get_current_tenant() is None:
            raise NotFound(message)
