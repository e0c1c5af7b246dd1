"""A certificate's PDF: names in every script drawn with embedded fonts (read back out of the PDF), the QR
code and the verification code (blueprints/certificates/rendering.py, templates.py)."""

import base64
import io
import json
import re
import subprocess
import sys
import unicodedata
from datetime import datetime
from pathlib import Path

import pytest
import segno
from PIL import Image
from pypdf import PdfReader

from blueprints.certificates import rendering, templates
from blueprints.certificates.models import CertificateTemplate

ROOT = Path(__file__).resolve().parents[2]
NAMES = {
    "latin": "Zoë Ångström-Núñez Łukasz Dvořák",
    "greek": "Αλέξανδρος Παπαδόπουλος",
    "cyrillic": "Дмитрий Иванов",
    "chinese": "王小明",
    "japanese": "山田 はなこ カタカナ",
    "korean": "김민준",
    "arabic": "محمد عبد الله سلامة",
    "hebrew": "דוד כהן",
}


def shipped_template(page_size="A4", orientation="landscape"):
    template = CertificateTemplate(
        name="t", html=templates.DEFAULT_HTML, css=templates.DEFAULT_CSS, page_size=page_size, orientation=orientation
    )
    template.signatures = [{"name": "Ada Lovelace", "title": "Director of Studies"}]
    return template


def data_for(name, code="7KQ2-M9XD-4TPA"):
    moment = datetime(2026, 11, 25, 10, 0)
    return templates.CertificateData(
        learner_name=name,
        course_title="Getting started",
        completed_at=moment,
        issued_at=moment,
        expires_at=None,
        code=code,
        verify_url=f"https://demo.localhost:5000/verify/{code}",
        organization_name="Demo Academy",
    )


def text_of(pdf):
    """The PDF's text as a reader's copy-paste gives it, with Arabic presentation forms folded to letters."""
    raw = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return unicodedata.normalize("NFKC", raw)


@pytest.mark.parametrize("script", sorted(NAMES))
def test_a_name_in_each_script_is_drawn_and_can_be_read_back(script):
    name = NAMES[script]
    pdf = templates.render_pdf(shipped_template(), data_for(name))

    text = text_of(pdf)
    for word in name.split():
        assert unicodedata.normalize("NFKC", word) in text, (script, word, text)


def test_the_fonts_are_embedded_so_the_pdf_reads_the_same_anywhere():
    pdf = templates.render_pdf(shipped_template(), data_for(" ".join(NAMES.values())))

    embedded = {}
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for reference in page["/Resources"]["/Font"].values():
            font = reference.get_object()
            descriptor = font.get("/FontDescriptor")
            if descriptor is None and "/DescendantFonts" in font:
                descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            has_file = descriptor is not None and "/FontFile2" in descriptor.get_object()
            embedded[re.sub(r"^/[A-Z]{6}\+", "", str(font["/BaseFont"]))] = has_file
    assert {"DejaVuSans", "DejaVuSans-Bold", "DejaVuSerif-Bold", "DroidSansFallback", "NanumGothicBold"} <= set(
        embedded
    ), embedded
    # every face that draws text is a subset embedded in the file; xhtml2pdf names Helvetica for the empty
    # fragment it closes a paragraph with, which draws no glyph
    assert {name for name, has_file in embedded.items() if not has_file} <= {"/Helvetica"}, embedded


def test_the_shipped_template_prints_the_code_the_date_and_the_verification_link():
    pdf = templates.render_pdf(shipped_template("Letter"), data_for("Ada Lovelace", code="ABCD-EFGH-JKMN"))

    text = text_of(pdf)
    assert "ABCD-EFGH-JKMN" in text
    assert "https://demo.localhost:5000/verify/ABCD-EFGH-JKMN" in text
    assert "Completed 25 November 2026" in text
    assert "Demo Academy" in text and "Getting started" in text and "Director of Studies" in text
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    assert len(page.images) == 1  # the QR code
    width, height = float(page.mediabox.width), float(page.mediabox.height)
    assert (round(width), round(height)) == (792, 612)  # Letter, landscape


def test_a4_landscape_is_one_page():
    reader = PdfReader(io.BytesIO(templates.render_pdf(shipped_template(), data_for("Ada"))))
    assert len(reader.pages) == 1
    assert (round(float(reader.pages[0].mediabox.width)), round(float(reader.pages[0].mediabox.height))) == (842, 595)


def test_the_qr_code_draws_the_verification_url():
    url = "https://demo.localhost:5000/verify/7KQ2-M9XD-4TPA"
    uri = rendering.qr_data_uri(url)
    assert uri.startswith("data:image/png;base64,")
    image = Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))).convert("L")

    matrix = segno.make(url, error="m", micro=False).matrix  # the symbol of that text, module by module
    scale, border = 6, 2
    assert image.size == ((len(matrix) + 2 * border) * scale,) * 2
    for row, line in enumerate(matrix):
        for column, dark in enumerate(line):
            pixel = image.getpixel(((column + border) * scale + 3, (row + border) * scale + 3))
            assert (pixel < 128) == bool(dark), (row, column)


def test_codes_are_short_unambiguous_and_read_back_as_typed():
    codes = {rendering.new_code() for _ in range(2000)}
    assert len(codes) == 2000
    for code in codes:
        assert re.fullmatch(r"[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{4}", code), code
        assert not set(code) & set("01OILU")
    assert rendering.normalise_code(" 7kq2 m9xd 4tpa ") == "7KQ2-M9XD-4TPA"
    assert rendering.normalise_code("7KQ2M9XD4TPA") == "7KQ2-M9XD-4TPA"
    assert rendering.normalise_code("7KQ2-M9XD-4TP") is None
    assert rendering.normalise_code("OOOO-IIII-LLLL") is None


def test_a_template_cannot_read_files_or_urls():
    """Only this process's certificate images are readable: not a file of the machine, not a URL, not a
    reference that climbs out of the folder."""
    outside = rendering.image_folder().parent / "outside.png"
    Image.new("RGB", (4, 4), "red").save(outside)
    template = shipped_template()
    template.html = (
        '<img src="file:///etc/passwd"/><img src="/etc/hostname"/><img src="http://127.0.0.1:1/x.png"/>'
        f'<img src="{outside}"/><img src="tessera-image:../outside.png"/><p>{{{{ learner_name }}}}</p>'
    )
    pdf = templates.render_pdf(template, data_for("Ada"))
    assert "Ada" in text_of(pdf)
    assert not PdfReader(io.BytesIO(pdf)).pages[0].images


def test_a_background_image_fills_the_page_under_the_text():
    picture = io.BytesIO()
    Image.new("RGB", (600, 424), "#e0f2fe").save(picture, "JPEG")
    background = rendering.image_ref(picture.getvalue(), "image/jpeg")

    pdf = templates.render_pdf(shipped_template(), data_for("Ada Lovelace"), background)

    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    assert sorted(image.image.size for image in reader.pages[0].images) == [(222, 222), (600, 424)]  # QR, background
    assert "Ada Lovelace" in text_of(pdf)


def test_a_process_that_makes_no_pdf_does_not_carry_xhtml2pdf(app_config, tmp_path):
    """xhtml2pdf and ReportLab (about 30 MB with what they import) load when a process first needs them, not with
    the app: a web process or a report worker making CSV and XLSX keeps that memory (the worker's budget is 200 MB).
    The same process then makes a PDF: the libraries load on demand."""
    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps(app_config))
    probe = (
        "import json, sys\n"
        "from app import create_app\n"
        "from config import TestConfig\n"
        "from blueprints.certificates import rendering\n"
        f"create_app(TestConfig, **json.loads(open({str(settings)!r}).read()))\n"
        "loaded = lambda: sorted({name.split('.')[0] for name in sys.modules} & {'xhtml2pdf', 'reportlab'})\n"
        "before = loaded()\n"
        "pdf = rendering.html_to_pdf('<html><body><p>Zoë</p></body></html>')\n"
        "print(json.dumps([before, loaded(), pdf[:5].decode()]))\n"
    )
    ran = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT)
    before, after, start = json.loads(ran.stdout.strip().splitlines()[-1])
    assert before == []
    assert after == ["reportlab", "xhtml2pdf"] and start == "%PDF-"
