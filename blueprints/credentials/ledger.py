"""The organization's issuance log: an append-only hash chain of what was issued, revoked or re-issued.

Each entry's `payload` is canonical JSON (sorted keys, `(",", ":")` separators, UTF-8) of
`{"action", "subject_type", "subject_id", "data", "at"}` and its hash is `sha256(prev_hash + "\\n" + payload)`,
the first entry's `prev_hash` being 64 zeros. An entry edited or deleted by hand breaks the chain at that
entry (`audit()` names it); a deleted *last* entry shows against a head published before (`head()`, served
at `/credentials/log/head`). Appends serialize on a lock held until the caller's transaction ends.
"""

import hashlib
import json
from dataclasses import asdict, dataclass

import sqlalchemy as sa

from app.api.listing import ListSpec, run_list_query
from app.extensions import db
from app.tenancy.models import utcnow
from blueprints.credentials.locking import exclusive
from blueprints.credentials.models import LedgerEntry

GENESIS_HASH = "0" * 64
AUDIT_BATCH = 1000
ENTRY_LIST = ListSpec(
    filters={
        "seq": LedgerEntry.seq,
        "action": LedgerEntry.action,
        "subject_type": LedgerEntry.subject_type,
        "subject_id": LedgerEntry.subject_id,
        "actor_user_id": LedgerEntry.actor_user_id,
        "actor_api_key_id": LedgerEntry.actor_api_key_id,
        "created_at": LedgerEntry.created_at,
    },
    sorts={"seq": LedgerEntry.seq, "created_at": LedgerEntry.created_at},
    default_sort=("-seq",),
    fields=frozenset(
        {
            "seq",
            "action",
            "subject_type",
            "subject_id",
            "data",
            "prev_hash",
            "entry_hash",
            "actor_user_id",
            "actor_api_key_id",
            "created_at",
        }
    ),
    tiebreaker=LedgerEntry.seq,
)


@dataclass(frozen=True)
class AuditResult:
    ok: bool
    checked: int  # entries found good before the first broken one (all of them when ok)
    broken_seq: int | None = None
    reason: str | None = None

    def as_dict(self):
        return asdict(self)


def canonical_json(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(prev_hash, payload):
    return hashlib.sha256(f"{prev_hash}\n{payload}".encode()).hexdigest()


def _last_entry():
    return db.session.scalars(sa.select(LedgerEntry).order_by(LedgerEntry.seq.desc()).limit(1)).first()


def append(action, subject_type, subject_id, data, actor_user_id=None, actor_api_key_id=None):
    """Log `action` on a subject (e.g. "issued", "certificate", 12, {...}) in the caller's transaction, by the
    person or the API key that acted (neither: done by the system, e.g. on completion).

    The entry takes the next `seq`; a concurrent append waits until this transaction ends."""
    at = utcnow()
    with exclusive("ledger"):
        last = _last_entry()
        seq = last.seq + 1 if last else 1
        prev_hash = last.entry_hash if last else GENESIS_HASH
        payload = canonical_json(
            {
                "action": action,
                "subject_type": subject_type,
                "subject_id": subject_id,
                "data": data,
                "at": at.isoformat(timespec="microseconds") + "Z",
            }
        )
        entry = LedgerEntry(
            seq=seq,
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            payload=payload,
            prev_hash=prev_hash,
            entry_hash=entry_hash(prev_hash, payload),
            actor_user_id=actor_user_id,
            actor_api_key_id=actor_api_key_id,
            created_at=at,
        )
        db.session.add(entry)
        db.session.flush()
    return entry


def list_entries(query):
    """A page of the log (the list helper's filters, sorts and paging), newest first by default."""
    return run_list_query(db.session, sa.select(LedgerEntry), query, ENTRY_LIST)


def recent_entries(limit=10):
    return db.session.scalars(sa.select(LedgerEntry).order_by(LedgerEntry.seq.desc()).limit(limit)).all()


def logged_data(entry):
    """The `data` an entry logged (from its payload, what the hash covers); None when unreadable."""
    try:
        return json.loads(entry.payload).get("data")
    except (ValueError, AttributeError):
        return None


def head():
    """The last entry's `seq` and `hash` (0 and the genesis hash for an empty log)."""
    last = _last_entry()
    return {"seq": last.seq, "hash": last.entry_hash} if last else {"seq": 0, "hash": GENESIS_HASH}


def _problem(row, expected_seq, prev_hash):
    """Why `row`, expected at `expected_seq` after an entry hashed `prev_hash`, breaks the chain (None: it holds)."""
    if row.seq != expected_seq:
        return f"Entry {expected_seq} is missing: the log goes from entry {expected_seq - 1} to entry {row.seq}."
    if row.prev_hash != prev_hash:
        return f"Entry {row.seq} does not point to the entry before it: a previous entry was changed or removed."
    if entry_hash(row.prev_hash, row.payload) != row.entry_hash:
        return f"Entry {row.seq} was changed after it was written: its content does not match its hash."
    try:
        logged = json.loads(row.payload)
    except ValueError:
        return f"Entry {row.seq} holds unreadable content."
    columns = {"action": row.action, "subject_type": row.subject_type, "subject_id": row.subject_id}
    if not isinstance(logged, dict) or {name: logged.get(name) for name in columns} != columns:
        return f"Entry {row.seq} was changed after it was written: its columns differ from what it logged."
    return None


def audit():
    """Walk the whole chain: ok with the count checked, or the first broken entry's `seq` and why."""
    stmt = sa.select(
        LedgerEntry.seq,
        LedgerEntry.action,
        LedgerEntry.subject_type,
        LedgerEntry.subject_id,
        LedgerEntry.payload,
        LedgerEntry.prev_hash,
        LedgerEntry.entry_hash,
    ).order_by(LedgerEntry.seq)
    expected_seq, prev_hash, checked = 1, GENESIS_HASH, 0
    for row in db.session.execute(stmt.execution_options(yield_per=AUDIT_BATCH)):
        reason = _problem(row, expected_seq, prev_hash)
        if reason is not None:
            broken = expected_seq if row.seq != expected_seq else row.seq
            return AuditResult(ok=False, checked=checked, broken_seq=broken, reason=reason)
        expected_seq, prev_hash, checked = row.seq + 1, row.entry_hash, checked + 1
    return AuditResult(ok=True, checked=checked)
