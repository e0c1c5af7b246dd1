"""What other features may read of users: which ids are people, which are active, whose e-mail is what, and in
which time zone each reads dates."""

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa

from app.extensions import db
from app.tenancy.context import require_tenant
from blueprints.users.models import User


def existing_user_ids(user_ids):
    """Which of these ids are people of the organization (inactive ones included)."""
    return set(db.session.scalars(sa.select(User.id).where(User.id.in_(user_ids or [-1]))))


def active_people(user_ids, within=()):
    """The ids of the active people among these who are also in each of `within` (selects of user ids, e.g.
    the people of some branches): whom one may enroll, say."""
    stmt = sa.select(User.id).where(User.id.in_(user_ids or [-1]), User.is_active)
    for people in within:
        stmt = stmt.where(User.id.in_(people))
    return set(db.session.scalars(stmt))


def user_ids_by_email(emails):
    """{e-mail: user id} of the people with these addresses (compared as stored: trimmed, lower case)."""
    wanted = {email.strip().lower() for email in emails if email.strip()}
    return dict(db.session.execute(sa.select(User.email, User.id).where(User.email.in_(wanted or [""]))).all())


def names_of(user_ids):
    """{user id: "First Last (e-mail)"} of these people, to show who a row is about (one query)."""
    rows = db.session.execute(
        sa.select(User.id, User.first_name, User.last_name, User.email).where(User.id.in_(user_ids or [-1]))
    )
    return {row.id: f"{row.first_name or ''} {row.last_name or ''}".strip() + f" ({row.email})" for row in rows}


def contacts_of(user_ids):
    """{user id: (name, e-mail)} of these people (one query)."""
    rows = db.session.execute(
        sa.select(User.id, User.first_name, User.last_name, User.email).where(User.id.in_(user_ids or [-1]))
    )
    return {row.id: (f"{row.first_name or ''} {row.last_name or ''}".strip(), row.email) for row in rows}


def active_people_with_roles(roles, among=None, user_ids=None, text="", limit=None):
    """Active people with one of `roles`, as User rows ordered by name: among a select of user ids (None:
    everyone), of these ids (None: any), whose name or e-mail contains each word of `text`. For pickers of
    other features (the recipients of a report schedule)."""
    stmt = sa.select(User).where(User.is_active, User.role.in_(roles or [""]))
    if among is not None:
        stmt = stmt.where(User.id.in_(among))
    if user_ids is not None:
        stmt = stmt.where(User.id.in_(user_ids or [-1]))
    for word in text.split()[:5]:
        pattern = f"%{word.replace('%', '').replace('_', '')}%"
        stmt = stmt.where(
            sa.or_(User.email.ilike(pattern), User.first_name.ilike(pattern), User.last_name.ilike(pattern))
        )
    stmt = stmt.order_by(User.last_name, User.first_name, User.id)
    return db.session.scalars(stmt.limit(limit) if limit else stmt).all()


def own_time_zone(user_id):
    """The IANA name a person chose for themselves, or None (then the organization's applies)."""
    return db.session.scalar(sa.select(User.time_zone).where(User.id == user_id)) if user_id else None


def zone_for(own_name):
    """The time zone of a person whose own choice is `own_name` (an IANA name, or None): theirs, else the
    organization's, else UTC; an empty or unknown name is passed over (never raises). For rows already read."""
    # The organization's setting read off its registry row, as auth reads self-registration: organizations'
    # settings_of would import audit's recording, which reads this module.
    for name in (own_name, (require_tenant().settings or {}).get("time_zone")):
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def time_zone_of(user_id):
    """A person's time zone, in which they read dates and type times (None: nobody's, so the organization's)."""
    return zone_for(own_time_zone(user_id))


def time_zones_of(user_ids):
    """{user id: time zone} of these people in one query (an id of nobody: the organization's)."""
    wanted = set(user_ids)
    own = dict(db.session.execute(sa.select(User.id, User.time_zone).where(User.id.in_(wanted or {-1}))).all())
    return {user_id: zone_for(own.get(user_id)) for user_id in wanted}
