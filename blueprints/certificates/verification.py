"""Is this certificate genuine and current? The answer the public verification page and API give.

`verify_code(code)` answers valid / revoked / expired / superseded / unknown, with the issuer, the head of
the organization's issuance log, and what the holder made public: their name, the course and the dates when
they chose to share it, nothing of that when they did not, and never an e-mail address (docs/credentials.md).

A certificate's facts are cached in Redis per organization and code (`CACHE_SECONDS`); the status is worked
out from them on each read (so that one expires on time) and the log head is read fresh (one indexed query).
Whatever changes a certificate's facts (revoke, re-issue, share) calls `forget_after_commit(code)`.
"""

import json
import logging
import re
from datetime import UTC, datetime

import sqlalchemy as sa
from flask import after_this_request, current_app
from redis.exceptions import RedisError, WatchError

from app.api.types import as_utc
from app.errors import NotFound
from app.extensions import db
from app.jobs import redis_connection
from app.security.rate_limits import client_address, limiter
from app.tenancy.context import get_current_tenant, require_tenant
from blueprints.certificates.models import Certificate
from blueprints.credentials import ledger, signing
from blueprints.home.services import logo_version, organization_name
from blueprints.privacy.queries import is_erased

CACHE_SECONDS = 600  # a user deleted (and their certificates with them) is forgotten after this at the latest
MAX_CODE_CHARACTERS = 32  # a code is 12 letters and digits; anything much longer is nobody's
GROUP = 4  # codes are shown in groups of four: 7KQ2-M9XD-4TPA

VALID, REVOKED, EXPIRED, SUPERSEDED, UNKNOWN = "valid", "revoked", "expired", "superseded", "unknown"
STATUSES = (VALID, REVOKED, EXPIRED, SUPERSEDED, UNKNOWN)
log = logging.getLogger(__name__)


def verification_limit():
    return current_app.config["RATELIMIT_VERIFY"]


def _per_address():
    return f"verify:{client_address()}"


# The page and the API share one budget per address (an IPv6 /64 counts as one), whoever is signed in.
limit_verifications = limiter.shared_limit(verification_limit, "certificate-verify", key=_per_address)


def require_organization():
    """Verification happens on an organization's address; the platform's has no certificates."""
    if get_current_tenant() is None:
        raise NotFound("Certificates are verified on their organization's address.")


def never_cached(*, robots=False):
    """This answer may be kept by no shared cache without asking again (`no-cache`): a CDN or a proxy in front of
    the site would otherwise repeat "valid" after a revocation. `robots`: no search engine indexes it (JSON)."""

    @after_this_request
    def revalidate(response):
        response.headers["Cache-Control"] = "no-cache"
        if robots:
            response.headers["X-Robots-Tag"] = "noindex"
        return response


def normalized_code(code):
    """The code's letters and digits in capitals: `7kq2 m9xd-4tpa` is `7KQ2M9XD4TPA`."""
    return re.sub(r"[^0-9A-Z]", "", (code or "").upper())


def display_code(code):
    """The code as printed, in groups of four (`7KQ2-M9XD-4TPA`)."""
    plain = normalized_code(code)
    return "-".join(plain[start : start + GROUP] for start in range(0, len(plain), GROUP))


def _cache_key(plain_code):
    return f"{current_app.config['RQ_QUEUE']}-verify:{require_tenant().slug}:{plain_code}"


def _iso(value):
    return as_utc(value).isoformat().replace("+00:00", "Z") if value else None


def _when(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def _facts_from_database(plain_code):
    """What the certificate's row says (None: no such code), as JSON-ready values."""
    candidates = {plain_code, display_code(plain_code)}
    certificate = db.session.scalar(sa.select(Certificate).where(Certificate.code.in_(candidates)))
    if certificate is None:
        return None
    superseded_by = (
        db.session.scalar(sa.select(Certificate.code).where(Certificate.id == certificate.superseded_by_id))
        if certificate.superseded_by_id
        else None
    )
    return {
        "id": certificate.id,
        "code": certificate.code,
        "is_public": certificate.is_public,
        "holder_name": certificate.holder_name,
        # erased at their request (part privacy): the page says so instead of a name, public or not
        "holder_erased": is_erased(certificate.user_id),
        "course_title": certificate.course_title,
        "completed_at": _iso(certificate.completed_at),
        "issued_at": _iso(certificate.issued_at),
        "expires_at": _iso(certificate.expires_at),
        "revoked_at": _iso(certificate.revoked_at),
        "revocation_reason": certificate.revocation_reason,
        "superseded_at": _iso(certificate.superseded_at),
        "superseded_by": superseded_by,
    }


def _changed_key(plain_code):
    return f"{_cache_key(plain_code)}:changed"


def _facts(plain_code):
    """The certificate's facts, from the cache when there; a code nobody holds is not cached (it may be
    issued next minute). Redis down: the database answers, the page does not fail.

    A miss watches the code's `changed` key while it reads the row: a change committed meanwhile (`forget`
    writes that key) voids the store, so an answer read before a revocation is never kept after it."""
    key = _cache_key(plain_code)
    try:
        cached = redis_connection().get(key)
    except RedisError:
        log.warning("Verification cache unavailable; reading the database", exc_info=True)
        return _facts_from_database(plain_code)
    if cached is not None:
        return json.loads(cached)
    facts = None
    try:
        with redis_connection().pipeline() as pipeline:
            pipeline.watch(_changed_key(plain_code))
            facts = _facts_from_database(plain_code)
            if facts is not None:
                pipeline.multi()
                pipeline.set(key, json.dumps(facts), ex=CACHE_SECONDS)
                pipeline.execute()
    except WatchError:
        pass  # changed while it was read: this answer stands, nothing is kept
    except RedisError:
        log.warning("Verification cache unavailable; not kept", exc_info=True)
        if facts is None:
            facts = _facts_from_database(plain_code)
    return facts


def forget(*codes):
    """Drop these certificates' cached facts (after the commit that changed them), and mark them changed so
    that a reader who read the row before the commit does not store it after."""
    plain_codes = [normalized_code(code) for code in codes if code]
    if not plain_codes:
        return
    try:
        with redis_connection().pipeline() as pipeline:
            for plain_code in plain_codes:
                pipeline.set(_changed_key(plain_code), 1, ex=CACHE_SECONDS)
            pipeline.delete(*[_cache_key(plain_code) for plain_code in plain_codes])
            pipeline.execute()
    except RedisError:  # the entry expires after CACHE_SECONDS; a stale answer until then is logged loudly
        log.error("Could not drop cached verification of %s", ", ".join(codes), exc_info=True)


def forget_after_commit(*codes):
    """Drop these certificates' cached facts once the session's transaction commits (a reader before the
    commit would otherwise cache the old facts again)."""
    sa.event.listen(db.session(), "after_commit", lambda _session: forget(*codes), once=True)


def status_of(facts, now=None):
    """valid, revoked, expired or superseded: revocation first, then a re-issue, then the expiry date."""
    now = now or datetime.now(UTC)
    if facts["revoked_at"]:
        return REVOKED
    if facts["superseded_at"]:
        return SUPERSEDED
    expires_at = _when(facts["expires_at"])
    if expires_at is not None and expires_at <= now:
        return EXPIRED
    return VALID


def issuer():
    """Who issued it: the organization's name and logo, its issuer profile and its published keys."""
    tenant = require_tenant()
    has_logo = bool((tenant.settings or {}).get("logo"))
    return {
        "name": organization_name(tenant),
        "url": signing.absolute_url("/"),
        "logo_url": signing.absolute_url(f"/branding/logo?v={logo_version(tenant)}") if has_logo else None,
        "profile_url": signing.issuer_id(),
        "jwks_url": signing.absolute_url("/.well-known/jwks.json"),
        "verifier_url": signing.absolute_url("/credentials/verifier.py"),
    }


def verify_code(code):
    """The verification of a certificate code (any case, with or without dashes and spaces)."""
    plain = normalized_code(code)
    facts = _facts(plain) if 0 < len(plain) <= MAX_CODE_CHARACTERS else None
    answer = {
        "code": facts["code"] if facts else display_code(plain)[:40],
        "status": UNKNOWN,
        "checked_at": datetime.now(UTC),
        "issuer": issuer(),
        "log_head": ledger.head(),
        "public": False,
        "certificate_id": None,
        "revoked_at": None,
        "revocation_reason": None,
        "expires_at": None,
        "superseded_at": None,
        "superseded_by": None,
        "holder_name": None,
        "holder_erased": False,
        "course_title": None,
        "completed_at": None,
        "issued_at": None,
    }
    if facts is None:
        return answer
    answer.update(
        status=status_of(facts, answer["checked_at"]),
        certificate_id=facts["id"],
        revoked_at=_when(facts["revoked_at"]),
        revocation_reason=facts["revocation_reason"],
        expires_at=_when(facts["expires_at"]),
        superseded_at=_when(facts["superseded_at"]),
        superseded_by=facts["superseded_by"],
        public=facts["is_public"],
        holder_erased=facts.get("holder_erased", False),
    )
    if facts["is_public"]:
        answer.update(
            holder_name=None if answer["holder_erased"] else facts["holder_name"],
            course_title=facts["course_title"],
            completed_at=_when(facts["completed_at"]),
            issued_at=_when(facts["issued_at"]),
        )
    return answer


def verify_certificate(certificate_id):
    """The verification of a certificate by its id (the API's `/certificates/{id}/verify`). Ids are a counter
    anyone can walk, so by id only a public certificate answers; a private one answers as an unknown id does (its
    code, status and revocation reason are for whoever the holder gave the code to)."""
    code = db.session.scalar(
        sa.select(Certificate.code).where(Certificate.id == certificate_id, Certificate.is_public.is_(True))
    )
    return verify_code(code) if code else {**verify_code(""), "code": None}


def verify_url(code):
    """The public page of this code, on the organization's host (for share links and QR codes)."""
    return signing.absolute_url(f"/verify/{display_code(code)}")
