from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, SelectChoice, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional


class ClassForm(FlaskForm):
    branch_id = SelectField("Branch", coerce=int, validators=[DataRequired()])
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    term_start = DateField("Term starts", validators=[Optional()])
    term_end = DateField("Term ends", validators=[Optional()])


class AddMembersForm(FlaskForm):
    user_ids = SelectMultipleField("People", coerce=int, validate_choice=False)  # ticked in the people picker
    emails = TextAreaField("…or e-mail addresses, one per line", validators=[Optional()])
    role = RadioField(
        "As", choices=[SelectChoice("student", "students"), SelectChoice("teacher", "teachers")], default="student"
    )
