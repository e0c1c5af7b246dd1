"""The notifications feature's part of the demo: the org admin's welcome to the whole organization (sent at once,
so that everyone's bell shows it), and the teacher's reminder to the class Algebra 1, scheduled for tomorrow at
09:00 in the organization's time zone (its page shows it scheduled; the worker's scheduler sends it then). The
events seeded before (enrollments, badges, certificates, reports) tell their own people once the worker runs."""

from datetime import UTC, datetime, time, timedelta

import sqlalchemy as sa

from app.extensions import db
from app.security.actor import Actor
from app.tenancy.models import utcnow
from blueprints.notifications import announcements
from blueprints.notifications.models import Announcement
from blueprints.users.queries import time_zone_of
from blueprints.users.services import find_user_by_email, principal_for_user

WELCOME = "Welcome to Demo Academy"
WELCOME_BODY = (
    "Hello everyone,\n\nthis is where the academy tells you what matters: new courses, changes to the timetable, "
    "and reminders.\n\nYou choose how you hear about each kind of message in your notification settings."
)
REMINDER = "Algebra 1: bring your calculator tomorrow"
REMINDER_BODY = "We start the chapter on functions. Bring a calculator and the worksheet from last week."


def seed_announcements(_password):
    """The welcome (sent now) and the teacher's reminder (scheduled for tomorrow); idempotent by title."""
    seeded = set(db.session.scalars(sa.select(Announcement.title).where(Announcement.title.in_((WELCOME, REMINDER)))))
    admin, teacher = find_user_by_email("admin@demo.example"), find_user_by_email("teacher@demo.example")
    if WELCOME not in seeded and admin is not None:
        welcome = announcements.create_announcement(
            {"title": WELCOME, "body": WELCOME_BODY, "audience": "organization"}, Actor(principal_for_user(admin.id))
        )
        announcements.send_announcement(welcome.id)  # now, not when the worker starts: the bells show it at once
        told = db.session.get(Announcement, welcome.id).recipients
        yield f"announced “{WELCOME}” to the organization ({told} people told)"
    if REMINDER in seeded or teacher is None:
        return
    teacher_actor = Actor(principal_for_user(teacher.id))
    algebra = [i for i, name in announcements.audience_choices(teacher_actor)["class"] if name == "Algebra 1"][:1]
    if algebra:
        zone = time_zone_of(teacher.id)
        tomorrow = datetime.now(zone).date() + timedelta(days=1)
        send_at = datetime.combine(tomorrow, time(9), zone).astimezone(UTC).replace(tzinfo=None)
        if send_at <= utcnow():  # never: tomorrow 09:00 is ahead in any zone; kept for clocks set oddly
            send_at = utcnow() + timedelta(days=1)
        announcements.create_announcement(
            {
                "title": REMINDER,
                "body": REMINDER_BODY,
                "audience": "class",
                "audience_ids": algebra,
                "send_at": send_at,
            },
            teacher_actor,
        )
        yield f"scheduled “{REMINDER}” for {tomorrow} 09:00 ({zone.key})"
