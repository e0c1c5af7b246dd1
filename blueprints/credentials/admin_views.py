"""The org admin's Credentials page: the signing keys (rotate with a confirmation), the issuance log's head and
last entries, and an audit of the whole log."""

from flask import Blueprint, flash, redirect, url_for
from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms.validators import DataRequired

from app.pages import render_page
from app.security.actor import current_actor
from app.security.principal import requires
from blueprints.credentials import keys, ledger, signing

bp = Blueprint("credentials_admin", __name__, url_prefix="/settings/credentials")
RECENT_ENTRIES = 10


class RotateForm(FlaskForm):
    confirm = BooleanField(
        "Yes, sign new credentials with a new key (everything signed before keeps verifying)",
        validators=[DataRequired("Tick the box to confirm the rotation.")],
    )


class AuditForm(FlaskForm):
    pass


def _page(rotate_form=None, audit=None, status=200):
    return (
        render_page(
            "credentials/admin.html",
            partial="credentials/_audit.html" if audit is not None else None,
            keys=keys.all_keys(),
            head=ledger.head(),
            entries=ledger.recent_entries(RECENT_ENTRIES),
            logged_data=ledger.logged_data,
            personal_state=ledger.personal_state,
            rotate_form=rotate_form or RotateForm(formdata=None),
            audit_form=AuditForm(formdata=None),
            audit=audit,
            jwks_url=signing.absolute_url(url_for("credentials_public.jwks")),
            verifier_url=signing.absolute_url(url_for("credentials_public.verifier")),
        ),
        status,
    )


@bp.get("")
@requires(keys.MANAGE_PERMISSION)
def index():
    """Your organization's signing keys and issuance log."""
    return _page()


@bp.post("/rotate")
@requires(keys.MANAGE_PERMISSION)
def rotate():
    """Rotate the signing key, once confirmed."""
    form = RotateForm()
    if not form.validate_on_submit():
        return _page(rotate_form=form, status=422)
    key = keys.rotate_key(current_actor)
    flash(f"New signing key {key.kid} is active; the earlier keys stay published.")
    return redirect(url_for("credentials_admin.index"))


@bp.post("/audit")
@requires(keys.MANAGE_PERMISSION)
def audit():
    """Check the issuance log's hash chain from its first entry to its last."""
    return _page(audit=ledger.audit())  # the app's CSRF protection has checked the form's token already
