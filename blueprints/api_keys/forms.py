from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, SelectMultipleField, StringField, widgets
from wtforms.validators import DataRequired, Length, ValidationError

from app.security.permissions import TENANT_ROLES


class ApiKeyForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=100)], description="What uses this key.")
    roles = SelectMultipleField(
        "Acts as",
        choices=[SelectChoice(role, role.replace("_", " ")) for role in TENANT_ROLES],
        description="Not for a key made for an integration: it manages that integration only.",
        option_widget=widgets.CheckboxInput(),
        widget=widgets.ListWidget(prefix_label=False),
    )
    # a key narrowed to one integration (docs/integrations.md, "API keys"); the choices are set by the view
    integration_id = SelectField(
        "For integration",
        choices=[SelectChoice("", "None: the key acts with its roles")],
        validate_choice=False,
        description="A key made for an integration reaches that integration's API only.",
    )

    def validate_roles(self, field):
        """A key acts with roles, unless it is made for an integration (then it has none of its own)."""
        if not field.data and not self.integration_id.data:
            raise ValidationError("Choose at least one role.")
