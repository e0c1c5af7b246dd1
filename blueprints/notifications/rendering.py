"""A type's subject and body for one context: the organization's template when it has one that renders, else the
type's default. Sandboxed Jinja (no attribute of Python objects, only the context's JSON values), undefined
names refused, no autoescape: the output is plain text (the e-mail's HTML escapes it in its layout).

The sandbox is the core's bounded one (app/sandbox.py: allow-listed attributes and filters, weighed values, one
loop budget, a deadline, an output cap) with a notification's limits: values built up to `MAX_VALUE_CHARS`,
`MAX_ITERATIONS` loop turns a render, `MAX_RENDER_SECONDS`, the subject's and body's output caps; filters from
`app.sandbox.SAFE_FILTERS` (no `center(10**9)`, `indent`, `format`); the only global is `range`. Macros, call
blocks, blocks, filter and `{% set %}` blocks, includes, imports and recursive loops are refused when the template
is saved (template_editor.py, `app.sandbox.tag_problems`).
A saved template that fails for real data (any error, not only Jinja's) gives way to the type's default for
that person, and the first failure of a notification's batch is written to the template's `last_error`.
"""

import logging
from dataclasses import dataclass

import sqlalchemy as sa
from jinja2 import StrictUndefined

from app.extensions import db
from app.sandbox import SAFE_FILTERS, BoundedSandbox, Limits, describe, filters_of, render_bounded
from app.tenancy.models import utcnow
from blueprints.notifications.models import NotificationTemplate
from blueprints.notifications.types import notification_type

log = logging.getLogger(__name__)

MAX_SUBJECT_CHARS = 300  # rendered, on one line (and the saved template's own length: the column's)
MAX_BODY_CHARS = 20_000  # rendered with the sample, and the saved template's own length
MAX_OUTPUT_CHARS = 50_000  # a saved template's render for real data is cut (refused) past this
MAX_SUBJECT_OUTPUT_CHARS = 2_000  # the subject before it is folded onto one line and cut at 300
MAX_VALUE_CHARS = 20_000  # a string or list a template builds with *, + or ~
MAX_ITERATIONS = 10_000  # loop turns in one render, all loops together
MAX_RENDER_SECONDS = 1.0
LIMITS = Limits(max_iterations=MAX_ITERATIONS, max_value_chars=MAX_VALUE_CHARS, max_number_digits=300)
FILTERS = filters_of(*SAFE_FILTERS)

ENVIRONMENT = BoundedSandbox(LIMITS, FILTERS, undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)


# --- rendering -------------------------------------------------------------------------------------------------


def render_text(template, context, cap=None):
    """A compiled template rendered with `context`. With a cap (the organization's templates): bounded in time,
    loop turns, built values and output (RenderRefused past `cap` characters); without (the defaults): as is."""
    if cap is None:
        return template.render(context)
    return render_bounded(template, context, cap, MAX_RENDER_SECONDS)


def one_line(text):
    """A subject on one line, whatever the template's spacing."""
    return " ".join(text.split())


@dataclass
class Compiled:
    type_key: str
    subject: object  # jinja2.Template
    body: object
    saved: bool  # the organization's own template (a failure falls back to the default)
    failure_remembered: bool = False  # its first failure of this batch is written down, not every person's
    fallback: object = None  # the default's Compiled, made on the first failure and kept for the batch


def compile_default(type_key):
    kind = notification_type(type_key)
    return Compiled(type_key, ENVIRONMENT.from_string(kind.subject), ENVIRONMENT.from_string(kind.body), False)


def compile_type(type_key):
    """The templates to render this type with in this organization: its saved ones if they compile."""
    saved = db.session.get(NotificationTemplate, type_key)
    if saved is not None:
        try:
            return Compiled(type_key, ENVIRONMENT.from_string(saved.subject), ENVIRONMENT.from_string(saved.body), True)
        except Exception as error:  # whatever a stored template does, the default is used
            _remember_failure(type_key, error)
    return compile_default(type_key)


def render_compiled(compiled, context):
    """(subject, body) from compiled templates; the type's default when the organization's fails to render."""
    if not compiled.saved:
        return _render(compiled, context)
    try:
        return _render(compiled, context)
    except Exception as error:  # a division by zero, a refused attribute, a cost bomb: the default
        if not compiled.failure_remembered:
            compiled.failure_remembered = True
            _remember_failure(compiled.type_key, error)
        if compiled.fallback is None:
            compiled.fallback = compile_default(compiled.type_key)
        return _render(compiled.fallback, context)


def render(type_key, context):
    return render_compiled(compile_type(type_key), context)


def _render(compiled, context):
    subject_cap, body_cap = (MAX_SUBJECT_OUTPUT_CHARS, MAX_OUTPUT_CHARS) if compiled.saved else (None, None)
    subject = one_line(_render_part("subject", compiled.subject, context, subject_cap))
    return subject[:MAX_SUBJECT_CHARS], _render_part("body", compiled.body, context, body_cap).strip()


def _render_part(part, template, context, cap):
    try:
        return render_text(template, context, cap)
    except Exception as error:
        error.template_part = part  # last_error says which of the two failed
        raise


def failure_text(error):
    """'body: line 3: ...' (the part that failed, when known)."""
    part = getattr(error, "template_part", None)
    return f"{part}: {describe(error)}" if part else describe(error)


def _remember_failure(type_key, error):
    log.warning("The organization's template of %s failed (%s); the default was used", type_key, error)
    db.session.execute(
        sa.update(NotificationTemplate)
        .where(NotificationTemplate.type == type_key)
        .values(last_error=failure_text(error)[:300], last_error_at=utcnow())
    )
