"""Part templates' share of the demo: Demo Academy words "Course completed" its own way, so that its org admin
finds a type of their own on /notifications/templates, and the demo's completions (later parts) are told in it."""

from app.extensions import db
from app.security.actor import Actor
from blueprints.notifications import template_editor
from blueprints.notifications.models import NotificationTemplate
from blueprints.users.services import find_user_by_email, principal_for_user

TYPE = "course_completed"
SUBJECT = "Well done, {{ person.first_name }}: {{ course.title }} is complete"
BODY = (
    "Congratulations, {{ person.first_name }}!\n\n"
    "You have completed {{ course.title }} at {{ organization.name }}. Your certificate and badges, if the course "
    "gives any, are on your achievements page.\n\n{{ url }}"
)


def seed_templates(_password):
    """The demo organization's own words for one type (idempotent)."""
    admin = find_user_by_email("admin@demo.example")
    if admin is None or db.session.get(NotificationTemplate, TYPE) is not None:
        return
    template_editor.save_template(TYPE, SUBJECT, BODY, actor=Actor(principal_for_user(admin.id)))
    yield f"worded {TYPE} notifications in the organization's own way (/notifications/templates)"
