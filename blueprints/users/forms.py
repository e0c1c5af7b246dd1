from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, SelectChoice, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

ROLE_CHOICES = [
    SelectChoice(role, role.replace("_", " ")) for role in ("student", "teacher", "branch_manager", "org_admin")
]


class PersonForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Email(), Length(max=254)])
    first_name = StringField("First name", validators=[DataRequired(), Length(max=100)])
    last_name = StringField("Last name", validators=[DataRequired(), Length(max=100)])
    role = SelectField("Role", choices=ROLE_CHOICES)
    branch_id = SelectField("Branch", coerce=int)
    external_id = StringField(
        "External id",
        validators=[Optional(), Length(max=100)],
        description="The key of this person in your HR or student system, if any.",
    )
    send_invitation = BooleanField("E-mail an invitation to choose a password", default=True)


class CheckboxesField(SelectMultipleField):
    """Several choices as a list of checkboxes (every one visible, unlike a multiple select on a phone)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class PersonEditForm(FlaskForm):
    email = EmailField(
        "E-mail (signs in with it)",
        validators=[DataRequired(), Email(), Length(max=254)],
        description="Links already sent to the old address stop working.",
    )
    branch_ids = CheckboxesField("Branches", coerce=int)
    first_name = StringField("First name", validators=[DataRequired(), Length(max=100)])
    last_name = StringField("Last name", validators=[DataRequired(), Length(max=100)])
    role = SelectField("Role", choices=ROLE_CHOICES)
    external_id = StringField("External id", validators=[Optional(), Length(max=100)])
