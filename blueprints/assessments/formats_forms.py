"""The forms of the question import page: a file or pasted text to check, then the confirmation."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, RadioField, SelectChoice, TextAreaField
from wtforms.validators import Regexp

FORMAT_CHOICES = [
    SelectChoice("gift", "GIFT (Moodle): every kind of question, with feedback and categories"),
    SelectChoice("aiken", "Aiken: single-choice questions, one right answer"),
]


class CheckForm(FlaskForm):
    format = RadioField("Format", choices=FORMAT_CHOICES, default="gift")
    file = FileField("A text file (.txt, .gift)", description="UTF-8 text, as Moodle and TalentLMS export it.")
    text = TextAreaField("Or paste the questions", render_kw={"rows": 8, "spellcheck": "false"})


class ConfirmForm(FlaskForm):
    """What the dry run checked (held on the server under `token`), and whether to skip its bad questions."""

    token = HiddenField(validators=[Regexp(r"^[0-9a-f]{32}$", message="Check the file again.")])
    only_valid = BooleanField("Import only the valid questions and leave the others out")
