"""The development outbox for operators: read the mail Tessera sent, without a mail server."""

from flask import Blueprint, render_template

from app.security.principal import requires
from blueprints.outbox import services

bp = Blueprint("outbox_pages", __name__, url_prefix="/outbox")


@bp.get("")
@requires("outbox.read")
def index():
    """Every message the development mail sink kept, newest first."""
    return render_template("outbox/index.html", messages=services.list_messages())


@bp.get("/<name>")
@requires("outbox.read")
def show(name):
    """One message, with its links clickable."""
    return render_template("outbox/show.html", message=services.get_message(name))
