"""The offline verifier: one file that needs only the standard library and `cryptography`; a certificate PDF
with its credential embedded still opens, shows the token, and is refused after any one byte changes."""

import ast
import io
import json
import random
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pypdf
import pytest

from app.tenancy.context import tenant_context
from blueprints.credentials import offline, signing
from blueprints.credentials.offline import InvalidCredential
from tests.support.credentials import rendered_pdf, signed_certificate

OFFLINE = Path(offline.__file__)
ALLOWED = {"cryptography"}

# Run the verifier with every import outside the standard library and cryptography refused (cffi is
# cryptography's own dependency), as on a machine where only `pip install cryptography` was done.
ISOLATED_RUN = """
import importlib.abc, runpy, sys
allowed = set(sys.stdlib_module_names) | {"cryptography", "cffi", "_cffi_backend"}
class Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] not in allowed:
            raise ImportError(f"offline.py may not import {name}")
        return None
sys.meta_path.insert(0, Refuse())
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def test_the_verifier_imports_only_the_standard_library_and_cryptography():
    tree = ast.parse(OFFLINE.read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "no relative imports: the file runs on its own"
            imported.add(node.module.split(".")[0])
    assert imported - set(sys.stdlib_module_names) == ALLOWED


@pytest.fixture
def certificate(app, tenant, tmp_path):
    rendered = rendered_pdf()
    token, jwks = signed_certificate(app, tenant, rendered)
    embedded = offline.embed_credential(rendered, token)
    (tmp_path / "jwks.json").write_text(json.dumps(jwks))
    return rendered, token, embedded, jwks


def run_isolated(tmp_path, *args):
    """The verifier as a downloaded file: copied alone into a folder, run with -I (no PYTHONPATH, no user site)."""
    script = tmp_path / "verifier.py"
    script.write_text(OFFLINE.read_text(encoding="utf-8"), encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-I", "-c", ISOLATED_RUN, str(script), *map(str, args)],
        check=False,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_downloaded_verifier_checks_a_certificate_pdf(certificate, tmp_path):
    _rendered, _token, embedded, _jwks = certificate
    (tmp_path / "certificate.pdf").write_bytes(embedded)
    valid = run_isolated(tmp_path, "certificate.pdf", "--jwks", "jwks.json")
    assert valid.returncode == 0, valid.stderr
    assert valid.stdout.startswith('VALID: TesseraCertificate "Fire safety" for Zoë Ünal')
    jti = re.search(r"\(id (\S+)\)\.", valid.stdout).group(1)  # a revoked one still verifies: say where to look
    assert valid.stdout.splitlines()[1].endswith(f"revoked or replaced it: open {jti}" if "://" in jti else "issuer")
    changed = bytearray(embedded)
    changed[len(changed) // 3] ^= 0x01
    (tmp_path / "changed.pdf").write_bytes(changed)
    refused = run_isolated(tmp_path, "changed.pdf", "--jwks", "jwks.json")
    assert refused.returncode == 1, refused.stderr
    assert refused.stdout.startswith("INVALID: ")


def test_the_embedded_pdf_still_opens_and_shows_its_token(certificate):
    rendered, token, embedded, _jwks = certificate
    assert embedded.startswith(rendered)
    assert offline.embed_credential(rendered, token) == embedded  # deterministic
    reader = pypdf.PdfReader(io.BytesIO(embedded), strict=True)
    original = pypdf.PdfReader(io.BytesIO(rendered), strict=True)
    assert len(reader.pages) == len(original.pages) == 1
    assert "Fire safety" in reader.pages[0].extract_text()
    assert reader.metadata["/TesseraCredential"] == token
    assert reader.metadata["/Producer"] == original.metadata["/Producer"]  # the rendered Info is kept
    assert reader.attachments["certificate-credential.jwt"] == [token.encode()]
    assert offline.extract_credential(embedded) == (rendered, token)


def test_a_valid_pdf_gives_the_credentials_claims(certificate):
    _rendered, _token, embedded, jwks = certificate
    claims = offline.verify_file(embedded, jwks)
    assert claims["credentialSubject"]["holderName"] == "Zoë Ünal"
    assert claims["type"] == ["VerifiableCredential", "TesseraCertificate"]


def test_any_single_byte_changed_anywhere_in_the_pdf_is_refused(certificate):
    rendered, _token, embedded, jwks = certificate
    reasons = {}
    # Every byte the embedding wrote, and every 5th of the rendered part (any change there changes its hash)
    for offset in [*range(0, len(rendered), 5), len(rendered) - 1, *range(len(rendered), len(embedded))]:
        changed = bytearray(embedded)
        changed[offset] ^= 0x01
        with pytest.raises(InvalidCredential) as refused:
            offline.verify_file(bytes(changed), jwks)
        reasons.setdefault(refused.value.reason, offset)
    # the rendered part is caught by its hash, the appended part by the rebuilt update or the signature
    assert "The certificate's pages were changed after it was signed." in reasons
    assert any(reason.startswith("The file was changed after it was issued") for reason in reasons)
    # and a byte added or cut at the end too
    for tail in (embedded + b"\n", embedded[:-1]):
        with pytest.raises(InvalidCredential):
            offline.verify_file(tail, jwks)


def test_a_pdf_whose_credential_names_other_pages_is_refused(app, tenant, certificate):
    _rendered, token, _embedded, jwks = certificate
    other = rendered_pdf("Another certificate")
    with pytest.raises(InvalidCredential, match="pages were changed"):
        offline.verify_file(offline.embed_credential(other, token), jwks)


def test_a_pdf_without_a_credential_is_refused(certificate):
    rendered, _token, _embedded, jwks = certificate
    with pytest.raises(InvalidCredential, match="holds no Tessera credential"):
        offline.verify_file(rendered, jwks)


def test_a_plain_jwt_and_a_json_file_verify(certificate, tmp_path):
    _rendered, token, _embedded, jwks = certificate
    assert offline.verify_file(token.encode() + b"\n", jwks)["jti"].endswith("/certificates/verify/ABCD-2345")
    assert offline.verify_file(json.dumps({"credential": token}).encode(), jwks)["sub"].startswith("urn:uuid:")
    with pytest.raises(InvalidCredential, match='holds no "credential"'):
        offline.verify_file(b'{"token": "x"}', jwks)
    (tmp_path / "credential.jwt").write_text(token)
    (tmp_path / "credential.json").write_text(json.dumps({"credential": token}))
    for name in ("credential.jwt", "credential.json"):
        assert offline.main([str(tmp_path / name), "--jwks", str(tmp_path / "jwks.json")]) == 0


def test_the_cli_says_why_it_refuses(certificate, tmp_path, capsys):
    _rendered, token, _embedded, _jwks = certificate
    header, body, signature = token.split(".")
    (tmp_path / "forged.jwt").write_text(f"{header}.{body[:-4]}AAAA.{signature}")
    assert offline.main([str(tmp_path / "forged.jwt"), "--jwks", str(tmp_path / "jwks.json")]) == 1
    assert capsys.readouterr().out.startswith("INVALID: ")
    assert offline.main([str(tmp_path / "missing.pdf"), "--jwks", str(tmp_path / "jwks.json")]) == 1
    assert "cannot read the input" in capsys.readouterr().out
    (tmp_path / "empty.json").write_text('{"keys": []}')
    (tmp_path / "credential.jwt").write_text(token)
    assert offline.main([str(tmp_path / "credential.jwt"), "--jwks", str(tmp_path / "empty.json")]) == 1
    assert capsys.readouterr().out == "INVALID: It was signed with a key this organization does not publish.\n"


def test_offline_and_online_verification_agree(app, tenant, make_tenant):
    rendered = rendered_pdf()
    expired, jwks = signed_certificate(app, tenant, rendered, valid_until=datetime(2026, 2, 1))
    current, _ = signed_certificate(app, tenant, rendered, valid_until=datetime.now(UTC) + timedelta(days=30))
    theirs, _ = signed_certificate(app, make_tenant(), rendered)
    with tenant_context(tenant, app):
        assert signing.verify(current) == offline.verify_token(current, jwks)
        for token in (expired, theirs):
            with pytest.raises(InvalidCredential) as online:
                signing.verify(token)
            with pytest.raises(InvalidCredential) as offline_refusal:
                offline.verify_token(token, jwks)
            assert online.value.reason == offline_refusal.value.reason


def test_damaged_files_are_refused_with_a_reason_never_an_error(certificate):
    _rendered, token, embedded, jwks = certificate
    chance = random.Random(13)  # noqa: S311 (reproducible damage, not secrets)
    samples = [
        b"",
        b"%PDF-",
        b"%PDF-1.4\n%%EOF",
        b"{",
        b"[1]",
        b"{" * 5000 + b"}" * 5000,
        b"a.b.c",
        token[:-9].encode(),
    ]
    samples += [b"%PDF-1.4 /TesseraRenderedLength 5 >> /TesseraCredential (a.b.c) >>", b"\x00" * 64]
    samples += [embedded[: chance.randrange(len(embedded))] for _ in range(40)]
    for _ in range(60):
        changed = bytearray(embedded)
        for _ in range(chance.randint(2, 20)):
            changed[chance.randrange(len(changed))] = chance.randrange(256)
        samples.append(bytes(changed))
    for sample in samples:
        with pytest.raises(InvalidCredential) as refused:
            offline.verify_file(sample, jwks)
        assert refused.value.reason.endswith(".")


def test_a_pdf_updated_before_with_an_xref_stream_embeds_and_verifies(app, tenant):
    """A rendered PDF that already carries an incremental update (pypdf writes its xref as a stream): the
    update's Info is the one carried over, the result opens, and it verifies."""
    writer = pypdf.PdfWriter(io.BytesIO(rendered_pdf()), incremental=True)
    writer.add_metadata({"/Title": "Certificate (updated)"})
    out = io.BytesIO()
    writer.write(out)
    updated = out.getvalue()
    token, jwks = signed_certificate(app, tenant, updated)
    embedded = offline.embed_credential(updated, token)
    reader = pypdf.PdfReader(io.BytesIO(embedded), strict=True)
    assert reader.metadata["/Title"] == "Certificate (updated)"
    assert reader.metadata["/TesseraCredential"] == token
    assert reader.attachments["certificate-credential.jwt"] == [token.encode()]
    assert offline.verify_file(embedded, jwks)["credentialSubject"]["pdfSha256"]
