"""The public verification page: type a code (`/verify`) or follow a certificate's QR code (`/verify/<code>`)."""

from flask import Blueprint, redirect, render_template, request, url_for

from app.security.principal import public
from blueprints.certificates import verification

bp = Blueprint("certificate_verify", __name__)

HEADLINES = {
    verification.VALID: ("Valid certificate", "This certificate is genuine and current."),
    verification.REVOKED: ("Revoked", "The issuer revoked this certificate: it is no longer valid."),
    verification.EXPIRED: ("Expired", "This certificate was genuine, and its validity has ended."),
    verification.SUPERSEDED: ("Replaced", "The issuer replaced this certificate with a newer one."),
    verification.UNKNOWN: ("Not found", "No certificate of this organization has this code."),
}
ICONS = {"valid": "✓", "revoked": "✕", "expired": "!", "superseded": "↻", "unknown": "?"}


@bp.get("/verify")
@public
@verification.limit_verifications
def verify_form():
    """Type a certificate's code to check it (`?code=` goes straight to its page)."""
    verification.require_organization()
    verification.never_cached()
    code = verification.normalized_code(request.args.get("code", ""))
    if code:
        return redirect(url_for("certificate_verify.verify_page", code=verification.display_code(code)[:80]))
    return render_template("certificates/verify.html", typed=request.args.get("code"))


@bp.get("/verify/<code>")
@public
@verification.limit_verifications
def verify_page(code):
    """Whether a certificate is valid, who issued it and, if its holder shares it, whose it is and for what."""
    verification.require_organization()
    verification.never_cached()
    answer = verification.verify_code(code)
    headline, explanation = HEADLINES[answer["status"]]
    return render_template(
        "certificates/verify_result.html",
        answer=answer,
        headline=headline,
        explanation=explanation,
        icon=ICONS[answer["status"]],
        page_url=verification.verify_url(answer["code"]) if answer["certificate_id"] else None,
    )
