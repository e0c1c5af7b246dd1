"""A certificate's HTML made into a PDF by xhtml2pdf, with embedded fonts for names in any script, a QR code
and the short verification code.

Fonts are TrueType files from Debian packages (ReportLab embeds TrueType outlines only), registered once per
process and embedded as subsets in each PDF:
- "Tessera Sans" / "Tessera Serif": DejaVu (fonts-dejavu-core): Latin with accents, Greek, Cyrillic, Hebrew,
  Arabic (with its presentation forms, which the joined letters need);
- "Tessera CJK": Droid Sans Fallback (fonts-droid-fallback): Chinese and Japanese;
- "Tessera Hangul": Nanum Gothic (fonts-nanum): Korean, which Droid Sans Fallback lacks.
`FONT_STACK` names them in that order: xhtml2pdf picks, character by character, the first face that has the
glyph. Right-to-left text: xhtml2pdf 0.2.28 orders each line by the Unicode bidirectional algorithm (its own
`xhtml2pdf.bidi`) when it draws, so text goes in in logical order (running python-bidi before it would reverse
it twice). Arabic letters are joined here first (`shape_arabic`, arabic-reshaper without ligatures): xhtml2pdf
joins them too, but checks only the first font of the stack for the glyphs it needs, and with the serif name
font first it wrote the Allah ligature (U+FDF2), which none of the fonts has. Letters already joined are left
as they are by its second pass. tests/certificates/test_rendering.py reads each script back out of the PDF.
"""

import base64
import functools
import hashlib
import io
import re
import secrets
import tempfile
from pathlib import Path

import arabic_reshaper
import segno

from app.errors import ValidationFailed

# xhtml2pdf and ReportLab are imported by the functions that use them (making a PDF, shaping Arabic text), when a
# process first needs them: with what they import (pypdf, html5lib) they are about 30 MB of a process's memory,
# which every web process and worker would carry for nothing (a report worker's budget is 200 MB: README,
# bench:analytics).

FONT_DIRS = (Path("/usr/share/fonts/truetype"), Path("/usr/local/share/fonts"))
# (family, CSS name, regular file, bold file, Debian package)
FONTS = (
    ("TesseraSans", "tessera sans", "dejavu/DejaVuSans.ttf", "dejavu/DejaVuSans-Bold.ttf", "fonts-dejavu-core"),
    ("TesseraSerif", "tessera serif", "dejavu/DejaVuSerif.ttf", "dejavu/DejaVuSerif-Bold.ttf", "fonts-dejavu-core"),
    ("TesseraCJK", "tessera cjk", "droid/DroidSansFallbackFull.ttf", None, "fonts-droid-fallback"),
    ("TesseraHangul", "tessera hangul", "nanum/NanumGothic.ttf", "nanum/NanumGothicBold.ttf", "fonts-nanum"),
)
FONT_STACK = '"Tessera Sans", "Tessera CJK", "Tessera Hangul"'
SERIF_STACK = '"Tessera Serif", "Tessera Sans", "Tessera CJK", "Tessera Hangul"'

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # no 0/O, 1/I/L, U/V: read aloud or typed from paper
CODE_GROUPS, CODE_GROUP_LENGTH = 3, 4  # 30^12: about 5 * 10^17 codes

PAGE_SIZES = ("A4", "Letter")
ORIENTATIONS = ("landscape", "portrait")
MAX_RENDER_SECONDS = 10
MAX_IMAGE_BYTES = 2 * 1024 * 1024


class FontsMissing(RuntimeError):
    """A bundled font file is not on this machine: certificates would draw boxes for some names."""


def _font_path(relative, package):
    for folder in FONT_DIRS:
        path = folder / relative
        if path.is_file():
            return path
    raise FontsMissing(
        f"Font {relative} not found under {', '.join(map(str, FONT_DIRS))}: install the Debian package "
        f"{package} (`apt-get install {package}`; scripts/system-deps.sh does it for make run and make test)."
    )


@functools.cache
def register_fonts():
    """Register the certificate fonts with ReportLab and xhtml2pdf, once per process (parsing the CJK font
    takes about 100 ms); raises FontsMissing naming the package to install."""
    import xhtml2pdf.default  # noqa: PLC0415 - imported when first needed (see above)
    from reportlab import rl_config  # noqa: PLC0415 - imported when first needed (see above)
    from reportlab.lib.fonts import addMapping  # noqa: PLC0415 - imported when first needed (see above)
    from reportlab.pdfbase import pdfmetrics  # noqa: PLC0415 - imported when first needed (see above)
    from reportlab.pdfbase.ttfonts import TTFont  # noqa: PLC0415 - imported when first needed (see above)

    for family, css_name, regular, bold, package in FONTS:
        regular_path = _font_path(regular, package)
        bold_path = _font_path(bold, package) if bold else regular_path
        pdfmetrics.registerFont(TTFont(family, str(regular_path)))
        pdfmetrics.registerFont(TTFont(f"{family}-Bold", str(bold_path)))
        for italic in (0, 1):
            addMapping(family, 0, italic, family)
            addMapping(family, 1, italic, f"{family}-Bold")
        xhtml2pdf.default.DEFAULT_FONT[css_name] = family
        xhtml2pdf.default.DEFAULT_FONT[css_name.replace(" ", "")] = family
    # Streams written as binary, not ASCII85: ReportLab encodes ASCII85 in pure Python when its C accelerator
    # is missing (as with this wheel), 200 ms for a full-page background.
    rl_config.useA85 = 0
    return tuple(family for family, *_rest in FONTS)


_ARABIC = re.compile(r"[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff]")
_ARABIC_FORMS = re.compile(r"[\ufb50-\ufdff\ufe70-\ufeff]")
_with_ligatures = arabic_reshaper.ArabicReshaper(configuration={"delete_harakat": False})
_without_ligatures = arabic_reshaper.ArabicReshaper(configuration={"support_ligatures": False, "delete_harakat": False})


def shape_arabic(text):
    """`text` with its Arabic letters in their joined forms (presentation forms, which DejaVu draws), with the
    ligatures (lam-alef, ...) when DejaVu has every glyph they need, else joined letters; other text unchanged.
    Logical order is kept: the line is ordered right to left when it is drawn."""
    if not isinstance(text, str) or not _ARABIC.search(text):
        return text
    from reportlab.pdfbase import pdfmetrics  # noqa: PLC0415 - imported when first needed (see above)

    register_fonts()
    glyphs = pdfmetrics.getFont("TesseraSans").face.charToGlyph
    shaped = _with_ligatures.reshape(text)
    if all(ord(char) in glyphs for char in shaped if _ARABIC_FORMS.match(char)):
        return shaped
    return _without_ligatures.reshape(text)


def new_code():
    """A short verification code such as 7KQ2-M9XD-4TPA (random; the table's unique index keeps it unique)."""
    groups = ("".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_GROUP_LENGTH)) for _ in range(CODE_GROUPS))
    return "-".join(groups)


def normalise_code(text):
    """A code as typed (lower case, spaces, without its dashes) in its printed form, or None."""
    cleaned = "".join(ch for ch in str(text or "").upper() if ch.isalnum())
    if len(cleaned) != CODE_GROUPS * CODE_GROUP_LENGTH or any(ch not in CODE_ALPHABET for ch in cleaned):
        return None
    return "-".join(cleaned[n : n + CODE_GROUP_LENGTH] for n in range(0, len(cleaned), CODE_GROUP_LENGTH))


def qr_data_uri(url):
    """The QR code of `url` as a PNG data URI (error correction M: still reads with a crease or a stain)."""
    return segno.make(url, error="m", micro=False).png_data_uri(scale=6, border=2, dark="#111827")


def image_data_uri(data, mimetype):
    """A small image (the QR code) as a data URI."""
    return f"data:{mimetype};base64,{base64.b64encode(data).decode('ascii')}"


IMAGE_SCHEME = "tessera-image:"
_IMAGE_NAME = re.compile(r"^[0-9a-f]{64}\.(?:png|jpg)$")


@functools.cache
def image_folder():
    """This process's folder of the images certificates draw (backgrounds, signatures, logos), by content hash.
    The only folder a render may read (POLICY)."""
    return Path(tempfile.mkdtemp(prefix="tessera-certificate-images-"))


def image_ref(data, mimetype):
    """A large image for a template as `tessera-image:<sha256>.<ext>`, written once per process to
    `image_folder()`: a data URI of a full-page background costs 7 ms a render in html5lib's scan of the
    document for bad characters; a short reference, none."""
    name = f"{hashlib.sha256(data).hexdigest()}.{'png' if mimetype == 'image/png' else 'jpg'}"
    path = image_folder() / name
    if not path.exists():
        partial = path.with_suffix(".part")
        partial.write_bytes(data)
        partial.replace(path)
    return IMAGE_SCHEME + name


def resolve_image(uri, _base):
    """xhtml2pdf's link callback: our image references to their file; anything else is left as written, for
    POLICY to refuse (no file outside `image_folder()`, no URL)."""
    if isinstance(uri, str) and uri.startswith(IMAGE_SCHEME) and _IMAGE_NAME.match(uri[len(IMAGE_SCHEME) :]):
        return str(image_folder() / uri[len(IMAGE_SCHEME) :])
    return None


@functools.cache
def policy():
    """A template is written by an org admin, yet rendered by a worker holding every tenant's files: it may read
    only `image_folder()` and data: URIs, fetch no URL, and its render is bounded in time, depth and size."""
    from xhtml2pdf.config.resources import ResourceAccessPolicy  # noqa: PLC0415 - imported when first needed (see above)

    return ResourceAccessPolicy.server(
        image_folder(),
        allow_remote=False,
        allow_remote_pdf_backgrounds=False,
        max_render_seconds=MAX_RENDER_SECONDS,
        max_local_bytes=MAX_IMAGE_BYTES * 4,
        max_document_bytes=4 * 1024 * 1024,
    )


def page_css(page_size, orientation, width_mm, height_mm, background=False):
    """The page box: size, orientation, no margin (the template draws its own border). A background is an image
    in a static frame under the content (`#tessera-background`): xhtml2pdf's `@page { background-image }`
    draws it into a PDF of its own and merges that under every page, three times slower."""
    frames = ""
    if background:
        box = f"left: 0; top: 0; width: {width_mm}mm; height: {height_mm}mm;"
        frames = f" @frame content {{ {box} }} @frame background {{ -pdf-frame-content: tessera-background; {box} }}"
    size = f"{page_size.lower()} {orientation}"
    return f"@page {{ size: {size}; margin: 0;{frames} }}\nhtml, body {{ font-family: {FONT_STACK}; }}\n"


def html_to_pdf(document):
    """A full HTML document (already rendered and escaped) as PDF bytes; the fonts are embedded as subsets.
    A document xhtml2pdf cannot make is a 422 naming what went wrong."""
    from xhtml2pdf import pisa  # noqa: PLC0415 - imported when first needed (see above)

    register_fonts()
    out = io.BytesIO()
    try:
        result = pisa.pisaDocument(
            document, dest=out, resource_policy=policy(), link_callback=resolve_image, encoding="utf-8"
        )
    except Exception as error:  # xhtml2pdf raises whatever its parser or ReportLab raised
        raise ValidationFailed(
            "The certificate could not be made into a PDF.", {"html": [f"{type(error).__name__}: {error}"[:300]]}
        ) from error
    if result.err:
        raise ValidationFailed(
            "The certificate could not be made into a PDF.", {"html": ["xhtml2pdf reported errors."]}
        )
    return out.getvalue()
