"""Platform operator accounts (control plane); their sign-ins and sign-outs are in the platform's audit trail."""

import sqlalchemy as sa

from app.audit.entries import AuditOutcome
from app.audit.platform import as_operator, record_platform
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


def record_refused_sign_in(email, via, reason=None, code=None):
    """One committed `operator.sign_in_failed` entry (the request fails, the entry stays): why (wrong_password,
    unknown_account, inactive, locked_out) and the address as typed; the account, when there is one, is its
    target."""
    typed = (email or "").strip()
    operator = find_operator(typed) if typed else None
    if reason is None:
        reason = "unknown_account" if operator is None else "inactive" if not operator.is_active else "wrong_password"
    record_platform(
        "operator.sign_in_failed",
        outcome=AuditOutcome.FAILURE,
        target_type="operator",
        target_id=None if operator is None else operator.id,
        target_label=typed,
        details={"reason": reason, "via": via} | ({"code": code} if code else {}),
        actor=as_operator(operator) if operator is not None else None,
        commit=True,
    )


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
    operator = db.session.get(PlatformOperator, operator_id)
    _record_own("operator.signed_in", operator, kind)
    db.session.commit()
    return sign_in.id


def _record_own(action, operator, via):
    record_platform(
        action,
        target_type="operator",
        target_id=operator.id,
        target_label=operator.email,
        details={"via": via},
        actor=as_operator(operator),
    )


def close_operator_sign_in(sign_in_id):
    """Sign out; recorded once (an already ended sign-in is not recorded again)."""
    closed = db.session.execute(
        sa.update(OperatorSignIn)
        .where(OperatorSignIn.id == sign_in_id, OperatorSignIn.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .returning(OperatorSignIn.operator_id, OperatorSignIn.kind)
    ).first()
    if closed is not None:
        _record_own("operator.signed_out", db.session.get(PlatformOperator, closed.operator_id), closed.kind)
    db.session.commit()


register_principal_loader("operator", principal_for_operator)
