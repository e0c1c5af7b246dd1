"""The e-mail around a notification: the organization's look (name, logo, colours), the body's paragraphs, a
button to what it is about, and a footer saying why the person got it and how to stop it
(docs/notifications.md, "E-mail, digests and reminders").

    email = render_email(subject, body, url=producing.site_url(link), type_key="enrolled", unsubscribe_url=...)
    email.subject, email.text, email.html

The template editor's preview calls `render_email` with the sample's subject and body; delivery calls it for
every message and `render_digest` for a digest. HTML mail clients ignore stylesheets in `<head>` (Gmail keeps
some, Outlook few), so every style is inline; the logo is an image by absolute URL (see `logo_src`).
"""

import re
from dataclasses import dataclass

from flask import render_template

from app.tenancy.context import require_tenant
from blueprints.home.services import brand_colors, logo_version
from blueprints.notifications import producing  # the module: producing imports delivery, which imports this
from blueprints.notifications.types import notification_type
from blueprints.organizations.settings import settings_of

LINK_ONLY = re.compile(r"^https?://\S+$")
# Mail clients draw PNG and JPEG; SVG only a few (Gmail and Outlook drop it): an SVG logo shows the name alone.
MAIL_LOGO_KINDS = ("png", "jpg")
DIGEST_LIMIT = 50  # items listed in one digest; "and N more" beyond


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str  # the plain-text part
    html: str  # the HTML part (inline styles only)


def paragraphs(body):
    """The body's paragraphs (blank-line separated), each a list of lines, and whether it is a bare link."""
    found = []
    for block in re.split(r"\n\s*\n", (body or "").strip()):
        lines = [line.rstrip() for line in block.strip().splitlines()]
        if lines:
            found.append({"lines": lines, "link": len(lines) == 1 and bool(LINK_ONLY.match(lines[0]))})
    return found


def logo_src(tenant):
    """The logo's absolute URL, or None (no logo, or an SVG). A URL rather than an inline CID attachment: a
    10 000-person announcement would otherwise carry the logo's bytes 10 000 times through the SMTP server,
    and mail clients that block remote images still show the `alt` (the organization's name) in its place."""
    settings = tenant.settings or {}
    if settings.get("logo") not in MAIL_LOGO_KINDS:
        return None
    return producing.site_url(f"/branding/logo?v={logo_version(tenant)}")


def branding():
    """Name, logo, colours and language of the current organization, as the mail templates use them."""
    tenant = require_tenant()
    settings = settings_of(tenant)
    colors = brand_colors(tenant)  # shaded where white text on them would not reach 4.5:1
    return {
        "name": settings["display_name"],
        "logo": logo_src(tenant),
        "primary": colors["primary_color"],
        "accent": colors["accent_color"],
        "lang": str(settings.get("locale") or "en").split("_")[0].split("-")[0],
        "home": producing.site_url("/"),
        "settings_url": producing.site_url("/notifications/settings"),
    }


def reason_for(type_key):
    """The footer's "why you got this" line for a type."""
    kind = notification_type(type_key)
    if kind.mandatory:
        return f"This message about your account ({kind.label.lower()}) is always sent; it cannot be switched off."
    return f"You get this e-mail because your notification settings send you “{kind.label}” by e-mail."


def render_email(subject, body, *, url="", type_key=None, unsubscribe_url=None, button=None):
    """One notification's e-mail in the current organization's look: `subject` and `body` as rendered (plain
    text; the HTML escapes them), a button to `url` (a full address, empty: none), the footer's reason from
    `type_key` (None: no reason line) and the one-click `unsubscribe_url` (None: none, e.g. a mandatory type
    or a preview)."""
    brand = branding()
    context = {
        "brand": brand,
        "subject": subject,
        "paragraphs": paragraphs(body),
        "url": url or "",
        "button": button or f"Open in {brand['name']}",
        "reason": reason_for(type_key) if type_key else "",
        "unsubscribe_url": unsubscribe_url,
        "items": None,
        "more": 0,
    }
    return RenderedEmail(
        subject,
        render_template("notifications/mail/message.txt", **context),
        render_template("notifications/mail/message.html", **context),
    )


def render_digest(subject, intro, items, *, more=0, cadence="daily"):
    """A digest's e-mail: `intro`, then `items` (dicts with subject, url, when: newest first, at most
    DIGEST_LIMIT) and "and `more` more"; the footer names the cadence (no one-click unsubscribe: a digest mixes
    types; its footer links to the settings)."""
    context = {
        "brand": branding(),
        "subject": subject,
        "paragraphs": paragraphs(intro),
        "url": producing.site_url("/notifications"),
        "button": "See all your notifications",
        "reason": f"You get this {cadence} digest because your notification settings send these types "
        f"{'once a day' if cadence == 'daily' else 'once a week'}.",
        "unsubscribe_url": None,
        "items": items,
        "more": more,
    }
    return RenderedEmail(
        subject,
        render_template("notifications/mail/message.txt", **context),
        render_template("notifications/mail/message.html", **context),
    )
