"""The issuance log keeps personal data out of its hash chain: an entry commits to the holder's name with a
salted hash, the name lives outside the chain, and erasing it leaves every hash and published head as it was.
Entries written before the scheme keep the name in their chained payload and are counted, not rewritten."""

import hashlib
import html
import json

import sqlalchemy as sa

from app.extensions import db
from app.tenancy.context import tenant_context
from blueprints.credentials import ledger
from blueprints.credentials.models import LedgerEntry, LedgerPersonalData
from tests.conftest import make_user
from tests.support.browser import Browser
from tests.support.credentials import run_sql

NAME = "Zoë Ünal"


def _issue(app, tenant, subject_id, person_id=42, name=NAME):
    with tenant_context(tenant, app):
        entry = ledger.append(
            "issued",
            "certificate",
            subject_id,
            {"code": f"CODE-{subject_id}", "user_id": person_id},
            personal={"holder_name": name},
            person_id=person_id,
        )
        db.session.commit()
        return entry.seq


def _entries(admin, **filters):
    query = "&".join(f"filter[{name}]={value}" for name, value in filters.items())
    response = admin.get(f"/api/v1/credentials/log?{query}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()["data"]


def test_the_name_is_committed_to_not_chained_and_erasing_it_keeps_the_chain_and_head(app, api, tenant, login_as):
    _issue(app, tenant, 1)
    _issue(app, tenant, 2, person_id=43, name="Someone Else")
    with tenant_context(tenant, app):
        ledger.append("superseded", "certificate", 1, {"code": "CODE-1", "superseded_by": "CODE-2"})
        db.session.commit()
        row = db.session.scalars(sa.select(LedgerEntry).where(LedgerEntry.seq == 1)).one()
        kept = db.session.get(LedgerPersonalData, row.id)
        published = ledger.head()
    assert NAME not in row.payload and "Zoë" not in row.payload  # the chained bytes hold no name ...
    salt = bytes.fromhex(kept.salt)
    assert len(salt) == 32  # ... only its salted commitment
    commitment = hashlib.sha256(
        salt + json.dumps({"holder_name": NAME}, separators=(",", ":"), ensure_ascii=False).encode()
    ).hexdigest()
    assert json.loads(row.payload)["personal"] == commitment
    admin = api(tenant, login_as(tenant, "org_admin"))
    listed = _entries(admin, seq=1)[0]
    assert (listed["data"]["holder_name"], listed["personal_data"]) == (NAME, "kept")
    assert admin.get("/api/v1/credentials/log/audit").get_json()["data"]["ok"] is True

    with tenant_context(tenant, app):
        assert ledger.erase_personal_data(42) == 1
        db.session.commit()
        assert ledger.head() == published  # the head verifiers hold is still the log's head
    audited = admin.get("/api/v1/credentials/log/audit").get_json()["data"]
    assert (audited["ok"], audited["checked"], audited["head"]) == (True, 3, published)
    erased = _entries(admin, seq=1)[0]
    assert erased["personal_data"] == "erased" and "holder_name" not in erased["data"]
    assert erased["data"]["code"] == "CODE-1"
    assert NAME not in json.dumps(admin.get("/api/v1/credentials/log").get_json())
    other = _entries(admin, seq=2)[0]
    assert (other["data"]["holder_name"], other["personal_data"]) == ("Someone Else", "kept")
    assert _entries(admin, seq=3)[0]["personal_data"] == "none"
    make_user(app, tenant, "org_admin", email="boss@example.org")
    browser = Browser(app, tenant)
    browser.sign_in("boss@example.org")
    page = browser.get("/settings/credentials")  # the page shows the erased entry as such
    assert page.status_code == 200 and "holder's data erased at their request" in html.unescape(
        page.get_data(as_text=True)
    )


def test_personal_data_changed_or_added_by_hand_is_named_by_the_audit(app, tenant):
    for n in (1, 2, 3):
        _issue(app, tenant, n)
    run_sql(app, tenant, "UPDATE ledger_personal_data SET data = replace(data, 'Zoë', 'Zoe')")
    with tenant_context(tenant, app):
        result = ledger.audit()
    assert (result.ok, result.broken_seq) == (False, 1) and "commitment" in result.reason

    run_sql(app, tenant, "DELETE FROM ledger_personal_data")  # erased: every commitment alone is fine
    with tenant_context(tenant, app):
        ledger.append("revoked", "certificate", 1, {"code": "CODE-1"})
        db.session.commit()
        entry_id = db.session.scalar(sa.select(LedgerEntry.id).where(LedgerEntry.seq == 4))
        assert ledger.audit() == ledger.AuditResult(ok=True, checked=4)
    run_sql(
        app,
        tenant,
        "INSERT INTO ledger_personal_data (entry_id, user_id, salt, data) VALUES (:e, 42, :s, :d)",
        e=entry_id,
        s="ab" * 32,
        d='{"holder_name":"Made Up"}',
    )
    with tenant_context(tenant, app):
        result = ledger.audit()
    assert (result.ok, result.broken_seq) == (False, 4) and "never committed to" in result.reason


def test_entries_from_before_the_scheme_keep_their_name_and_are_counted(app, api, tenant, login_as):
    with tenant_context(tenant, app):  # what issuance wrote until now: the name inside the chained data
        ledger.append("issued", "certificate", 7, {"code": "OLD-7", "user_id": 42, "holder_name": NAME})
        db.session.commit()
    _issue(app, tenant, 8)
    with tenant_context(tenant, app):
        assert ledger.entries_naming({"certificate": [7, 8]}) == 1
        ledger.erase_personal_data(42)
        db.session.commit()
        assert ledger.audit().ok
    admin = api(tenant, login_as(tenant, "org_admin"))
    old = _entries(admin, seq=1)[0]
    assert (old["personal_data"], old["data"]["holder_name"]) == ("chained", NAME)
    assert _entries(admin, seq=2)[0]["personal_data"] == "erased"
