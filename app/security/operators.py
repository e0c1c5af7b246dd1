"""Platform operator accounts (control plane)."""

import sqlalchemy as sa

from app.errors import Conflict
from app.extensions import db
from app.security.models import PlatformOperator
from app.security.passwords import hash_password, verify_password
from app.security.permissions import PLATFORM_OPERATOR
from app.security.principal import Principal, register_principal_loader


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


def principal_for_operator(operator_id):
    operator = db.session.get(PlatformOperator, operator_id)
    if operator is None or not operator.is_active:
        return None
    return Principal("operator", operator.id, operator.email, (PLATFORM_OPERATOR,), None)


register_principal_loader("operator", principal_for_operator)
