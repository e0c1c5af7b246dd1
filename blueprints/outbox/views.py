"""The development outbox for operators: read the mail Tessera sent, without a mail server."""

from flask import Blueprint, render_template, request

from app.pages import render_page
from app.security.principal import requires
from blueprints.outbox import services

bp = Blueprint("outbox_pages", __name__, url_prefix="/outbox")


@bp.get("")
@requires("outbox.read")
def index():
    """The mail the development sink kept, newest first: search recipient or subject, filter by organization."""
    page = services.list_messages(
        request.args.get("q", ""), request.args.get("organization", ""), request.args.get("page", 1, type=int)
    )
    return render_page(
        "outbox/index.html",
        partial="outbox/_results.html",
        page=page,
        args=request.args,
        organizations=services.organization_choices(),
    )


@bp.get("/<name>")
@requires("outbox.read")
def show(name):
    """One message, with its links clickable."""
    return render_template("outbox/show.html", message=services.get_message(name))
