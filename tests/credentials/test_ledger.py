"""The issuance log: a hash chain whose audit names the first entry edited or removed by hand, and whose
appends stay numbered 1..N with a valid chain when made at the same time."""

import hashlib
import json

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.tenancy.context import tenant_context
from blueprints.credentials import ledger
from blueprints.credentials.models import LedgerEntry
from tests.support.credentials import in_threads, run_sql


def _log(app, tenant, count):
    with tenant_context(tenant, app):
        for n in range(1, count + 1):
            ledger.append("issued", "certificate", n, {"code": f"CODE-{n}", "name": "Zoë Ünal"}, actor_user_id=7)
        db.session.commit()


def _audit(app, tenant):
    with tenant_context(tenant, app):
        return ledger.audit()


def test_entries_chain_by_hash_of_canonical_json(app, tenant):
    with tenant_context(tenant, app):
        assert ledger.head() == {"seq": 0, "hash": "0" * 64}
        assert ledger.audit() == ledger.AuditResult(ok=True, checked=0)
    _log(app, tenant, 3)
    with tenant_context(tenant, app):
        rows = db.session.scalars(sa.select(LedgerEntry).order_by(LedgerEntry.seq)).all()
        head = ledger.head()
    assert [row.seq for row in rows] == [1, 2, 3]
    previous = "0" * 64
    for row in rows:
        logged = json.loads(row.payload)
        assert row.payload == json.dumps(logged, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert set(logged) == {"action", "subject_type", "subject_id", "data", "at"}
        assert logged["data"]["name"] == "Zoë Ünal" and row.actor_user_id == 7
        assert row.prev_hash == previous
        assert row.entry_hash == hashlib.sha256(f"{previous}\n{row.payload}".encode()).hexdigest()
        previous = row.entry_hash
    assert head == {"seq": 3, "hash": previous}
    assert _audit(app, tenant) == ledger.AuditResult(ok=True, checked=3)


def test_an_append_rolled_back_with_its_transaction_leaves_no_gap(app, tenant):
    _log(app, tenant, 1)
    with tenant_context(tenant, app):
        ledger.append("revoked", "certificate", 1, {})
        db.session.rollback()
        assert ledger.append("revoked", "certificate", 1, {"reason": "Mistake"}).seq == 2
        db.session.commit()
    assert _audit(app, tenant).ok


@pytest.mark.parametrize(
    ("tampering", "reason"),
    [
        ("UPDATE ledger_entries SET payload = replace(payload, 'CODE-3', 'CODE-9') WHERE seq = 3", "content"),
        ("UPDATE ledger_entries SET entry_hash = :forged WHERE seq = 3", "content"),
        ("UPDATE ledger_entries SET action = 'revoked' WHERE seq = 3", "columns"),
        ("UPDATE ledger_entries SET subject_id = 99 WHERE seq = 3", "columns"),
        ("DELETE FROM ledger_entries WHERE seq = 3", "missing"),
    ],
    ids=["payload", "hash", "action", "subject", "deleted"],
)
def test_an_entry_changed_by_hand_is_named_by_the_audit(app, tenant, tampering, reason):
    _log(app, tenant, 5)
    run_sql(app, tenant, tampering, forged="f" * 64)
    result = _audit(app, tenant)
    assert (result.ok, result.broken_seq, result.checked) == (False, 3, 2)
    assert reason in result.reason and "3" in result.reason


def test_an_entry_rewritten_with_a_fresh_hash_breaks_the_next_link(app, tenant):
    """Whoever recomputes the edited entry's own hash still breaks the entry after it."""
    _log(app, tenant, 5)
    with tenant_context(tenant, app):
        row = db.session.scalars(sa.select(LedgerEntry).where(LedgerEntry.seq == 3)).one()
        payload = row.payload.replace("CODE-3", "CODE-9")
        forged = ledger.entry_hash(row.prev_hash, payload)
    run_sql(app, tenant, "UPDATE ledger_entries SET payload = :p, entry_hash = :h WHERE seq = 3", p=payload, h=forged)
    result = _audit(app, tenant)
    assert (result.ok, result.broken_seq) == (False, 4)
    assert "does not point to the entry before it" in result.reason


def test_a_deleted_last_entry_shows_against_the_published_head(app, tenant):
    _log(app, tenant, 3)
    with tenant_context(tenant, app):
        published = ledger.head()
    run_sql(app, tenant, "DELETE FROM ledger_entries WHERE seq = 3")
    with tenant_context(tenant, app):
        assert ledger.audit().ok  # the chain itself holds ...
        assert ledger.head() != published  # ... but no longer reaches the head published before


def test_concurrent_appends_serialize(app, tenant):
    per_thread, threads = 10, 4

    def append_some(n):
        for i in range(per_thread):
            ledger.append("awarded", "badge_award", n * 100 + i, {"thread": n})
            db.session.commit()

    in_threads(app, tenant, append_some, threads)
    with tenant_context(tenant, app):
        seqs = db.session.scalars(sa.select(LedgerEntry.seq).order_by(LedgerEntry.seq)).all()
        assert ledger.head()["seq"] == per_thread * threads
    assert seqs == list(range(1, per_thread * threads + 1))
    assert _audit(app, tenant) == ledger.AuditResult(ok=True, checked=per_thread * threads)
