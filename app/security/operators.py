"""Platform operator accounts (control plane)."""

import sqlalchemy as sa

from app.errors import Conflict
from app.extensions import db
from app.security.models import OperatorSignIn, PlatformOperator
from app.security.passwords import hash_password, verify_password
from app.security.permissions import PLATFORM_OPERATOR
from app.security.principal import Principal, register_principal_loader
from app.security.tokens import new_session_id
from app.tenancy.models import utcnow


def create_operator(email, password, name=""):
    email = email.strip().lower()
    if db.session.scalar(sa.select(PlatformOperator.id).where(PlatformOperator.email == email)):
        raise Conflict("An operator with this e-mail already exists.", {"email": ["Already in use."]})
    operator = PlatformOperator(email=email, name=name, password_hash=hash_password(password))
    db.session.add(operator)
    db.session.commit()
    return operator


def find_operator(email):
    return db.session.scalar(sa.select(PlatformOperator).where(PlatformOperator.email == email.strip().lower()))


def authenticate_operator(email, password):
    operator = find_operator(email or "")
    valid = verify_password(operator.password_hash if operator else None, password or "")
    return operator if valid and operator.is_active else None


def principal_for_operator(operator_id, sign_in_id=None):
    """An active operator; with `sign_in_id`, only while that sign-in is open."""
    stmt = sa.select(PlatformOperator).where(PlatformOperator.id == operator_id, PlatformOperator.is_active)
    if sign_in_id is not None:
        stmt = stmt.join(OperatorSignIn, OperatorSignIn.operator_id == PlatformOperator.id).where(
            OperatorSignIn.id == sign_in_id, OperatorSignIn.revoked_at.is_(None)
        )
    operator = db.session.scalar(stmt)
    if operator is None:
        return None
    return Principal("operator", operator.id, operator.email, (PLATFORM_OPERATOR,), None, sign_in_id)


def open_operator_sign_in(operator_id, kind, user_agent=None):
    """Record a new sign-in of an operator; its id goes into the cookie or the access token."""
    sign_in = OperatorSignIn(
        id=new_session_id(), operator_id=operator_id, kind=kind, user_agent=(user_agent or "")[:200] or None
    )
    db.session.add(sign_in)
    db.session.commit()
    return sign_in.id


def close_operator_sign_in(sign_in_id):
    db.session.execute(
        sa.update(OperatorSignIn)
        .where(OperatorSignIn.id == sign_in_id, OperatorSignIn.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    db.session.commit()


register_principal_loader("operator", principal_for_operator)
