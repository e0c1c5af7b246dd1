"""One-click unsubscribe (RFC 8058): a link in every e-mail of a type that may be switched off, which turns that
type's e-mails off for that person without signing in (docs/notifications.md, "E-mail, digests and reminders").

The token is the credential: itsdangerous-signed with the app's secret (salt "notifications-unsubscribe"), it
names the organization, the person and the type. It does not expire: a mail read a year later still works, and
all it can do is stop one kind of e-mail to the person it was sent to.
"""

from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadData, URLSafeSerializer

from app.errors import NotFound
from app.extensions import db
from app.tenancy.context import require_tenant
from blueprints.notifications import producing  # the module: producing imports delivery, which imports this
from blueprints.notifications.models import Cadence, Channel, NotificationSetting
from blueprints.notifications.preferences import organization_defaults
from blueprints.notifications.types import TYPES
from blueprints.users.models import User

SALT = "notifications-unsubscribe"


def _serializer():
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def unsubscribe_token(user_id, type_key):
    """The token of (this organization, person, type)."""
    return _serializer().dumps([require_tenant().slug, user_id, type_key])


def unsubscribe_url(user_id, type_key):
    return producing.site_url(f"/notifications/unsubscribe/{unsubscribe_token(user_id, type_key)}")


@dataclass(frozen=True)
class Subscription:
    """What a token names, as its page shows it."""

    user_id: int
    email: str
    type_key: str
    label: str
    mandatory: bool
    locked: bool  # the organization decides this type's e-mails: the person cannot switch them off
    off: bool  # already off for this person


def read_token(token):
    """The subscription a valid token of this organization names; NotFound (a 404 page) for anything else: a
    tampered or truncated token, another organization's, a person or type that no longer exists."""
    try:
        slug, user_id, type_key = _serializer().loads(token)
    except (BadData, TypeError, ValueError):
        raise NotFound("This unsubscribe link is not valid.") from None
    if slug != require_tenant().slug or type_key not in TYPES or not isinstance(user_id, int):
        raise NotFound("This unsubscribe link is not valid.")
    email = db.session.scalar(sa.select(User.email).where(User.id == user_id))
    if email is None:
        raise NotFound("This unsubscribe link is not valid.")
    kind = TYPES[type_key]
    default, locked = organization_defaults(type_key)[Channel.EMAIL]
    own = db.session.scalar(
        sa.select(NotificationSetting.cadence).where(
            NotificationSetting.user_id == user_id,
            NotificationSetting.type == type_key,
            NotificationSetting.channel == Channel.EMAIL,
        )
    )
    cadence = default if locked else (own or default)
    return Subscription(
        user_id, email, type_key, kind.label, kind.mandatory, locked and not kind.mandatory, cadence == Cadence.OFF
    )


def unsubscribe(token):
    """Switch off the e-mails of the token's type for its person (their own setting, as the settings page would
    write it). Returns the subscription as it now is; a mandatory or locked type is left as it is (the page
    says why). Idempotent: a mail client's POST and the person's click both land here."""
    subscription = read_token(token)
    if subscription.mandatory or subscription.locked or subscription.off:
        return subscription
    setting = db.session.get(NotificationSetting, (subscription.user_id, subscription.type_key, Channel.EMAIL))
    if setting is None:
        db.session.add(
            NotificationSetting(
                user_id=subscription.user_id, type=subscription.type_key, channel=Channel.EMAIL, cadence=Cadence.OFF
            )
        )
    else:
        setting.cadence = Cadence.OFF
    db.session.commit()
    return read_token(token)
