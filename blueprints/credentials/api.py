"""`/api/v1/credentials`: the organization's signing keys (list, rotate) and its issuance log (list, audit),
for org admins. What verifiers need is public and outside the API (`public_views.py`)."""

import marshmallow as ma
from flask import request
from flask.views import MethodView

from app.api.blueprint import ApiBlueprint
from app.api.listing import list_parameters, page_response, parse_list_query
from app.api.types import Id, Integer, UtcDateTime
from app.security.actor import current_actor
from app.security.principal import requires
from blueprints.credentials import keys, ledger

blp = ApiBlueprint(
    "credentials",
    __name__,
    url_prefix="/api/v1/credentials",
    description="The organization's signing keys and issuance log (org admins).",
)
BEARER = [{"bearerAuth": []}]


class SigningKeySchema(ma.Schema):
    kid = ma.fields.String(metadata={"description": "the key's id in the JWKS: its RFC 7638 thumbprint"})
    algorithm = ma.fields.String(metadata={"example": "RS256"})
    active = ma.fields.Function(
        lambda key: key.retired_at is None, metadata={"description": "signs new credentials"}, dump_only=True
    )
    created_at = UtcDateTime()
    retired_at = UtcDateTime(allow_none=True, metadata={"description": "signs no more since; still published"})
    created_by_id = Id(allow_none=True, metadata={"description": "who rotated to it (null: made on first use)"})
    public_jwk = ma.fields.Dict(metadata={"description": "the public key as published at /.well-known/jwks.json"})


class LedgerEntrySchema(ma.Schema):
    seq = Integer(metadata={"description": "1, 2, 3 ... without gaps"})
    action = ma.fields.String(metadata={"example": "issued"})
    subject_type = ma.fields.String(metadata={"example": "certificate"})
    subject_id = Integer()
    data = ma.fields.Function(
        ledger.logged_data,
        dump_only=True,
        metadata={"description": "what was logged, with its personal data (holder_name) while it is kept"},
    )
    personal_data = ma.fields.Function(
        ledger.personal_state,
        dump_only=True,
        metadata={
            "description": "none; kept (outside the chain, committed to by the payload's `personal` hash); erased "
            "(the holder's data was erased at their request: only the commitment is left); chained (an entry "
            "written before personal data left the chain: the name, or a revocation's reason, is in the hashed "
            "payload, kept by design)",
            "enum": [ledger.NO_PERSONAL_DATA, ledger.PERSONAL_KEPT, ledger.PERSONAL_ERASED, ledger.PERSONAL_CHAINED],
        },
    )
    prev_hash = ma.fields.String(metadata={"description": "the entry before's hash (64 zeros for the first)"})
    entry_hash = ma.fields.String(
        metadata={
            "description": "sha256(prev_hash + newline + canonical payload); the payload holds no personal data, "
            "only `personal`: sha256(32-byte salt + canonical JSON of it)"
        }
    )
    actor_user_id = Integer(allow_none=True, metadata={"description": "the person who acted"})
    actor_api_key_id = Integer(allow_none=True, metadata={"description": "the API key that acted"})
    created_at = UtcDateTime()


class LogHeadSchema(ma.Schema):
    seq = Integer()
    hash = ma.fields.String()


class AuditSchema(ma.Schema):
    ok = ma.fields.Boolean(metadata={"description": "every entry chains to the one before it"})
    checked = Integer(metadata={"description": "entries found good (before the first broken one)"})
    broken_seq = Integer(allow_none=True, metadata={"description": "the first entry that breaks the chain"})
    reason = ma.fields.String(allow_none=True)
    head = ma.fields.Nested(LogHeadSchema)


@blp.route("/keys")
class SigningKeys(MethodView):
    @requires(keys.MANAGE_PERMISSION)
    @blp.doc(parameters=list_parameters(keys.KEY_LIST), security=BEARER)
    @blp.response(200, SigningKeySchema(many=True))
    def get(self):
        """The organization's signing keys, newest first: the active one and those retired by rotations."""
        query = parse_list_query(request.args, keys.KEY_LIST)
        return page_response(keys.list_keys(query), query)


@blp.route("/keys/rotate")
class SigningKeyRotation(MethodView):
    @requires(keys.MANAGE_PERMISSION)
    @blp.doc(security=BEARER)
    @blp.response(201, SigningKeySchema)
    def post(self):
        """Make a new signing key: new credentials are signed with it; the old keys stay published, so that
        everything signed before keeps verifying."""
        return keys.rotate_key(current_actor)


@blp.route("/log")
class LedgerEntries(MethodView):
    @requires(keys.MANAGE_PERMISSION)
    @blp.doc(parameters=list_parameters(ledger.ENTRY_LIST), security=BEARER)
    @blp.response(200, LedgerEntrySchema(many=True))
    def get(self):
        """The issuance log, newest first (filter on action, subject_type, subject_id, seq, created_at)."""
        query = parse_list_query(request.args, ledger.ENTRY_LIST)
        return page_response(ledger.list_entries(query), query)


@blp.route("/log/audit")
class LedgerAudit(MethodView):
    @requires(keys.MANAGE_PERMISSION)
    @blp.doc(security=BEARER)
    @blp.response(200, AuditSchema)
    def get(self):
        """Check the whole log's hash chain: ok, or the first entry edited or removed and why."""
        return {**ledger.audit().as_dict(), "head": ledger.head()}
