from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from blueprints.courses.models import ContentKind, CourseStatus


class CourseForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    summary = StringField("Summary", validators=[Optional(), Length(max=500)])
    description = TextAreaField("Description", render_kw={"data-rich-text": True, "rows": 6})
    status = SelectField("Status", choices=[SelectChoice(s, s) for s in CourseStatus.ALL], default=CourseStatus.DRAFT)


class CourseSettingsForm(FlaskForm):
    """Who may take the course and when: the rules of `services.update_course`, on the course page."""

    due_days = IntegerField(
        "Due after (days)",
        validators=[Optional(), NumberRange(min=1, max=3650)],
        description="Each enrollment is due this many days after it starts. Empty: no due date.",
    )
    self_enrollment = BooleanField("Learners may enroll themselves from the catalogue")
    prerequisite_ids = SelectMultipleField(
        "Prerequisites",
        coerce=int,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        description="Learners complete these courses before this one opens.",
    )
    branch_ids = SelectMultipleField(
        "Open to branches",
        coerce=int,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        description="None ticked: the whole organization (only an org admin opens a course that wide).",
    )


class ItemForm(FlaskForm):
    module_id = SelectField("Module", coerce=int)
    module_title = StringField(
        "…or a new module",
        validators=[Optional(), Length(max=200)],
        description="A name typed here makes a new module, whatever the list says.",
    )
    kind = SelectField("Kind", choices=[SelectChoice(k, k) for k in ContentKind.ALL])
    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    body = TextAreaField(
        "Content",
        render_kw={"data-rich-text": True, "rows": 8},
        description="Formatted text for lessons, files' notes and assessments; an https address for videos and links.",
    )


class RenameForm(FlaskForm):
    title = StringField("New title", validators=[DataRequired(), Length(max=200)])


class MoveItemForm(FlaskForm):
    module_id = SelectField("Move to module", coerce=int)


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
