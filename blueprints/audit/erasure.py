"""`pseudonymise_person(...)`: the one change ever made to audit entries (part privacy, docs/operations.md).

Erasing a person (GDPR art. 17) keeps what happened and who did it, as a pseudonym: the entries where the
person acted or was acted on keep their action, time and ids, and their labels and details name "Erased person
#<n>" instead of the name or address. The mapper refuses per-row changes to entries on purpose; this goes
around it with Core UPDATE statements (no ORM flush, no `before_update`), in the erasure's transaction.
"""

import sqlalchemy as sa

from app.extensions import db
from blueprints.audit.models import AuditEvent

entries = AuditEvent.__table__


def _scrubbed(value, labels, pseudonym):
    """`value` (details: dicts, lists, strings) with every occurrence of one of `labels` replaced by `pseudonym`."""
    if isinstance(value, str):
        for label in labels:
            value = value.replace(label, pseudonym)
        return value
    if isinstance(value, dict):
        return {key: _scrubbed(item, labels, pseudonym) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrubbed(item, labels, pseudonym) for item in value]
    return value


def pseudonymise_person(user_id, pseudonym, labels):
    """Relabel the person's entries: as actor, as target, as subject, and any label equal to one of `labels`
    (their old e-mail addresses and names, e.g. a failed sign-in's typed address); details are scrubbed of
    `labels` too. Returns how many entries changed. The caller commits."""
    labels = sorted({label for label in labels if label}, key=len, reverse=True)  # "Ann Lee" before "Ann"
    as_actor = sa.and_(entries.c.actor_kind == "user", entries.c.actor_id == user_id)
    as_target = sa.and_(entries.c.target_type == "user", entries.c.target_id == str(user_id))
    about = sa.or_(entries.c.subject_user_id == user_id, as_target)
    changed = 0
    changed += db.session.execute(
        sa.update(entries).where(sa.or_(as_actor, entries.c.actor_label.in_(labels))).values(actor_label=pseudonym)
    ).rowcount
    changed += db.session.execute(
        sa.update(entries).where(sa.or_(about, entries.c.target_label.in_(labels))).values(target_label=pseudonym)
    ).rowcount
    # Details are JSON: scrubbed here, written back in one executemany UPDATE (no per-row ORM change).
    rows = db.session.execute(
        sa.select(entries.c.id, entries.c.details).where(sa.or_(as_actor, about, entries.c.actor_label == pseudonym))
    ).all()
    rewritten = [
        {"entry_id": row.id, "new_details": scrubbed}
        for row in rows
        if (scrubbed := _scrubbed(row.details or {}, labels, pseudonym)) != (row.details or {})
    ]
    if rewritten:
        db.session.execute(
            sa.update(entries)
            .where(entries.c.id == sa.bindparam("entry_id"))
            .values(details=sa.bindparam("new_details")),
            rewritten,
        )
    return changed + len(rewritten)
