"""Rich text (course descriptions, lessons, the notes of files and assessments): sanitised and bounded.

It keeps structure and links, never scripts, styles or event handlers. Every save of a lesson is a new
version kept for ever, so the size is bounded too (`RICH_TEXT_MAX_BYTES` of HTML as stored).
"""

import nh3
from flask import current_app

from app.errors import ValidationFailed

ALLOWED_TAGS = {
    "p",
    "div",  # the editor's paragraphs
    "br",
    "strong",
    "em",
    "u",
    "s",
    "del",
    "h2",
    "h3",
    "h4",
    "ul",
    "ol",
    "li",
    "blockquote",
    "code",
    "pre",
    "a",
    "img",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "hr",
    "sub",
    "sup",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title", "width", "height"}}
# Sanitising costs about a quarter of a second per MB: input this many times the limit is refused unread
# (what sanitising removes from real text is far less).
UNREAD_FACTOR = 4


def sanitize_html(html, extra_tags=frozenset()):
    """`extra_tags`: more harmless tags for what the server writes itself (a compare's `ins`)."""
    return nh3.clean(
        html or "",
        tags=ALLOWED_TAGS | extra_tags,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
    )


def rich_text(html, field="body"):
    """`html` sanitised; a ValidationFailed on `field` when it is larger than the configured limit."""
    limit = current_app.config["RICH_TEXT_MAX_BYTES"]
    too_large = f"At most {limit // 1024} KB of formatted text; split it into several items."
    html = html or ""
    if len(html) > UNREAD_FACTOR * limit:  # characters: at least as many bytes
        raise ValidationFailed("This text is too long.", {field: [too_large]})
    clean = sanitize_html(html)
    if len(clean.encode()) > limit:
        raise ValidationFailed("This text is too long.", {field: [too_large]})
    return clean
