"""The organization's issuance log: an append-only hash chain of what was issued, revoked or re-issued.

Each entry's `payload` is canonical JSON (sorted keys, `(",", ":")` separators, UTF-8) of
`{"action", "subject_type", "subject_id", "data", "at"}` and its hash is `sha256(prev_hash + "\\n" + payload)`,
the first entry's `prev_hash` being 64 zeros. An entry edited or deleted by hand breaks the chain at that
entry (`audit()` names it); a deleted *last* entry shows against a head published before (`head()`, served
at `/credentials/log/head`). Appends serialize on a lock held until the caller's transaction ends.

Personal data (the holder's name as issued) is redactable: it is not in the payload. The payload carries
`"personal": sha256(salt + canonical JSON of the data)` (salt: 32 random bytes) and the salt and data live in
`ledger_personal_data`, outside the chain. The audit recomputes the commitment while the data is there and
accepts the commitment alone once an erasure deleted it (`erase_personal_data`); the chain and every head stay
the same. Entries written before this scheme (no `personal` key) hold the name in their payload and keep it:
rewriting them would break every later hash (`entries_naming`, docs/decisions.md).
"""

import hashlib
import json
import secrets
from dataclasses import asdict, dataclass

import sqlalchemy as sa

from app.api.listing import ListSpec, run_list_query
from app.extensions import db
from app.tenancy.models import utcnow
from blueprints.credentials.locking import exclusive
from blueprints.credentials.models import LedgerEntry, LedgerPersonalData

GENESIS_HASH = "0" * 64
SALT_BYTES = 32
# What an entry says of its personal data: none logged, kept (outside the chain), erased (only the commitment
# is left), or chained (written before the commitment scheme: inside the payload, kept by design).
NO_PERSONAL_DATA, PERSONAL_KEPT, PERSONAL_ERASED, PERSONAL_CHAINED = "none", "kept", "erased", "chained"
# What entries before the scheme logged about a person: the holder's name, and a revocation's reason (free text a
# manager wrote about them, logged as personal data since session 14).
LEGACY_PERSONAL_KEYS = ("holder_name", "reason")
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
            "personal_data",
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


def personal_commitment(salt_hex, data_json):
    """sha256 over the salt's 32 bytes followed by the canonical JSON's UTF-8 bytes, hex."""
    return hashlib.sha256(bytes.fromhex(salt_hex) + data_json.encode()).hexdigest()


def _last_entry():
    return db.session.scalars(sa.select(LedgerEntry).order_by(LedgerEntry.seq.desc()).limit(1)).first()


def append(
    action, subject_type, subject_id, data, actor_user_id=None, actor_api_key_id=None, personal=None, person_id=None
):
    """Log `action` on a subject (e.g. "issued", "certificate", 12, {...}) in the caller's transaction, by the
    person or the API key that acted (neither: done by the system, e.g. on completion).

    `personal`: what the entry says about person `person_id` (e.g. {"holder_name": ...}), committed to in the
    chain and kept outside it, so that erasing that person can delete it. Never put a name in `data`.

    The entry takes the next `seq`; a concurrent append waits until this transaction ends."""
    at = utcnow()
    logged = {
        "action": action,
        "subject_type": subject_type,
        "subject_id": subject_id,
        "data": data,
        "at": at.isoformat(timespec="microseconds") + "Z",
    }
    if personal:
        if person_id is None:
            raise ValueError("personal data needs the person it is about (person_id)")
        salt, personal_json = secrets.token_hex(SALT_BYTES), canonical_json(personal)
        logged["personal"] = personal_commitment(salt, personal_json)
    with exclusive("ledger"):
        last = _last_entry()
        seq = last.seq + 1 if last else 1
        prev_hash = last.entry_hash if last else GENESIS_HASH
        payload = canonical_json(logged)
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
        if personal:
            db.session.add(LedgerPersonalData(entry_id=entry.id, user_id=person_id, salt=salt, data=personal_json))
            db.session.flush()
    return entry


def erase_personal_data(user_id):
    """Delete the personal data of every entry about this person (salt and data): their entries keep only the
    commitment, and the chain its hashes. In the caller's transaction; returns how many entries lost theirs."""
    return db.session.execute(sa.delete(LedgerPersonalData).where(LedgerPersonalData.user_id == user_id)).rowcount


def entries_naming(subject_ids_by_type):
    """How many entries written before the commitment scheme hold personal data in their chained payload, among
    those of these subjects ({"certificate": [ids], ...}): what an erasure has to leave (module docstring)."""
    count = 0
    for subject_type, ids in subject_ids_by_type.items():
        if not ids:
            continue
        rows = db.session.scalars(
            sa.select(LedgerEntry.payload).where(
                LedgerEntry.subject_type == subject_type, LedgerEntry.subject_id.in_(ids)
            )
        )
        count += sum(1 for payload in rows if _personal_state(payload, None) == PERSONAL_CHAINED)
    return count


def list_entries(query):
    """A page of the log (the list helper's filters, sorts and paging), newest first by default."""
    return run_list_query(db.session, sa.select(LedgerEntry), query, ENTRY_LIST)


def recent_entries(limit=10):
    return db.session.scalars(sa.select(LedgerEntry).order_by(LedgerEntry.seq.desc()).limit(limit)).all()


def _logged(payload):
    try:
        logged = json.loads(payload)
    except (TypeError, ValueError):
        return None
    return logged if isinstance(logged, dict) else None


def _personal_state(payload, kept):
    logged = _logged(payload) or {}
    if "personal" in logged:
        return PERSONAL_KEPT if kept is not None else PERSONAL_ERASED
    data = logged.get("data")
    if isinstance(data, dict) and any(data.get(key) for key in LEGACY_PERSONAL_KEYS):
        return PERSONAL_CHAINED
    return NO_PERSONAL_DATA


def logged_data(entry):
    """The `data` an entry logged (from its payload, what the hash covers) with its personal data while it is
    kept; None when unreadable. An erased holder's entry has no `holder_name` (see `personal_state`)."""
    data = (_logged(entry.payload) or {}).get("data")
    personal = _logged(entry.personal_data.data) if entry.personal_data is not None else None
    if isinstance(data, dict) and personal is not None:
        return {**data, **personal}
    return data


def personal_state(entry):
    """none, kept, erased or chained (the module's constants): what became of the entry's personal data."""
    return _personal_state(entry.payload, entry.personal_data)


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
    return _personal_problem(row, logged)


def _personal_problem(row, logged):
    """Why the kept personal data of `row` is not what it committed to (None: it is, or it was erased)."""
    if row.salt is None:  # none kept: nothing to check (an erased entry keeps its commitment alone)
        return None
    if "personal" not in logged:
        return f"Entry {row.seq} has personal data it never committed to: it was added after it was written."
    try:
        matches = personal_commitment(row.salt, row.personal) == logged["personal"]
    except ValueError:  # a salt that is not hex any more
        matches = False
    if not matches:
        return f"Entry {row.seq}'s personal data was changed after it was written: it does not match its commitment."
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
        LedgerPersonalData.salt,
        LedgerPersonalData.data.label("personal"),
    )
    stmt = stmt.outerjoin(LedgerPersonalData, LedgerPersonalData.entry_id == LedgerEntry.id).order_by(LedgerEntry.seq)
    expected_seq, prev_hash, checked = 1, GENESIS_HASH, 0
    for row in db.session.execute(stmt.execution_options(yield_per=AUDIT_BATCH)):
        reason = _problem(row, expected_seq, prev_hash)
        if reason is not None:
            broken = expected_seq if row.seq != expected_seq else row.seq
            return AuditResult(ok=False, checked=checked, broken_seq=broken, reason=reason)
        expected_seq, prev_hash, checked = row.seq + 1, row.entry_hash, checked + 1
    return AuditResult(ok=True, checked=checked)
