from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional

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


class PersonEditForm(FlaskForm):
    first_name = StringField("First name", validators=[DataRequired(), Length(max=100)])
    last_name = StringField("Last name", validators=[DataRequired(), Length(max=100)])
    role = SelectField("Role", choices=ROLE_CHOICES)
    external_id = StringField("External id", validators=[Optional(), Length(max=100)])
