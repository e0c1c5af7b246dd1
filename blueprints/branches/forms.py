from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp

CODE_RULE = Regexp(r"^[a-z0-9][a-z0-9_-]{0,39}$", message="Lowercase letters, digits, - and _; up to 40.")


class BranchForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired("Give the branch a name."), Length(max=200)])
    code = StringField(
        "Code",
        validators=[DataRequired("Give the branch a short code."), CODE_RULE],
        description="What CSV imports and integrations call the branch, e.g. north or paris-2.",
    )


class BranchSettingsForm(FlaskForm):
    """Each field left empty follows the organization's setting (shown as the placeholder)."""

    display_name = StringField("Name shown to this branch's people", validators=[Optional(), Length(max=200)])
    primary_color = StringField("Primary colour", validators=[Optional()], description="A colour like #1d4ed8.")
    accent_color = StringField("Accent colour", validators=[Optional()], description="A colour like #0f766e.")
    time_zone = StringField("Time zone", validators=[Optional()], description="For example Europe/Paris.")
    locale = StringField(
        "Language", validators=[Optional()], description="A language code such as en or pt-BR (pages are in English)."
    )


class ArchiveBranchForm(FlaskForm):
    confirm = BooleanField("Yes, archive this branch", validators=[DataRequired("Tick the box to confirm.")])
