from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectMultipleField, StringField, widgets
from wtforms.validators import DataRequired, Length

from app.security.permissions import TENANT_ROLES


class ApiKeyForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=100)], description="What uses this key.")
    roles = SelectMultipleField(
        "Acts as",
        choices=[SelectChoice(role, role.replace("_", " ")) for role in TENANT_ROLES],
        validators=[DataRequired("Choose at least one role.")],
        option_widget=widgets.CheckboxInput(),
        widget=widgets.ListWidget(prefix_label=False),
    )
