"""Rendering pages for HTMX: one route serves the full page or, on an HX-Request, its fragment."""

from flask import render_template, request


def is_htmx():
    return request.headers.get("HX-Request") == "true"


def render_page(template, partial=None, **context):
    """The fragment template for HTMX requests, the whole page (which includes it) otherwise."""
    if partial and is_htmx():
        return render_template(partial, **context)
    return render_template(template, **context)
