"""The CSV upload form of the import pages."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, RadioField, SelectChoice


class ImportForm(FlaskForm):
    file = FileField(
        "CSV file", validators=[FileRequired("Choose a CSV file."), FileAllowed(["csv", "txt"], "A .csv file, please.")]
    )
    mode = RadioField(
        "What to do",
        choices=[
            SelectChoice("dry_run", "Check the file only (dry run: nothing is written)"),
            SelectChoice("commit", "Import the valid rows now"),
        ],
        default="dry_run",
    )
    send_invitations = BooleanField("E-mail an invitation to new people without a password", default=True)
