"""`flask certificates verify FILE` and `flask certificates audit --tenant SLUG`.

`flask certificates sweep` queues again the certificates a dead worker left without their PDF.

`verify` checks a certificate (its PDF, its VC-JWT, or its JSON) with the offline verifier
(`blueprints/credentials/offline.py`, the same code as the downloadable script) against a JWKS file, or the
organization's published keys read from its database; with the organization known it also says what its
records say now (revoked, superseded, expired). `audit` re-checks the organization's issuance log (a hash
chain) and names the first broken entry. Both exit 0 when all is well and 1 otherwise.
"""

import json
from urllib.parse import urlsplit

import click
import jwt
from flask import current_app
from flask.cli import AppGroup

from app.errors import NotFound
from app.sweeps import repeat_sweep
from app.tenancy import provisioning
from app.tenancy.context import tenant_context
from blueprints.certificates import issuance, verification
from blueprints.credentials import keys, ledger, offline

certificates_cli = AppGroup("certificates", help="Certificates: verify a file offline, audit the issuance log.")


def _tenant(slug):
    try:
        return provisioning.get_tenant_by_slug(slug).ref()
    except NotFound as error:
        raise click.ClickException(error.message) from None


def _token_in(data):
    """The VC-JWT a file holds, unverified: a PDF's embedded one, JSON's `credential`, or the file itself (the
    formats `offline.verify_file` reads)."""
    if data.startswith(b"%PDF-"):
        return offline.extract_credential(data)[1]
    text = data.strip()
    return json.loads(text)["credential"] if text.startswith(b"{") else text.decode()


def _slug_of_issuer(data):
    """The organization that issued the credential in `data`, from its (unverified) `iss`: the issuer profile's
    URL is on the organization's host, `<slug>.<base domain>`."""
    try:
        issuer = jwt.decode(_token_in(data), options={"verify_signature": False}).get("iss", "")
    except (offline.InvalidCredential, jwt.PyJWTError, ValueError, AttributeError) as error:
        raise click.ClickException(f"Not a Tessera credential: {getattr(error, 'reason', error)}") from None
    host = urlsplit(issuer).netloc
    base = current_app.config["LMS_BASE_DOMAIN"]
    if not host.endswith(f".{base}"):
        raise click.ClickException(f"Issued by {issuer or 'nobody'}, not by an organization of {base}: use --jwks.")
    return host.removesuffix(f".{base}")


def _subject(claims):
    return claims.get("credentialSubject") or claims.get("vc", {}).get("credentialSubject") or {}


def _code_of(claims):
    subject = _subject(claims)
    return next((subject[key] for key in ("code", "certificateCode", "verificationCode") if subject.get(key)), None)


@certificates_cli.command("verify")
@click.argument("file", type=click.File("rb"))
@click.option("--jwks", "jwks_file", type=click.File("rb"), help="The issuer's public keys (JWKS JSON).")
@click.option("--tenant", "slug", help="The organization whose published keys to use (default: the issuer's).")
def verify(file, jwks_file, slug):
    """Verify a certificate PDF, VC-JWT or JSON offline: its signature, and that not one byte changed."""
    data = file.read()
    tenant = _tenant(slug or _slug_of_issuer(data)) if jwks_file is None or slug else None
    try:
        if jwks_file is not None:
            jwks = json.loads(jwks_file.read())
        else:
            with tenant_context(tenant):
                jwks = keys.jwks()
        claims = offline.verify_file(data, jwks)
    except offline.InvalidCredential as error:
        click.echo(f"INVALID: {error.reason}", err=True)
        raise SystemExit(1) from None
    except ValueError as error:
        raise click.ClickException(f"The JWKS is not JSON: {error}") from None
    click.echo(offline.summary(claims))
    code = _code_of(claims)
    if tenant is not None and code:
        with tenant_context(tenant):
            answer = verification.verify_code(code)
        click.echo(f"Status in the organization's records: {answer['status']}")
        if answer["status"] != verification.VALID:
            raise SystemExit(1)


@certificates_cli.command("audit")
@click.option("--tenant", "slug", required=True, help="The organization whose issuance log to check.")
def audit(slug):
    """Re-check the organization's issuance log (hash chain); exit 1 naming the first broken entry."""
    with tenant_context(_tenant(slug)):
        result = ledger.audit()
    if result.ok:
        click.echo(f"OK: {result.checked} entries, the chain is intact.")
        return
    click.echo(f"BROKEN at entry {result.broken_seq}: {result.reason} ({result.checked} entries checked)", err=True)
    raise SystemExit(1)


@certificates_cli.command("sweep")
@click.option("--once", is_flag=True, help="One sweep, then stop.")
@click.option("--interval", default=60.0, show_default=True, help="Seconds between sweeps.")
@click.option("--older-than", default=15, show_default=True, help="Minutes a certificate may wait for its PDF.")
def sweep(once, interval, older_than):
    """Queue again the certificates still waiting for their PDF long after their issue, in every organization
    (a worker that died holding their ids from the render queue)."""
    app = current_app._get_current_object()

    def sweep_once():
        queued = issuance.requeue_stale_everywhere(app, older_than_minutes=older_than)
        return queued, f"queued {queued} certificates again"

    repeat_sweep(sweep_once, once, interval)
