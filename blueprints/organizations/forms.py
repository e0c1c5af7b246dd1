from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length


class SettingsForm(FlaskForm):
    display_name = StringField("Name shown on every page", validators=[DataRequired(), Length(max=200)])
    primary_color = StringField("Primary colour", render_kw={"type": "color"})
    accent_color = StringField("Accent colour", render_kw={"type": "color"})
    time_zone = StringField("Time zone", validators=[DataRequired()], description="For example Europe/Paris.")
    self_registration = BooleanField("Anyone may create a student account on the sign-in page")
    logo = FileField("Logo (PNG, JPEG or SVG, at most 512 KB)")
