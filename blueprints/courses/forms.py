from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SelectChoice, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from blueprints.courses.models import ContentKind, CourseStatus


class CourseForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    summary = StringField("Summary", validators=[Optional(), Length(max=500)])
    description = TextAreaField("Description", render_kw={"data-rich-text": True, "rows": 6})
    status = SelectField("Status", choices=[SelectChoice(s, s) for s in CourseStatus.ALL], default=CourseStatus.DRAFT)
    self_enrollment = BooleanField("Learners may enroll themselves from the catalogue")


class ItemForm(FlaskForm):
    module_id = SelectField("Module", coerce=int)
    module_title = StringField(
        "…or a new module",
        validators=[Optional(), Length(max=200)],
        description="A name typed here makes a new module, whatever the list says.",
    )
    kind = SelectField("Kind", choices=[SelectChoice(k, k) for k in ContentKind.ALL])
    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    body = TextAreaField("Content", description="Text: HTML (sanitised). Video and link: an https URL.")


class VersionForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    body = TextAreaField("Content")
    change_note = StringField("What changed", validators=[Optional(), Length(max=300)])
    publish = BooleanField("Publish this version to learners", default=True)


class EnrollForm(FlaskForm):
    class_id = SelectField("Enroll a class", coerce=int, validators=[Optional()])
    user_ids = SelectMultipleField("People", coerce=int, validate_choice=False)  # ticked in the people picker
    emails = TextAreaField("…or people by e-mail, one per line", validators=[Optional()])


class MediaForm(FlaskForm):
    file = FileField("File", validators=[FileRequired("Choose a file.")])
