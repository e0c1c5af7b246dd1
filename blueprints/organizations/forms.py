from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, EmailField, HiddenField, StringField
from wtforms.validators import AnyOf, DataRequired, Email, Length


class SettingsForm(FlaskForm):
    display_name = StringField("Name shown on every page", validators=[DataRequired(), Length(max=200)])
    primary_color = StringField("Primary colour", render_kw={"type": "color"})
    accent_color = StringField("Accent colour", render_kw={"type": "color"})
    time_zone = StringField("Time zone", validators=[DataRequired()], description="For example Europe/Paris.")
    self_registration = BooleanField("Anyone may create a student account on the sign-in page")
    logo = FileField("Logo (PNG, JPEG or SVG, at most 512 KB)")


# --- the operators' console ------------------------------------------------------------------------


class OrganizationForm(FlaskForm):
    slug = StringField(
        "Address (subdomain)",
        validators=[DataRequired(), Length(max=40)],
    )
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    admin_email = EmailField(
        "First org admin's e-mail",
        validators=[DataRequired(), Email()],
        description="They get an invitation to choose their password.",
    )


class OrganizationStatusForm(FlaskForm):
    status = HiddenField(validators=[AnyOf(["active", "suspended"])])


class ArchiveForm(FlaskForm):
    confirm_slug = StringField("Type the organization's address to confirm", validators=[DataRequired()])
