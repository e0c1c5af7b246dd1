"""The page an e-mail's "Stop these e-mails" link opens, and the one-click POST mail clients send (RFC 8058)."""

from flask import Blueprint, render_template, request

from app.extensions import csrf
from app.pages import organizations_only
from app.security.principal import public
from blueprints.notifications.unsubscribe import read_token, unsubscribe

bp = Blueprint("notification_unsubscribe", __name__)


# its token names an organization, and only that organization's host reads it: the platform's host has none
organizations_only(bp, "This unsubscribe link is not valid.")


@bp.get("/notifications/unsubscribe/<token>")
@public
def unsubscribe_page(token):
    """Says which e-mails the link stops, with a button that stops them (no sign-in needed)."""
    response = render_template("notifications/unsubscribe.html", subscription=read_token(token), token=token)
    return response, 200, {"Cache-Control": "no-store", "X-Robots-Tag": "noindex", "Referrer-Policy": "no-referrer"}


@bp.post("/notifications/unsubscribe/<token>")
@public
@csrf.exempt  # the signed token is the credential; a mail client's one-click POST carries no cookie nor form token
def unsubscribe_now(token):
    """Stops the token's e-mails: a mail client's one-click POST (`List-Unsubscribe=One-Click`) or the button."""
    subscription = unsubscribe(token)
    one_click = request.form.get("List-Unsubscribe") == "One-Click" and "confirm" not in request.form
    if one_click:  # a mail client: it reads the status only (RFC 8058 asks for no page, no redirect)
        answer = "Unsubscribed." if subscription.off else "These e-mails cannot be switched off."
        return answer, 200, {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}
    page = render_template("notifications/unsubscribe.html", subscription=subscription, token=token, done=True)
    return page, 200, {"Cache-Control": "no-store", "X-Robots-Tag": "noindex", "Referrer-Policy": "no-referrer"}
