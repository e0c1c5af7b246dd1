"""Who gets a type on which channel, and when: the effective cadence of (person, type, channel); and the settings
people and org admins change (docs/notifications.md, "Words" and "Core").

Order: mandatory -> immediately; the organization's default when locked; the person's own setting; the
organization's default; the type's built-in default. No e-mail for a person with no address; nothing for an
inactive person.
"""

import sqlalchemy as sa

from app.errors import BadRequest
from app.extensions import db
from app.security.permissions import STUDENT
from blueprints.notifications.models import Cadence, Channel, NotificationDefault, NotificationSetting
from blueprints.notifications.types import TYPES, notification_type
from blueprints.organizations.settings import time_zones
from blueprints.users.models import User

CHUNK = 1000  # ids per IN (...): far below SQLite's bound of variables
CADENCE_WORDS = {
    Cadence.IMMEDIATELY: "Immediately",
    Cadence.DAILY: "Daily digest",
    Cadence.WEEKLY: "Weekly digest",
    Cadence.OFF: "Off",
}
CHANNEL_WORDS = {Channel.IN_APP: "In the app", Channel.EMAIL: "By e-mail"}


def choices(channel):
    """The cadences a channel takes: the bell has no digests."""
    return Cadence.IN_APP if channel == Channel.IN_APP else Cadence.ALL


def organization_defaults(type_key):
    """channel -> (cadence, locked) for one type: the organization's rows over the type's built-in ones."""
    return all_organization_defaults()[type_key]


def all_organization_defaults():
    """{type: {channel: (cadence, locked)}} of every type, in one query."""
    found = {
        (row.type, row.channel): (row.cadence, row.locked)
        for row in db.session.scalars(sa.select(NotificationDefault).where(NotificationDefault.type.in_(TYPES)))
    }
    return {
        key: {channel: found.get((key, channel), (kind.default_cadence(channel), False)) for channel in Channel.ALL}
        for key, kind in TYPES.items()
    }


def _cadence(kind, channel, default, locked, own):
    if kind.mandatory:
        return Cadence.IMMEDIATELY
    if locked or own is None:
        return default
    return own


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
                cadence = _cadence(kind, channel, *defaults[channel], own.get((person.id, channel)))
                if channel == Channel.EMAIL and not (person.notification_email or person.email):
                    cadence = Cadence.OFF
                cadences.append(cadence)
            result[person.id] = tuple(cadences)
    return result


# --- a person's own settings -----------------------------------------------------------------------------


def types_for(user):
    """The types this person may get: `staff_only` ones (imports, reports) for staff only."""
    return [kind for kind in TYPES.values() if not (kind.staff_only and user.role == STUDENT)]


def my_settings(user):
    """Every type this person may get x channel: the effective cadence, their own choice (None: the default),
    whether the organization locked it, whether it is mandatory; and their time zone."""
    defaults = all_organization_defaults()
    own = {
        (row.type, row.channel): row.cadence
        for row in db.session.scalars(sa.select(NotificationSetting).where(NotificationSetting.user_id == user.id))
    }
    has_address = bool(user.notification_email or user.email)
    types = []
    for kind in types_for(user):
        channels = {}
        for channel in Channel.ALL:
            default, locked = defaults[kind.key][channel]
            mine = own.get((kind.key, channel))
            cadence = _cadence(kind, channel, default, locked, mine)
            if channel == Channel.EMAIL and not has_address:
                cadence = Cadence.OFF
            channels[channel] = {
                "cadence": cadence,
                "own": None if kind.mandatory or locked else mine,
                "default": Cadence.IMMEDIATELY if kind.mandatory else default,
                "locked": bool(locked) and not kind.mandatory,
                "mandatory": kind.mandatory,
                "choices": list(choices(channel)),
            }
        types.append(
            {
                "type": kind.key,
                "label": kind.label,
                "description": kind.description,
                "mandatory": kind.mandatory,
                "channels": channels,
            }
        )
    return {"time_zone": user.time_zone, "types": types}


def _entries(mapping, prefix, kinds, problems):
    """(kind, channel, value, field) of each `{type: {channel: value}}` entry naming a type of `kinds` and a
    channel; a problem per field for the others."""
    if not isinstance(mapping, dict):
        problems[prefix] = ["An object of types, each an object of channels."]
        return
    for type_key, channels in mapping.items():
        kind = kinds.get(type_key)
        if kind is None:
            problems[f"{prefix}.{type_key}"] = ["No such notification type here."]
        elif not isinstance(channels, dict):
            problems[f"{prefix}.{type_key}"] = ["An object of channels (in_app, email)."]
        else:
            for channel, value in channels.items():
                if channel in Channel.ALL:
                    yield kind, channel, value, f"{prefix}.{type_key}.{channel}"
                else:
                    problems[f"{prefix}.{type_key}.{channel}"] = ["No such channel: in_app or email."]


def _own_choice_problem(kind, channel, cadence, default, locked):
    if cadence is not None and cadence not in choices(channel):
        return _choice_problem(channel)
    if kind.mandatory and cadence not in (None, Cadence.IMMEDIATELY):
        return "Always sent: this one cannot be switched off."
    if locked and not kind.mandatory and cadence not in (None, default):
        return "Locked by your organization."
    return None


def update_my_settings(user, settings=None, time_zone=...):
    """Change some of this person's cadences (`{type: {channel: cadence or None}}`; None: back to the default)
    and their time zone (`...`: unchanged; None: the organization's). Nothing is written unless all of it is
    valid: 400 naming each field (`settings.enrolled.in_app`). Sending back a locked or mandatory cadence as it
    is changes nothing and is no error (a client may PUT what it got)."""
    problems, writes = {}, []
    defaults = all_organization_defaults()
    kinds = {kind.key: kind for kind in types_for(user)}
    for kind, channel, cadence, field in _entries(settings or {}, "settings", kinds, problems):
        default, locked = defaults[kind.key][channel]
        if problem := _own_choice_problem(kind, channel, cadence, default, locked):
            problems[field] = [problem]
        elif not (kind.mandatory or locked):
            writes.append((kind.key, channel, cadence))
    if time_zone is not ... and time_zone not in (None, "") and time_zone not in time_zones():
        problems["time_zone"] = ["Not a time zone (e.g. Europe/Paris)."]
    if problems:
        raise BadRequest("Some notification settings are not valid.", problems)
    for type_key, channel, cadence in writes:
        row = db.session.get(NotificationSetting, (user.id, type_key, channel))
        if cadence is None:
            if row is not None:
                db.session.delete(row)
        elif row is None:
            db.session.add(NotificationSetting(user_id=user.id, type=type_key, channel=channel, cadence=cadence))
        else:
            row.cadence = cadence
    if time_zone is not ...:
        user.time_zone = time_zone or None
    db.session.commit()
    return my_settings(user)


def _choice_problem(channel):
    if channel == Channel.IN_APP:
        return "In the app: immediately or off (the bell has no digests)."
    return f"One of {', '.join(Cadence.ALL)}."


# --- the organization's defaults and locks ---------------------------------------------------------------


def organization_settings():
    """Every type x channel: the organization's default cadence, whether it is locked, the built-in default."""
    defaults = all_organization_defaults()
    return {
        "types": [
            {
                "type": kind.key,
                "label": kind.label,
                "description": kind.description,
                "mandatory": kind.mandatory,
                "staff_only": kind.staff_only,
                "channels": {
                    channel: {
                        "cadence": Cadence.IMMEDIATELY if kind.mandatory else defaults[kind.key][channel][0],
                        "locked": kind.mandatory or defaults[kind.key][channel][1],
                        "built_in": kind.default_cadence(channel),
                        "choices": list(choices(channel)),
                    }
                    for channel in Channel.ALL
                },
            }
            for kind in TYPES.values()
        ]
    }


def _default_problems(kind, channel, value, field):
    if kind.mandatory:
        return {field: ["Always sent immediately: it has no default to change."]}
    if not isinstance(value, dict) or not set(value) <= {"cadence", "locked"}:
        return {field: ['An object: {"cadence": ..., "locked": true or false}.']}
    problems = {}
    cadence, locked = value.get("cadence"), value.get("locked", False)
    if cadence is not None and cadence not in choices(channel):
        problems[f"{field}.cadence"] = [_choice_problem(channel)]
    if not isinstance(locked, bool):
        problems[f"{field}.locked"] = ["true or false."]
    return problems


def update_organization_settings(defaults, actor_id):
    """Set some defaults and locks: `{type: {channel: {"cadence": c, "locked": bool}}}`; `cadence` absent or
    None puts the type's built-in default back (unlocked). All or nothing: 400 naming each field
    (`defaults.enrolled.email.cadence`). Mandatory types are not the organization's to change."""
    problems, writes = {}, []
    for kind, channel, value, field in _entries(defaults, "defaults", TYPES, problems):
        if found := _default_problems(kind, channel, value, field):
            problems.update(found)
        else:
            writes.append((kind.key, channel, value.get("cadence"), value.get("locked", False)))
    if problems:
        raise BadRequest("Some defaults are not valid.", problems)
    for type_key, channel, cadence, locked in writes:
        row = db.session.get(NotificationDefault, (type_key, channel))
        if cadence is None:
            if row is not None:
                db.session.delete(row)
        elif row is None:
            db.session.add(
                NotificationDefault(
                    type=type_key, channel=channel, cadence=cadence, locked=locked, updated_by_id=actor_id
                )
            )
        else:
            row.cadence, row.locked, row.updated_by_id = cadence, locked, actor_id
    db.session.commit()
    return organization_settings()
