"""Verify a Tessera credential offline: a certificate PDF, a VC-JWT file or a JSON {"credential": token}.

Imports only the standard library and `cryptography`, so that it runs as one downloaded file
(`GET /credentials/verifier.py` on the organization's host) next to the organization's published keys
(`GET /.well-known/jwks.json`):

    python offline.py certificate.pdf --jwks jwks.json      # exit 0 and a summary when valid
    python offline.py credential.jwt --jwks jwks.json       # exit 1 and the reason when not

A certificate PDF holds its credential in an incremental update appended to the rendered PDF (a new Info
dictionary with `/TesseraCredential (token)`, an embedded file `certificate-credential.jwt`, a catalog that
lists it, an xref section and a trailer recording where the rendered part ends). The update is written
deterministically from (rendered bytes, token) by `embed_credential`. A file verifies when its rendered part
hashes to the credential's `pdfSha256`, its appended part is byte for byte what `embed_credential` writes for
that part and token, and the token's RS256 signature checks against the JWK Set: a change of any byte
anywhere in the file is refused.
"""

import argparse
import base64
import hashlib
import json
import re
import sys
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

EMBEDDED_FILE_NAME = "certificate-credential.jwt"
TOKEN_KEY = b"/TesseraCredential"
SPLIT_KEY = b"/TesseraRenderedLength"
ALGORITHM = "RS256"
TOKEN_PATTERN = re.compile(rb"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")
EMBEDDED_TOKEN = re.compile(re.escape(TOKEN_KEY) + rb" \(([A-Za-z0-9_.-]+)\)\n>>")
LINE_END = re.compile(rb"[\r\n]")
XREF_SUBSECTION = re.compile(rb"\s*(\d+)[ ]+(\d+)[ \t]*\r?\n")


class InvalidCredential(Exception):
    """The credential does not verify; `reason` says why in a sentence a person understands."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


# --- JWT (RS256 against a JWK Set) -----------------------------------------------------------------


def _b64url_decode(text):
    if not isinstance(text, str) or not re.fullmatch(r"[A-Za-z0-9_-]*", text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _public_key_from_jwk(jwk):
    try:
        n = int.from_bytes(_b64url_decode(jwk["n"]), "big")
        e = int.from_bytes(_b64url_decode(jwk["e"]), "big")
        return rsa.RSAPublicNumbers(e, n).public_key()
    except (KeyError, TypeError, ValueError):
        raise InvalidCredential("The organization's published key for it cannot be read.") from None


def _readable(timestamp):
    return datetime.fromtimestamp(timestamp, UTC).strftime("%d %B %Y, %H:%M UTC")


def verify_token(token, jwks, now=None):
    """The claims of an RS256 VC-JWT whose signature checks against a key of `jwks` and whose dates hold now."""
    if isinstance(token, bytes):
        token = token.decode("ascii", "replace")
    token = (token or "").strip()
    parts = token.split(".")
    try:
        if len(parts) != 3:
            raise ValueError("not three parts")
        header = json.loads(_b64url_decode(parts[0]))
        claims = json.loads(_b64url_decode(parts[1]))
        signature = _b64url_decode(parts[2])
        if not isinstance(header, dict) or not isinstance(claims, dict):
            raise ValueError("not objects")
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise InvalidCredential("This is not a signed credential (a VC-JWT).") from None
    algorithm = header.get("alg")
    if algorithm != ALGORITHM:
        raise InvalidCredential(f"It is signed with {algorithm!s}, not RS256: Tessera credentials never are.")
    jwk = next(
        (jwk for jwk in (jwks or {}).get("keys", []) if isinstance(jwk, dict) and jwk.get("kid") == header.get("kid")),
        None,
    )
    if jwk is None:
        raise InvalidCredential("It was signed with a key this organization does not publish.")
    try:
        _public_key_from_jwk(jwk).verify(
            signature, f"{parts[0]}.{parts[1]}".encode("ascii"), padding.PKCS1v15(), hashes.SHA256()
        )
    except InvalidSignature:
        raise InvalidCredential(
            "The signature does not match: the credential was changed after it was signed."
        ) from None
    for claim in ("iss", "jti", "sub", "nbf"):
        if claim not in claims:
            raise InvalidCredential(f"It lacks the {claim!r} claim every credential carries.")
    if not isinstance(claims["nbf"], int | float) or not isinstance(claims.get("exp", 0), int | float):
        raise InvalidCredential("Its dates are not readable.")
    now = datetime.now(UTC).timestamp() if now is None else now
    if claims["nbf"] > now:
        raise InvalidCredential(f"It is not valid yet: it becomes valid on {_readable(claims['nbf'])}.")
    if "exp" in claims and claims["exp"] <= now:
        raise InvalidCredential(f"It expired on {_readable(claims['exp'])}.")
    return claims


# --- reading just enough PDF -----------------------------------------------------------------------


def _skip_string(data, i):
    """`data[i]` is "(": the index after the literal string's closing parenthesis."""
    depth = 0
    while i < len(data):
        char = data[i : i + 1]
        if char == b"\\":
            i += 2
            continue
        if char == b"(":
            depth += 1
        elif char == b")":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise ValueError("unterminated string")


def _dictionary_at(data, start):
    """The dictionary `<< ... >>` starting at `start` (strings, hex strings and comments skipped over)."""
    if data[start : start + 2] != b"<<":
        raise ValueError("no dictionary here")
    depth, i = 0, start
    while i < len(data):
        pair, char = data[i : i + 2], data[i : i + 1]
        if pair == b"<<":
            depth, i = depth + 1, i + 2
        elif pair == b">>":
            depth, i = depth - 1, i + 2
            if depth == 0:
                return data[start:i]
        elif char == b"<":
            end = data.index(b">", i)
            i = end + 1
        elif char == b"(":
            i = _skip_string(data, i)
        elif char == b"%":
            match = LINE_END.search(data, i)
            i = match.end() if match else len(data)
        else:
            i += 1
    raise ValueError("unterminated dictionary")


def _reference(dictionary, key):
    match = re.search(re.escape(key) + rb"\s+(\d+)\s+(\d+)\s+R", dictionary)
    return (int(match.group(1)), int(match.group(2))) if match else None


def _trailer(data):
    """The last trailer dictionary (classic xref table, or the dictionary of an xref stream) and `startxref`."""
    match = None
    for match in re.finditer(rb"startxref\s+(\d+)", data):  # noqa: B007 (the last one is wanted)
        pass
    if match is None:
        raise ValueError("no startxref")
    offset = int(match.group(1))
    if data[offset : offset + 4] == b"xref":
        keyword = data.index(b"trailer", offset)
        start = data.index(b"<<", keyword)
    else:
        header = re.compile(rb"\d+\s+\d+\s+obj\s*").match(data, offset)
        if header is None:
            raise ValueError("startxref points nowhere")
        start = header.end()
    return _dictionary_at(data, start), offset


def _xref_offset(data, xref_offset, number, generation):
    """Where object (number, generation) starts, from the classic xref tables (following `/Prev`); None when
    they do not say (xref streams, a free or missing entry, a damaged table)."""
    seen = set()
    while xref_offset not in seen and data[xref_offset : xref_offset + 4] == b"xref":
        seen.add(xref_offset)
        position = xref_offset + 4
        while (section := XREF_SUBSECTION.match(data, position)) is not None:
            first, count = int(section.group(1)), int(section.group(2))
            if first <= number < first + count:
                entry = data[section.end() + 20 * (number - first) :][:20]
                if entry[17:18] == b"n" and entry[11:16].isdigit() and int(entry[11:16]) == generation:
                    return int(entry[:10]) if entry[:10].isdigit() else None
                return None
            position = section.end() + 20 * count
        try:
            trailer = _dictionary_at(data, data.index(b"<<", data.index(b"trailer", xref_offset)))
        except ValueError:
            return None
        previous = re.search(rb"/Prev\s+(\d+)", trailer)
        if previous is None:
            return None
        xref_offset = int(previous.group(1))
    return None


def _object_dictionary(data, xref_offset, number, generation):
    """The dictionary of object (number, generation): where the xref tables say it is, else its last
    definition in the file; None when it is no dictionary (or in an object stream)."""
    header = re.compile(rb"%d\s+%d\s+obj\s*" % (number, generation))
    offset = _xref_offset(data, xref_offset, number, generation)
    match = header.match(data, offset) if offset is not None else None
    if match is None:
        for match in re.finditer(rb"(?<![0-9])" + header.pattern, data):  # noqa: B007 (the last one)
            pass
    if match is None or data[match.end() : match.end() + 2] != b"<<":
        return None
    return _dictionary_at(data, match.end())


def _pdf_string(text):
    return b"(" + text.encode("latin-1").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


# --- embedding -------------------------------------------------------------------------------------


def _runs(numbers):
    """Consecutive runs of sorted object numbers, as (first, [numbers]): one xref subsection each."""
    runs = []
    for number in numbers:
        if runs and runs[-1][1][-1] == number - 1:
            runs[-1][1].append(number)
        else:
            runs.append((number, [number]))
    return runs


def embed_credential(pdf_bytes, token):
    """The PDF with `token` appended as an incremental update: deterministic in (pdf_bytes, token)."""
    if isinstance(token, str):
        token = token.encode("ascii")
    if not TOKEN_PATTERN.match(token):
        raise ValueError("The token is not a compact JWT.")
    if not pdf_bytes.startswith(b"%PDF-"):
        raise ValueError("Not a PDF file.")
    trailer, previous_xref = _trailer(pdf_bytes)
    size = re.search(rb"/Size\s+(\d+)", trailer)
    root = _reference(trailer, b"/Root")
    if size is None or root is None:
        raise ValueError("The PDF's trailer has no /Size or /Root.")
    if b"/Encrypt" in trailer:
        raise ValueError("Encrypted PDFs cannot take a credential.")
    size = int(size.group(1))
    info_number, file_number, spec_number = size, size + 1, size + 2

    old_info_ref = _reference(trailer, b"/Info")
    old_info = _object_dictionary(pdf_bytes, previous_xref, *old_info_ref) if old_info_ref else None
    info_entries = old_info[2:-2].strip() if old_info else b""
    info_entries = re.sub(re.escape(TOKEN_KEY) + rb"\s*\([^)]*\)", b"", info_entries).strip()
    # Line breaks around what is copied: a comment (`%` to the end of the line) in it must not swallow our entries
    info = b"<<\n" + (info_entries + b"\n" if info_entries else b"") + TOKEN_KEY + b" (" + token + b")\n>>"

    catalog = _object_dictionary(pdf_bytes, previous_xref, *root)
    objects = [(info_number, 0, info)]
    file_stream = (
        b"<< /Type /EmbeddedFile /Subtype /application#2Fvc+jwt /Length %d /Params << /Size %d >> >>\nstream\n"
        % (len(token), len(token))
        + token
        + b"\nendstream"
    )
    objects.append((file_number, 0, file_stream))
    if catalog is not None and b"/Names" not in catalog:
        name = _pdf_string(EMBEDDED_FILE_NAME)
        spec = b"<< /Type /Filespec /F %s /UF %s /AFRelationship /Supplement /Desc %s /EF << /F %d 0 R >> >>" % (
            name,
            name,
            _pdf_string("The certificate's signed credential (VC-JWT)"),
            file_number,
        )
        objects.append((spec_number, 0, spec))
        listed = b" /Names << /EmbeddedFiles << /Names [%s %d 0 R] >> >> /AF [%d 0 R]" % (
            name,
            spec_number,
            spec_number,
        )
        objects.append((root[0], root[1], catalog[:-2].rstrip() + b"\n" + listed.lstrip() + b"\n>>"))
    new_size = max(size + 3, *(number + 1 for number, _, _ in objects))

    rendered_length = len(pdf_bytes)
    update = bytearray(b"" if pdf_bytes.endswith((b"\n", b"\r")) else b"\n")
    offsets = {}
    for number, generation, body in objects:
        offsets[number] = (rendered_length + len(update), generation)
        update += b"%d %d obj\n" % (number, generation) + body + b"\nendobj\n"
    xref_offset = rendered_length + len(update)
    update += b"xref\n0 1\n0000000000 65535 f \n"  # the free list's head, as readers expect a section to begin
    for first, numbers in _runs(sorted(offsets)):
        update += b"%d %d\n" % (first, len(numbers))
        for number in numbers:
            update += b"%010d %05d n \n" % offsets[number]
    document_id = re.search(rb"/ID\s*(\[[^\]]*\])", trailer)
    update += b"trailer\n<< /Size %d /Root %d %d R /Info %d 0 R /Prev %d%s %s %d >>\n" % (
        new_size,
        root[0],
        root[1],
        info_number,
        previous_xref,
        b" /ID " + document_id.group(1) if document_id else b"",
        SPLIT_KEY,
        rendered_length,
    )
    update += b"startxref\n%d\n%%%%EOF\n" % xref_offset
    return pdf_bytes + bytes(update)


def extract_credential(data):
    """(rendered part, token) of a PDF made by `embed_credential`; `InvalidCredential` when it holds none."""
    if not data.startswith(b"%PDF-"):
        raise InvalidCredential("This is not a PDF file.")
    split = None
    for split in re.finditer(re.escape(SPLIT_KEY) + rb" (\d{1,12}) >>", data):  # noqa: B007 (the last one)
        pass
    if split is None:
        raise InvalidCredential("This PDF holds no Tessera credential.")
    rendered_length = int(split.group(1))
    if not 0 < rendered_length < split.start():
        raise InvalidCredential("This PDF's credential is damaged.")
    token = EMBEDDED_TOKEN.search(data, rendered_length)
    if token is None:
        raise InvalidCredential("This PDF's credential is damaged.")
    return data[:rendered_length], token.group(1).decode("ascii")


def _claims_of_pdf(data, jwks):
    rendered, token = extract_credential(data)
    try:
        rebuilt = embed_credential(rendered, token)
    except (ValueError, IndexError):
        rebuilt = None
    if rebuilt != data:
        raise InvalidCredential("The file was changed after it was issued: its credential part is not as written.")
    claims = verify_token(token, jwks)
    subject = claims.get("credentialSubject")
    expected = subject.get("pdfSha256") if isinstance(subject, dict) else None
    if expected is None:
        raise InvalidCredential("The credential does not name the document it belongs to.")
    if hashlib.sha256(rendered).hexdigest() != expected:
        raise InvalidCredential("The certificate's pages were changed after it was signed.")
    return claims


def verify_file(data, jwks):
    """The claims of a valid credential file: a certificate PDF, a bare VC-JWT or JSON {"credential": token}.

    Whatever the bytes, the only error is `InvalidCredential`: uploads reach this from public pages."""
    try:
        return _claims_of_file(data, jwks)
    except (ValueError, IndexError, TypeError, OverflowError, RecursionError):
        raise InvalidCredential("The file cannot be read as a credential.") from None


def _claims_of_file(data, jwks):
    if data.startswith(b"%PDF-"):
        return _claims_of_pdf(data, jwks)
    text = data.strip()
    if text.startswith(b"{"):
        try:
            token = json.loads(text).get("credential")
        except (ValueError, AttributeError, UnicodeDecodeError, RecursionError):
            token = None
        if not isinstance(token, str):
            raise InvalidCredential('This JSON file holds no "credential".')
        return verify_token(token, jwks)
    return verify_token(text, jwks)


# --- command line ----------------------------------------------------------------------------------


def summary(claims):
    """One line naming what the credential says: its kind, name, holder and issuer, and its dates."""
    subject = claims.get("credentialSubject") if isinstance(claims.get("credentialSubject"), dict) else {}
    types = claims.get("type") if isinstance(claims.get("type"), list) else []
    kinds = [kind for kind in types if kind != "VerifiableCredential"] or ["credential"]
    achievement = subject.get("achievement") if isinstance(subject.get("achievement"), dict) else {}
    name = subject.get("courseTitle") or achievement.get("name") or claims.get("name")
    holder = subject.get("holderName") or subject.get("name") or claims.get("sub")
    parts = [f"VALID: {kinds[0]}"]
    if name:
        parts.append(f'"{name}"')
    parts.append(f"for {holder}, issued by {claims.get('iss')}, valid from {_readable(claims['nbf'])}")
    if "exp" in claims:
        parts.append(f"until {_readable(claims['exp'])}")
    return " ".join(parts) + f" (id {claims.get('jti')})."


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="offline.py", description="Verify a Tessera certificate PDF or credential against published keys."
    )
    parser.add_argument("file", help='a certificate PDF, a .jwt file, or a JSON file {"credential": token}')
    parser.add_argument("--jwks", required=True, help="the organization's keys: its /.well-known/jwks.json, saved")
    args = parser.parse_args(argv)
    try:
        with open(args.jwks, "rb") as handle:
            jwks = json.load(handle)
        with open(args.file, "rb") as handle:
            data = handle.read()
    except (OSError, ValueError, UnicodeDecodeError) as error:
        print(f"INVALID: cannot read the input: {error}")
        return 1
    try:
        claims = verify_file(data, jwks if isinstance(jwks, dict) else {})
    except InvalidCredential as error:
        print(f"INVALID: {error.reason}")
        return 1
    print(summary(claims))
    print(revocation_note(claims))
    return 0


def revocation_note(claims):
    """What an offline check cannot know: a revocation or a re-issue after signing (a revoked certificate's file
    still verifies, so say where its current status is)."""
    where = claims.get("jti") if str(claims.get("jti", "")).startswith(("https://", "http://")) else None
    return (
        "Checked offline: the signature, the file and the dates. Whether the issuer has since revoked or replaced "
        + (f"it: open {where}" if where else "it: ask the issuer")
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
