"""Who gets a type on which channel, and when: the effective cadence of (person, type, channel).

Order (docs/notifications.md, "Words"): mandatory -> immediately; the organization's default when locked; the
person's own setting; the organization's default; the type's built-in default. No e-mail for a person with no
address; nothing for an inactive person.
"""

import sqlalchemy as sa

from app.extensions import db
from blueprints.notifications.models import Cadence, Channel, NotificationDefault, NotificationSetting
from blueprints.notifications.types import notification_type
from blueprints.users.models import User

CHUNK = 1000  # ids per IN (...): far below SQLite's bound of variables


def organization_defaults(type_key):
    """channel -> (cadence, locked) for one type: the organization's rows over the type's built-in ones."""
    kind = notification_type(type_key)
    found = {
        row.channel: (row.cadence, row.locked)
        for row in db.session.scalars(sa.select(NotificationDefault).where(NotificationDefault.type == type_key))
    }
    return {channel: found.get(channel, (kind.default_cadence(channel), False)) for channel in Channel.ALL}


def effective(type_key, user_ids):
    """{user_id: (in_app cadence, email cadence)} for the active people among `user_ids` (others are absent)."""
    kind = notification_type(type_key)
    defaults = organization_defaults(type_key)
    ids = sorted(set(user_ids))
    result = {}
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        people = db.session.execute(
            sa.select(User.id, User.email, User.notification_email).where(User.id.in_(chunk), User.is_active)
        ).all()
        own = {
            (row.user_id, row.channel): row.cadence
            for row in db.session.execute(
                sa.select(NotificationSetting.user_id, NotificationSetting.channel, NotificationSetting.cadence).where(
                    NotificationSetting.type == type_key, NotificationSetting.user_id.in_(chunk)
                )
            )
        }
        for person in people:
            cadences = []
            for channel in Channel.ALL:
                if kind.mandatory:
                    cadence = Cadence.IMMEDIATELY
                else:
                    default, locked = defaults[channel]
                    cadence = default if locked else own.get((person.id, channel), default)
                if channel == Channel.EMAIL and not (person.notification_email or person.email):
                    cadence = Cadence.OFF
                cadences.append(cadence)
            result[person.id] = tuple(cadences)
    return result
