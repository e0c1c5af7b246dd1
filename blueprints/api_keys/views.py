"""The org admin's API keys page."""

from flask import Blueprint, render_template
from wtforms import SelectChoice

from app.errors import DomainError, ValidationFailed
from app.forms import apply_domain_error
from app.pages import render_page
from app.security.actor import current_actor
from app.security.headers import no_store
from app.security.principal import requires
from blueprints.api_keys import services
from blueprints.api_keys.forms import ApiKeyForm
from blueprints.integrations.queries import integration_names

bp = Blueprint("api_keys_pages", __name__, url_prefix="/settings/api-keys")


def _with_integrations(form):
    """The form with the organization's integrations to narrow a key to."""
    form.integration_id.choices = [SelectChoice("", "None: the key acts with its roles")] + [
        SelectChoice(str(integration_id), name) for integration_id, name in integration_names().items()
    ]
    return form


@bp.route("", methods=["GET", "POST"])
@requires("api_keys.manage")
@no_store
def index():
    """Create, see and revoke the keys other systems use to call the API."""
    form = _with_integrations(ApiKeyForm())
    created, status = None, 200
    if form.validate_on_submit():
        principal = current_actor.principal
        raw_integration = form.integration_id.data or ""
        integration_id = int(raw_integration) if raw_integration.isdigit() and len(raw_integration) < 10 else None
        try:
            if raw_integration and integration_id is None:
                raise ValidationFailed("The API key is not valid.", {"integration_id": ["Choose an integration."]})
            created = services.create_api_key(form.name.data, form.roles.data, principal, integration_id)
            form = _with_integrations(ApiKeyForm(formdata=None))
        except DomainError as error:
            apply_domain_error(form, error)
            status = 422
    elif form.is_submitted():
        status = 422
    return render_template(
        "api_keys/index.html",
        form=form,
        created=created,
        keys=services.list_api_keys(),
        integrations=integration_names(),
    ), status


@bp.post("/<int:key_id>/revoke")
@requires("api_keys.manage")
def revoke(key_id):
    """Revoke one key; answers the updated row to HTMX, the whole page otherwise."""
    key = services.revoke_api_key(key_id)
    return render_page(
        "api_keys/index.html",
        partial="api_keys/_row.html",
        key=key,
        form=_with_integrations(ApiKeyForm(formdata=None)),
        created=None,
        keys=services.list_api_keys(),
        integrations=integration_names(),
    )
