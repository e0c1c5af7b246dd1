"""Certificate templates: HTML and CSS with placeholders, kept by the organization's admins, rendered in a
sandboxed Jinja environment and then by xhtml2pdf (rendering.py).

A template may use only the placeholders of `PLACEHOLDERS` (anything else is refused on save, with its name)
and renders in the core's bounded sandbox (app/sandbox.py), autoescaped, with a certificate's limits: no attribute
of Python's internals (`{{ ''.__class__ }}`), only a few string methods (no `'{:50000000}'.format(1)`, no
`'a'.ljust(50000000)`), the filters of `FILTERS`; values built up to `MAX_VALUE_CHARS`; loops nest at most two
deep and turn at most `MAX_ITERATIONS` times in all (over a range, a string or a list); the output at most
`MAX_OUTPUT_CHARS`, the whole render at most `MAX_RENDER_SECONDS`; no macro, block, include or the like. A refused
template names its line ("Line 2: ..."). The shipped default (`DEFAULT_HTML`,
`DEFAULT_CSS`) is the organization's until an admin makes another the default.
"""

import functools
import io
from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa
from jinja2 import StrictUndefined, TemplateSyntaxError, meta, nodes
from jinja2.exceptions import SecurityError, TemplateError, UndefinedError
from markupsafe import Markup

from app.api.listing import ListSpec, run_list_query
from app.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from app.extensions import db
from app.images import normalise_image
from app.sandbox import (
    MAX_NESTING,
    SAFE_FILTERS,
    BoundedSandbox,
    Limits,
    RenderRefused,
    assigned_names,
    deepest,
    describe,
    filters_of,
    render_bounded,
    tag_problems,
)
from app.security.actor import current_actor
from app.storage import media_storage
from app.tenancy.context import current_tenant
from app.tenancy.models import utcnow
from blueprints.certificates import rendering
from blueprints.certificates.models import Certificate, CertificateTemplate, CourseCertificateSettings
from blueprints.organizations.settings import logo_file, settings_of

PLACEHOLDERS = {
    "learner_name": "The holder's name, as it was on the day of issue.",
    "course_title": "The course's title, as it was on the day of issue.",
    "completion_date": "When the learner completed the course (e.g. 25 November 2026).",
    "issue_date": "When the certificate was issued.",
    "expiry_date": "When it expires, or nothing (test with {% if expiry_date %}).",
    "code": "The short verification code, e.g. 7KQ2-M9XD-4TPA.",
    "verify_url": "The public verification page of this certificate.",
    "qr_code": "The QR code to the verification page, as an image (width and height: use the .qr-code class).",
    "organization_name": "The organization's display name.",
    "organization_logo": "The organization's logo as an image, or nothing when it has none.",
    "signatures": "The template's signatures: a list of {name, title, image} (image: an <img>, or nothing).",
}
MAX_NAME = 120
MAX_HTML_CHARS = 50_000
MAX_CSS_CHARS = 20_000
MAX_SIGNATURES = 4
MAX_LOOP_DEPTH = 2
MAX_ITERATIONS = 10_000  # loop turns in one render, all loops together (a name's letters twice over: far below)
MAX_VALUE_CHARS = 50_000  # a string or list a template builds with *, +, ~ or a filter
MAX_OUTPUT_CHARS = 200_000
MAX_RENDER_SECONDS = 2.0
LIMITS = Limits(max_iterations=MAX_ITERATIONS, max_value_chars=MAX_VALUE_CHARS, max_number_digits=64)
# HTML's escaping filters besides the core's safe ones; no `safe`: a learner's name never becomes markup
FILTERS = filters_of(*SAFE_FILTERS, "e", "escape", "forceescape", "striptags")
FRAME_MARGIN_MM = 15  # the shipped frame: 10 mm margin, 3 mm padding, borders; outside `.page-fill`
PAGE_MM = {"A4": (297, 210), "Letter": (279, 216)}  # landscape width, height

TEMPLATE_LIST = ListSpec(
    filters={
        "id": CertificateTemplate.id,
        "name": CertificateTemplate.name,
        "is_default": CertificateTemplate.is_default,
        "page_size": CertificateTemplate.page_size,
        "orientation": CertificateTemplate.orientation,
    },
    sorts={
        "id": CertificateTemplate.id,
        "name": CertificateTemplate.name,
        "updated_at": CertificateTemplate.updated_at,
    },
    default_sort=("name",),
    fields=frozenset(
        {"id", "name", "html", "css", "page_size", "orientation", "signatures", "is_default", "created_at"}
        | {"updated_at", "background_key"}
    ),
    tiebreaker=CertificateTemplate.id,
)

DEFAULT_NAME = "Classic (shipped)"
DEFAULT_HTML = """<div class="frame">
<table class="inner page-fill"><tr><td>
  {% if organization_logo %}<div class="logo">{{ organization_logo }}</div>{% endif %}
  <p class="org">{{ organization_name }}</p>
  <p class="kicker">CERTIFICATE OF COMPLETION</p>
  <p class="lead">This certifies that</p>
  <p class="name">{{ learner_name }}</p>
  <p class="lead">has completed the course</p>
  <p class="course">{{ course_title }}</p>
  <p class="dates">Completed {{ completion_date }} &middot; Issued {{ issue_date }}
    {% if expiry_date %}&middot; Valid until {{ expiry_date }}{% endif %}</p>
  <table class="foot"><tr>
    <td class="signature">{% if signatures|length > 0 %}{% set s = signatures[0] %}
      {% if s.image %}{{ s.image }}{% endif %}<p class="line">&nbsp;</p>
      <p class="signer">{{ s.name }}</p><p class="role">{{ s.title }}</p>{% endif %}</td>
    <td class="verify">{{ qr_code }}<p class="code">{{ code }}</p><p class="url">{{ verify_url }}</p></td>
    <td class="signature">{% if signatures|length > 1 %}{% set s = signatures[1] %}
      {% if s.image %}{{ s.image }}{% endif %}<p class="line">&nbsp;</p>
      <p class="signer">{{ s.name }}</p><p class="role">{{ s.title }}</p>{% endif %}</td>
  </tr></table>
</td></tr></table>
</div>
"""
# No letter-spacing: xhtml2pdf centres a line by its width without the spacing, so a spaced-out title drifts right
# by half of it (3pt x 25 letters put "CERTIFICATE OF COMPLETION" 13 mm off the page's middle).
DEFAULT_CSS = """.frame { margin: 10mm; border: 3pt solid #1d4ed8; padding: 3mm; }
.inner { border: 0.75pt solid #1d4ed8; }
.inner td { text-align: center; vertical-align: middle; padding: 6mm 14mm; }
.logo img { height: 14mm; }
.org { font-size: 16pt; font-weight: bold; color: #1d4ed8; }
.kicker { font-size: 11pt; font-weight: bold; color: #374151; margin-top: 5mm; }
.lead { font-size: 12pt; color: #374151; margin-top: 4mm; }
.name { font-family: "Tessera Serif", "Tessera Sans", "Tessera CJK", "Tessera Hangul"; font-size: 34pt;
  font-weight: bold; color: #111827; margin-top: 2mm; }
.course { font-size: 20pt; color: #111827; margin-top: 1mm; }
.dates { font-size: 10pt; color: #4b5563; margin-top: 4mm; }
.foot { margin-top: 6mm; }
.signature { width: 38%; vertical-align: bottom; }
.signature img { height: 14mm; }
.line { border-bottom: 0.75pt solid #374151; margin: 0 10mm; }
.signer { font-size: 11pt; font-weight: bold; margin-top: 2mm; }
.role { font-size: 9pt; color: #4b5563; }
.verify { width: 24%; vertical-align: bottom; }
.qr-code { width: 24mm; height: 24mm; }
.code { font-size: 10pt; letter-spacing: 1pt; font-weight: bold; }
.url { font-size: 6pt; color: #6b7280; }
"""


@functools.cache
def sandbox():
    """The core's bounded sandbox with a certificate's limits and filters, autoescaped, undefined names refused."""
    return BoundedSandbox(LIMITS, FILTERS, autoescape=True, undefined=StrictUndefined)


@functools.lru_cache(maxsize=256)
def compiled(html):
    """The parsed template of this HTML (kept per process: a worker renders a batch with one parse)."""
    return sandbox().from_string(html)


def _loop_depth(node, depth=0):
    own = depth + 1 if isinstance(node, nodes.For) else depth
    return max([own, *(_loop_depth(child, own) for child in node.iter_child_nodes())])


def _line_problems(found):
    return [
        f"Line {line}: {reason[0].upper()}{reason[1:]}." for line, reason in sorted(found, key=lambda item: item[0])
    ]


def html_problems(html):
    """What is wrong with a template's HTML: syntax (with its line), unknown placeholders, loops nested too
    deep, tags the sandbox does not offer (with their lines); {} when it may be saved."""
    if not isinstance(html, str) or not html.strip():
        return {"html": ["The template's HTML is empty."]}
    if len(html) > MAX_HTML_CHARS:
        return {"html": [f"At most {MAX_HTML_CHARS} characters."]}
    try:
        tree = sandbox().parse(html)
        deepest_node = deepest(tree)
        if deepest_node is not None:
            return {"html": [f"Line {deepest_node.lineno}: it nests more than {MAX_NESTING} levels deep."]}
        undeclared = meta.find_undeclared_variables(tree)  # compiles the tree: an unknown filter is refused here
    except TemplateSyntaxError as error:
        return {"html": [f"Line {error.lineno}: {error.message}"]}
    except RecursionError:  # Jinja's parser recurses per level: ((((...)))) by the thousand
        return {"html": [f"It nests more than {MAX_NESTING} levels deep."]}
    # Jinja counts a name set in one branch of an `if` as undeclared (the other branch lacks it), so the shipped
    # default's `{% if signatures|length > 0 %}{% set s = signatures[0] %}` would be refused: names the template
    # assigns itself (set, for, with) are not placeholders.
    unknown = sorted(undeclared - set(PLACEHOLDERS) - assigned_names(tree) - {"range"})
    problems = []
    if unknown:
        problems.append(f"Unknown placeholders: {', '.join(unknown)}. Use {', '.join(sorted(PLACEHOLDERS))}.")
    if _loop_depth(tree) > MAX_LOOP_DEPTH:
        problems.append(f"Loops may nest at most {MAX_LOOP_DEPTH} deep.")
    problems += _line_problems(tag_problems(tree, "a certificate template"))
    return {"html": problems} if problems else {}


def render_body(html, context):
    """The template's HTML rendered with `context` in the sandbox, cut when it runs too long, loops too much
    or builds or writes too much (RenderRefused); a refused operation is a SecurityError."""
    return render_bounded(compiled(html), context, MAX_OUTPUT_CHARS, MAX_RENDER_SECONDS)


# --- what a certificate shows ---------------------------------------------------------------------------------


@dataclass
class CertificateData:
    """What a template is rendered with: plain values, no rows (a preview uses sample ones)."""

    learner_name: str
    course_title: str
    completed_at: datetime
    issued_at: datetime
    expires_at: datetime | None
    code: str
    verify_url: str
    organization_name: str
    logo: tuple[bytes, str] | None = None  # (bytes, mimetype)
    extra: dict = field(default_factory=dict)


def long_date(moment):
    return f"{moment.day} {moment:%B %Y}" if moment else ""


def _img(uri, css_class, alt):
    return Markup('<img class="{}" src="{}" alt="{}"/>').format(css_class, uri, alt)


@functools.lru_cache(maxsize=64)
def _logo_uri(data, mimetype):
    return rendering.image_ref(data, mimetype)


def placeholders_of(data, signatures):
    """The template's context for `data` (every value escaped by the sandbox unless it is an image)."""
    logo = _img(_logo_uri(*data.logo), "organization-logo", data.organization_name) if data.logo else ""
    shape = rendering.shape_arabic
    return {
        "learner_name": shape(data.learner_name),
        "course_title": shape(data.course_title),
        "completion_date": long_date(data.completed_at),
        "issue_date": long_date(data.issued_at),
        "expiry_date": long_date(data.expires_at),
        "code": data.code,
        "verify_url": data.verify_url,
        "qr_code": _img(rendering.qr_data_uri(data.verify_url), "qr-code", f"QR code of {data.verify_url}"),
        "organization_name": shape(data.organization_name),
        "organization_logo": logo,
        "signatures": [
            {
                "name": shape(signature.get("name", "")),
                "title": shape(signature.get("title", "")),
                "image": _img(signature["image_uri"], "signature-image", signature.get("name", ""))
                if signature.get("image_uri")
                else "",
            }
            for signature in signatures
        ],
    }


def page_mm(page_size, orientation):
    width, height = PAGE_MM.get(page_size, PAGE_MM["A4"])
    return (height, width) if orientation == "portrait" else (width, height)


def page_fill_css(page_size, orientation):
    _width, height = page_mm(page_size, orientation)
    return f".page-fill {{ height: {height - 2 * FRAME_MARGIN_MM}mm; }}\n"


def document_of(template, data, background_uri=None, signature_uris=()):
    """The full HTML document of a certificate (template + data), ready for xhtml2pdf."""
    signatures = [
        {**signature, "image_uri": uri}
        for signature, uri in zip(template.signatures or [], [*signature_uris, *[None] * MAX_SIGNATURES], strict=False)
    ]
    try:
        body = render_body(template.html, placeholders_of(data, signatures))
    except (SecurityError, RenderRefused) as error:
        raise ValidationFailed("The template was refused.", {"html": [_problem_of(error)]}) from error
    except (TemplateError, UndefinedError, TypeError, ValueError, ArithmeticError, RecursionError) as error:
        raise ValidationFailed("The template could not be rendered.", {"html": [_problem_of(error)[:300]]}) from error
    css = (template.css or "").replace("</", "<\\/")  # the CSS cannot close its <style> and write HTML
    width, height = page_mm(template.page_size, template.orientation)
    page = rendering.page_css(template.page_size, template.orientation, width, height, background_uri)
    background = (
        Markup('<div id="tessera-background"><img src="{}" style="width: {}mm; height: {}mm"/></div>').format(
            background_uri, width, height
        )
        if background_uri
        else ""
    )
    return (
        '<html><head><meta charset="utf-8"/><style>'
        f"{page}{page_fill_css(template.page_size, template.orientation)}{css}"
        f"</style></head><body>{background}{body}</body></html>"
    )


def _problem_of(error):
    """ "Line 2: the template loops more than 10000 times" (the line when the error happened in the template)."""
    text = describe(error)
    return text[0].upper() + text[1:] if text else type(error).__name__


def render_pdf(template, data, background_uri=None, signature_uris=()):
    return rendering.html_to_pdf(document_of(template, data, background_uri, signature_uris))


@functools.lru_cache(maxsize=128)
def _stored_image_uri(key):
    """A stored image as a data URI, kept per process: a key names one file forever (new upload, new key)."""
    try:
        with media_storage().open(key) as stream:
            data = stream.read(rendering.MAX_IMAGE_BYTES + 1)
    except (OSError, NotFound):
        return None
    kind = "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"
    return rendering.image_ref(data, kind)


def template_images(template):
    """(background URI or None, [signature image URI or None, ...]) of a template."""
    background = _stored_image_uri(template.background_key) if template.background_key else None
    signatures = [
        _stored_image_uri(signature["image_key"]) if signature.get("image_key") else None
        for signature in template.signatures or []
    ]
    return background, signatures


BACKGROUND_BOX = (3508, 2480)  # A4 at 300 dpi
SIGNATURE_BOX = (1200, 400)
IMAGE_MAX_PIXELS = 40_000_000


def _store_image(data, box, purpose, field):
    if not data:
        raise ValidationFailed("The file is empty.", {field: ["Empty file."]})
    if len(data) > rendering.MAX_IMAGE_BYTES * 4:
        raise ValidationFailed("The image is too large.", {field: ["At most 8 MB."]})
    image = normalise_image(
        data,
        accepted=("PNG", "JPEG"),
        box=box,
        max_pixels=IMAGE_MAX_PIXELS,
        output="PNG" if field == "signature" else "JPEG",
        purpose=purpose,
        field=field,
    )
    if len(image) > rendering.MAX_IMAGE_BYTES:
        raise ValidationFailed(
            "The image is too large once fitted.", {field: ["Use a smaller image (2 MB once fitted)."]}
        )
    return media_storage().save(current_tenant.slug, io.BytesIO(image), rendering.MAX_IMAGE_BYTES).key


def set_background(template_id, data, actor=current_actor):
    """A background image (PNG or JPEG, fitted to the page at 300 dpi); None removes it."""
    template = get_template(template_id, actor)
    template.background_key = _store_image(data, BACKGROUND_BOX, "a background", "background") if data else None
    template.updated_at = utcnow()
    db.session.commit()
    return template


def set_signature_image(template_id, index, data, actor=current_actor):
    """The image of signature `index` (PNG or JPEG, transparent PNG reads best); None removes it."""
    template = get_template(template_id, actor)
    signatures = [dict(signature) for signature in template.signatures or []]
    if not 0 <= index < len(signatures):
        raise NotFound("No such signature in this template.")
    signatures[index]["image_key"] = _store_image(data, SIGNATURE_BOX, "a signature", "signature") if data else None
    template.signatures = signatures
    template.updated_at = utcnow()
    db.session.commit()
    return template


def organization_identity():
    """(display name, logo bytes and mimetype or None) of the current organization."""
    name = settings_of(current_tenant)["display_name"]
    path, mimetype = logo_file(current_tenant)
    if path is None or mimetype == "image/svg+xml":  # xhtml2pdf draws raster images only
        return name, None
    return name, (path.read_bytes(), mimetype)


def sample_data(verify_url):
    name, logo = organization_identity()
    now = datetime.now(UTC).replace(tzinfo=None)
    return CertificateData(
        learner_name="Zoë Ångström-Núñez",
        course_title="Sample course: Getting started",
        completed_at=now,
        issued_at=now,
        expires_at=None,
        code="7KQ2-M9XD-4TPA",
        verify_url=verify_url,
        organization_name=name,
        logo=logo,
    )


# --- the templates themselves: org admins only -----------------------------------------------------------------


def require_admin(actor=current_actor):
    if not (actor.is_authenticated and actor.scope is not None and actor.scope.organization_wide):
        raise PermissionDenied("Only the organization's admins manage certificate templates.", code="NOT_ORG_ADMIN")


def default_template():
    """The organization's default template, made from the shipped one on first use."""
    template = db.session.scalar(
        sa.select(CertificateTemplate)
        .where(CertificateTemplate.is_default, CertificateTemplate.archived_at.is_(None))
        .order_by(CertificateTemplate.id)
        .limit(1)
    )
    if template is None:
        template = CertificateTemplate(name=DEFAULT_NAME, html=DEFAULT_HTML, css=DEFAULT_CSS, is_default=True)
        template.signatures = []
        db.session.add(template)
        db.session.flush()
    return template


def visible_templates():
    return sa.select(CertificateTemplate).where(CertificateTemplate.archived_at.is_(None))


def list_templates(query, actor=current_actor):
    """A page of the organization's templates (its admins; the shipped default is made on first look)."""
    require_admin(actor)
    default_template()
    db.session.commit()
    return run_list_query(db.session, visible_templates(), query, TEMPLATE_LIST)


def all_templates(actor=current_actor):
    """Every template of the organization, the default first (its admins' page)."""
    require_admin(actor)
    default_template()
    db.session.commit()
    return db.session.scalars(
        visible_templates().order_by(CertificateTemplate.is_default.desc(), CertificateTemplate.name)
    ).all()


def template_choices():
    """(id, name) of the templates a course may choose (for its managers' page: no admin check)."""
    return db.session.execute(
        visible_templates()
        .with_only_columns(CertificateTemplate.id, CertificateTemplate.name)
        .order_by(CertificateTemplate.name)
    ).all()


def get_template(template_id, actor=current_actor):
    require_admin(actor)
    template = db.session.get(CertificateTemplate, template_id)
    if template is None or template.archived_at is not None:
        raise NotFound("No such certificate template.")
    return template


def template_for_course(template_id):
    """The template a course's certificate uses (none chosen, or archived since: the default); no scope check."""
    template = db.session.get(CertificateTemplate, template_id) if template_id else None
    if template is None or template.archived_at is not None:
        return default_template()
    return template


def _signature_problems(signatures):
    if not isinstance(signatures, list) or len(signatures) > MAX_SIGNATURES:
        return [f"A list of at most {MAX_SIGNATURES} signatures."]
    problems = []
    for number, signature in enumerate(signatures):
        if not isinstance(signature, dict) or not str(signature.get("name", "")).strip():
            problems.append(f"Signature {number + 1}: a name is needed.")
        elif len(str(signature.get("name"))) > 120 or len(str(signature.get("title", ""))) > 120:
            problems.append(f"Signature {number + 1}: name and title at most 120 characters.")
    return problems


def _clean_signatures(signatures):
    return [
        {"name": str(s["name"]).strip(), "title": str(s.get("title", "")).strip(), "image_key": s.get("image_key")}
        for s in signatures
    ]


def template_problems(values):
    problems = {}
    if "name" in values and not 1 <= len(str(values["name"] or "").strip()) <= MAX_NAME:
        problems["name"] = [f"1 to {MAX_NAME} characters."]
    if "html" in values:
        problems.update(html_problems(values["html"]))
    if "css" in values and len(values["css"] or "") > MAX_CSS_CHARS:
        problems["css"] = [f"At most {MAX_CSS_CHARS} characters."]
    if "page_size" in values and values["page_size"] not in rendering.PAGE_SIZES:
        problems["page_size"] = [f"One of {', '.join(rendering.PAGE_SIZES)}."]
    if "orientation" in values and values["orientation"] not in rendering.ORIENTATIONS:
        problems["orientation"] = [f"One of {', '.join(rendering.ORIENTATIONS)}."]
    if "signatures" in values and (signature_problems := _signature_problems(values["signatures"])):
        problems["signatures"] = signature_problems
    return problems


FIELDS = ("name", "html", "css", "page_size", "orientation", "signatures", "is_default")


def _apply(template, values):
    problems = template_problems(values)
    if problems:
        raise ValidationFailed("The template is not valid.", problems)
    for key in FIELDS:
        if key in values and key != "is_default":
            value = values[key]
            if key == "signatures":  # an image stays with its signature's place unless one is named
                kept = [signature.get("image_key") for signature in template.signatures or []]
                value = [
                    {**signature, "image_key": signature.get("image_key") or (kept[n] if n < len(kept) else None)}
                    for n, signature in enumerate(_clean_signatures(value))
                ]
            elif key == "name":
                value = value.strip()
            setattr(template, key, value if value is not None else "")
    # Rendered once with sample data: a template that fails at run time is refused now, not at issue.
    _check_renders(template)
    if values.get("is_default") and template.id is not None:
        _make_default(template)


def _make_default(template):
    db.session.execute(
        sa.update(CertificateTemplate).where(CertificateTemplate.id != template.id).values(is_default=False)
    )
    template.is_default = True


def _check_renders(template):
    document_of(template, sample_data("https://example.org/verify/7KQ2-M9XD-4TPA"))


def create_template(values, actor=current_actor):
    """A new template (the shipped default's HTML and CSS unless given)."""
    require_admin(actor)
    if "name" not in values:
        raise ValidationFailed("The template needs a name.", {"name": ["Required."]})
    template = CertificateTemplate(
        html=DEFAULT_HTML, css=DEFAULT_CSS, page_size="A4", orientation="landscape", created_by_id=actor.id
    )
    template.signatures = []
    template.is_default = False
    _apply(template, values)  # validated before it joins the session: nothing half-made is flushed
    db.session.add(template)
    db.session.flush()
    if values.get("is_default"):
        _make_default(template)
    db.session.commit()
    return template


def update_template(template_id, values, actor=current_actor):
    template = get_template(template_id, actor)
    if values.get("is_default") is False and template.is_default:
        raise Conflict("Make another template the default instead.", code="DEFAULT_TEMPLATE")
    try:
        _apply(template, values)
    except ValidationFailed:
        db.session.rollback()  # the refused values were set on the row: never flushed
        raise
    template.updated_at = utcnow()
    db.session.commit()
    return template


def delete_template(template_id, actor=current_actor):
    """Archive a template (issued certificates keep naming it); its courses fall back to the default."""
    template = get_template(template_id, actor)
    if template.is_default:
        raise Conflict(
            "The default template cannot be deleted; make another the default first.", code="DEFAULT_TEMPLATE"
        )
    template.archived_at = utcnow()
    db.session.execute(
        sa.update(CourseCertificateSettings)
        .where(CourseCertificateSettings.template_id == template.id)
        .values(template_id=None)
    )
    db.session.commit()


def courses_using(template_id):
    return db.session.scalar(
        sa.select(sa.func.count()).where(CourseCertificateSettings.template_id == template_id)
    ) + db.session.scalar(sa.select(sa.func.count()).where(Certificate.template_id == template_id))


def preview_pdf(template_id=None, values=None, actor=current_actor):
    """A PDF of a template (stored, or with unsaved `values` over it) with sample data: the editor's preview."""
    require_admin(actor)
    base = get_template(template_id, actor) if template_id else default_template()
    values = values or {}
    problems = template_problems(values)
    if problems:
        raise ValidationFailed("The template is not valid.", problems)
    draft = CertificateTemplate(
        name=values.get("name", base.name),
        html=values.get("html", base.html),
        css=values.get("css", base.css),
        page_size=values.get("page_size", base.page_size),
        orientation=values.get("orientation", base.orientation),
        background_key=base.background_key,
    )
    draft.signatures = _clean_signatures(values["signatures"]) if "signatures" in values else base.signatures
    return render_pdf(draft, sample_data(_sample_verify_url()), *template_images(draft))


def _sample_verify_url():
    return f"https://{current_tenant.slug}.example/verify/7KQ2-M9XD-4TPA"
