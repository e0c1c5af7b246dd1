"""A type's subject and body for one context: the organization's template when it has one that renders, else the
type's default. Sandboxed Jinja (no attribute of Python objects, only the context's JSON values), undefined
names refused, no autoescape: the output is plain text (the e-mail's HTML escapes it in its layout)."""

import logging
from dataclasses import dataclass

import sqlalchemy as sa
from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from app.extensions import db
from app.tenancy.models import utcnow
from blueprints.notifications.models import NotificationTemplate
from blueprints.notifications.types import notification_type

log = logging.getLogger(__name__)

ENVIRONMENT = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)


@dataclass
class Compiled:
    type_key: str
    subject: object  # jinja2.Template
    body: object
    saved: bool  # the organization's own template (a failure falls back to the default)


def compile_default(type_key):
    kind = notification_type(type_key)
    return Compiled(type_key, ENVIRONMENT.from_string(kind.subject), ENVIRONMENT.from_string(kind.body), False)


def compile_type(type_key):
    """The templates to render this type with in this organization: its saved ones if they compile."""
    saved = db.session.get(NotificationTemplate, type_key)
    if saved is not None:
        try:
            return Compiled(type_key, ENVIRONMENT.from_string(saved.subject), ENVIRONMENT.from_string(saved.body), True)
        except TemplateError as error:
            _remember_failure(type_key, error)
    return compile_default(type_key)


def render_compiled(compiled, context):
    """(subject, body) from compiled templates; the type's default when the organization's fails to render."""
    try:
        return _render(compiled, context)
    except TemplateError as error:
        if not compiled.saved:
            raise
        _remember_failure(compiled.type_key, error)
        return _render(compile_default(compiled.type_key), context)


def render(type_key, context):
    return render_compiled(compile_type(type_key), context)


def _render(compiled, context):
    subject = " ".join(compiled.subject.render(context).split())  # one line, whatever the template's spacing
    return subject[:300], compiled.body.render(context).strip()


def _remember_failure(type_key, error):
    log.warning("The organization's template of %s failed (%s); the default was used", type_key, error)
    db.session.execute(
        sa.update(NotificationTemplate)
        .where(NotificationTemplate.type == type_key)
        .values(last_error=str(error)[:300], last_error_at=utcnow())
    )
