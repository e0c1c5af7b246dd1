"""The learner's "My achievements": their certificates (download, public or private, share link, LinkedIn's
"Add to profile") and their badges with the progress towards those they can still earn."""

from flask import Blueprint, flash, redirect, render_template, request, url_for

from app.errors import BadRequest
from app.pages import is_htmx
from app.security.actor import current_actor
from app.security.principal import requires
from blueprints.badges import queries as badges
from blueprints.certificates import lifecycle, sharing

bp = Blueprint("achievement_pages", __name__, url_prefix="/achievements")


@bp.get("")
@requires("courses.learn")
def index():
    """Everything you earned: certificates to download and share, badges, and how close you are to the next."""
    return render_template(
        "certificates/achievements.html",
        held=sharing.certificates_held(current_actor),
        badges=badges.badges_of(current_actor.id),
        badge_progress=badges.progress_of(current_actor.id),
    )


@bp.post("/certificates/<int:certificate_id>/share")
@requires("courses.learn")
def share(certificate_id):
    """Make one of your certificates public or private (the card is redrawn in place)."""
    choice = request.form.get("public")
    if choice not in ("true", "false"):
        raise BadRequest("Say whether the certificate is public (true) or private (false).")
    shared = sharing.share(certificate_id, choice == "true", current_actor)
    if is_htmx():
        item = sharing.held_certificate(certificate_id, current_actor)
        return render_template("certificates/_achievement_certificate.html", item=item, just_changed=True)
    flash(f"Certificate {shared.code} is now {'public' if shared.is_public else 'private'}.")
    return redirect(url_for("achievement_pages.index"))


@bp.get("/certificates/<int:certificate_id>/pdf")
@requires("courses.learn")
def pdf(certificate_id):
    """Download your certificate's PDF."""
    return lifecycle.serve_pdf(lifecycle.certificate_for(certificate_id, "own", current_actor).id, current_actor)
