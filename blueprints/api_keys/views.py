"""The org admin's API keys page."""

from flask import Blueprint, render_template

from app.errors import DomainError
from app.forms import apply_domain_error
from app.pages import render_page
from app.security.actor import current_actor
from app.security.headers import no_store
from app.security.principal import requires
from blueprints.api_keys import services
from blueprints.api_keys.forms import ApiKeyForm

bp = Blueprint("api_keys_pages", __name__, url_prefix="/settings/api-keys")


@bp.route("", methods=["GET", "POST"])
@requires("api_keys.manage")
@no_store
def index():
    """Create, see and revoke the keys other systems use to call the API."""
    form = ApiKeyForm()
    created, status = None, 200
    if form.validate_on_submit():
        principal = current_actor.principal
        try:
            created = services.create_api_key(form.name.data, form.roles.data, principal)
            form = ApiKeyForm(formdata=None)
        except DomainError as error:
            apply_domain_error(form, error)
            status = 422
    elif form.is_submitted():
        status = 422
    return render_template("api_keys/index.html", form=form, created=created, keys=services.list_api_keys()), status


@bp.post("/<int:key_id>/revoke")
@requires("api_keys.manage")
def revoke(key_id):
    """Revoke one key; answers the updated row to HTMX, the whole page otherwise."""
    key = services.revoke_api_key(key_id)
    return render_page(
        "api_keys/index.html",
        partial="api_keys/_row.html",
        key=key,
        form=ApiKeyForm(formdata=None),
        created=None,
        keys=services.list_api_keys(),
    )
