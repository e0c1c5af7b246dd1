"""The organization's own words for each type of notification (its admins): what each type offers, checking a
subject and body before anything is kept, a preview with the type's sample, saving, and going back to the default.

A template is checked twice, both with line numbers: statically (it compiles; it names only the type's variables
and, for a variable holding a dict such as `course`, only the keys the type gives it: `course.price` is refused;
no macro, include or block: `app.sandbox.tag_problems`) and by rendering it with the type's sample in the bounded
sandbox (app/sandbox.py, with rendering.py's limits): a refused attribute, a cost bomb or a division by zero is
refused with its reason. What renders with the sample may still fail on real data (a day count of 0, an empty
date); rendering.py then uses the default and writes `last_error`, which the editor shows.
"""

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from jinja2 import TemplateSyntaxError, meta, nodes
from sqlalchemy.exc import IntegrityError

from app.errors import NotFound, PermissionDenied, ValidationFailed
from app.extensions import db
from app.sandbox import DICT_METHODS, MAX_NESTING, STRING_METHODS, assigned_names, deepest, describe, tag_problems
from app.security.actor import current_actor
from app.tenancy.models import utcnow
from blueprints.notifications import layout, rendering
from blueprints.notifications.models import NotificationTemplate
from blueprints.notifications.types import COMMON_SAMPLE, COMMON_VARIABLES, TYPES

MANAGE = "notifications.manage"
SOURCE_LIMITS = {"subject": rendering.MAX_SUBJECT_CHARS, "body": rendering.MAX_BODY_CHARS}


@dataclass
class Variable:
    name: str
    description: str
    keys: tuple = ()  # a dict variable's keys (course: title)
    sample: object = None


@dataclass
class TemplateState:
    """One type as the editor shows it: its words by default, the organization's own if any, what failed."""

    type: str
    label: str
    description: str
    mandatory: bool
    variables: list
    default_subject: str
    default_body: str
    subject: str | None = None  # the organization's, None: the default is used
    body: str | None = None
    customized: bool = False
    last_error: str | None = None
    last_error_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass
class Preview:
    subject: str
    text: str
    html: str | None = None  # the e-mail's HTML
    problems: dict = field(default_factory=dict)


# --- who may ---------------------------------------------------------------------------------------------------


def require_manager(actor=current_actor):
    if not (actor.is_authenticated and actor.can(MANAGE)):
        raise PermissionDenied("Only the organization's admins change the notifications' words.", code="FORBIDDEN")


def kind_of(type_key):
    """The type of this key; a 404 for one the app does not have (user input)."""
    kind = TYPES.get(type_key) if isinstance(type_key, str) else None
    if kind is None:
        raise NotFound("No such notification type.", {"type": [f"Use one of: {', '.join(TYPES)}."]})
    return kind


def variables_of(kind):
    sample = kind.sample_context
    return [
        Variable(name, description, tuple(sample[name]) if isinstance(sample.get(name), dict) else (), sample.get(name))
        for name, description in kind.all_variables.items()
    ]


# --- reading ---------------------------------------------------------------------------------------------------


def _state(kind, saved):
    state = TemplateState(
        type=kind.key,
        label=kind.label,
        description=kind.description,
        mandatory=kind.mandatory,
        variables=variables_of(kind),
        default_subject=kind.subject,
        default_body=kind.body,
    )
    if saved is not None:
        state.subject, state.body, state.customized = saved.subject, saved.body, True
        state.last_error, state.last_error_at, state.updated_at = (
            saved.last_error,
            saved.last_error_at,
            saved.updated_at,
        )
    return state


def list_templates(actor=current_actor):
    """Every type, in the registry's order, with the organization's own words where it has them."""
    require_manager(actor)
    saved = {row.type: row for row in db.session.scalars(sa.select(NotificationTemplate))}
    return [_state(kind, saved.get(key)) for key, kind in TYPES.items()]


def template_of(type_key, actor=current_actor):
    require_manager(actor)
    kind = kind_of(type_key)
    return _state(kind, db.session.get(NotificationTemplate, kind.key))


# --- checking --------------------------------------------------------------------------------------------------

_UNKNOWN = object()


def _sample_value(node, sample, assigned):
    """What an expression such as `course.title` holds in the sample, as far as the tree says; _UNKNOWN else."""
    if isinstance(node, nodes.Name) and node.ctx == "load" and node.name not in assigned:
        return sample.get(node.name, _UNKNOWN)
    if isinstance(node, nodes.Getattr):
        base = _sample_value(node.node, sample, assigned)
        return base.get(node.attr, _UNKNOWN) if isinstance(base, dict) else _UNKNOWN
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
        base = _sample_value(node.node, sample, assigned)
        return base.get(node.arg.value, _UNKNOWN) if isinstance(base, dict) else _UNKNOWN
    return _UNKNOWN


def _expression(node):
    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Getattr):
        return f"{_expression(node.node)}.{node.attr}"
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
        return f"{_expression(node.node)}[{node.arg.value!r}]"
    return "it"


def _attribute_problems(tree, sample, assigned):
    """`course.price` where the type's course has only a title: refused with its line."""
    problems = []
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        if isinstance(node, nodes.Getattr):
            attribute = node.attr
        elif isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
            attribute = node.arg.value
        else:
            continue
        base = _sample_value(node.node, sample, assigned)
        if base is _UNKNOWN:
            continue
        owner = _expression(node.node)
        if isinstance(base, dict):
            if attribute not in base and attribute not in DICT_METHODS:
                problems.append((node.lineno, f"{owner} has no {attribute!r} (it has: {', '.join(base)})"))
        elif isinstance(base, str):
            if attribute not in STRING_METHODS:
                problems.append((node.lineno, f"{owner} is text: {attribute!r} is not available"))
        else:
            problems.append((node.lineno, f"{owner} is a {_kind_word(base)}: it has no {attribute!r}"))
    return problems


def _kind_word(value):
    return "true or false value" if isinstance(value, bool) else "number"


def static_problems(source, kind):
    """What is wrong with one template before it runs: syntax, names, attributes, tags; [] when nothing."""
    try:
        tree = rendering.ENVIRONMENT.parse(source)
        deepest_node = deepest(tree)
        if deepest_node is not None:
            return [
                f"line {deepest_node.lineno}: it nests more than {MAX_NESTING} levels deep; write it in simpler steps"
            ]
        undeclared = meta.find_undeclared_variables(tree)  # compiles the tree: an unknown filter is refused here
    except TemplateSyntaxError as error:
        return [describe(error)]
    except RecursionError:  # Jinja's parser recurses per level: ((((...)))) or - - - -1 by the thousand
        return [f"It nests more than {MAX_NESTING} levels deep; write it in simpler steps."]
    sample = kind.sample_context
    assigned = assigned_names(tree)
    found = []
    unknown = undeclared - set(kind.all_variables) - assigned - {"range"}
    for name in tree.find_all(nodes.Name):
        if name.ctx == "load" and name.name in unknown:
            variables = ", ".join(kind.all_variables)
            found.append((name.lineno, f"{name.name!r} is undefined (this type has: {variables})"))
            unknown.discard(name.name)
    found += _attribute_problems(tree, sample, assigned)
    found += tag_problems(tree, "a notification's words")
    return [f"line {line}: {reason}" for line, reason in sorted(found, key=lambda item: item[0])]


def _sample_render(source, kind, cap):
    template = rendering.ENVIRONMENT.from_string(source)  # filters are checked here (TemplateAssertionError)
    return rendering.render_text(template, kind.sample_context, cap)


def check(type_key, subject, body):
    """({part: [problems]}, Preview of the sample) for an organization's subject and body of a type."""
    kind = kind_of(type_key)
    sources = {"subject": subject, "body": body}
    problems, rendered = {}, {}
    for part, source in sources.items():
        found = []
        if not isinstance(source, str) or not source.strip():
            found.append(f"The {part} is empty.")
        elif len(source) > SOURCE_LIMITS[part]:
            found.append(f"At most {SOURCE_LIMITS[part]} characters ({len(source)} given).")
        else:
            found = static_problems(source, kind)
        if not found:
            cap = rendering.MAX_SUBJECT_OUTPUT_CHARS if part == "subject" else rendering.MAX_BODY_CHARS
            try:
                rendered[part] = _sample_render(source, kind, cap)
            except Exception as error:  # whatever the template does, it is refused with its reason
                found.append(describe(error))
        if found:
            problems[part] = found
    if "subject" in rendered:
        line = rendering.one_line(rendered["subject"])
        if not line:
            problems["subject"] = ["The subject is empty with the sample: write some text outside {% if %}."]
        elif len(line) > rendering.MAX_SUBJECT_CHARS:
            problems["subject"] = [
                f"The subject is {len(line)} characters long with the sample: at most {rendering.MAX_SUBJECT_CHARS}."
            ]
        rendered["subject"] = line
    if "body" in rendered and not rendered["body"].strip():
        problems["body"] = ["The body is empty with the sample: write some text outside {% if %}."]
    preview = Preview(rendered.get("subject", ""), rendered.get("body", "").strip(), problems=problems)
    return problems, preview


# --- changing --------------------------------------------------------------------------------------------------


def preview(type_key, subject, body, actor=current_actor):
    """The subject, text and HTML e-mail a person would get, with the type's sample; the problems if any."""
    require_manager(actor)
    _problems, shown = check(type_key, subject, body)
    if not shown.problems:
        shown.html = email_html(type_key, shown)
    return shown


def email_html(type_key, shown):
    """The HTML e-mail of a preview, in the organization's look (the e-mail part's layout), linking to the sample's
    address; no unsubscribe link (nobody is subscribed to a preview)."""
    url = kind_of(type_key).sample_context.get("url", "")
    return layout.render_email(shown.subject, shown.text, url=url, type_key=type_key).html


def save_template(type_key, subject, body, actor=current_actor):
    """Keep the organization's subject and body of a type; (template, created). 422 with each problem's line."""
    require_manager(actor)
    problems, _preview = check(type_key, subject, body)
    if problems:
        raise ValidationFailed("The template was refused.", problems)
    try:
        return _store(type_key, subject, body, actor)
    except IntegrityError:  # another admin saved the type's first words at the same moment: these replace them
        db.session.rollback()
        return _store(type_key, subject, body, actor)


def _store(type_key, subject, body, actor):
    template = db.session.get(NotificationTemplate, type_key)
    created = template is None
    if created:
        template = NotificationTemplate(type=type_key)
        db.session.add(template)
    template.subject, template.body = subject, body
    template.updated_by_id = actor.id if actor.kind == "user" else None
    template.updated_at = utcnow()
    template.last_error = template.last_error_at = None  # the words changed: an old failure says nothing of these
    db.session.commit()
    return template, created


def reset_template(type_key, actor=current_actor):
    """Back to the type's default words; True if the organization had its own."""
    require_manager(actor)
    kind_of(type_key)
    removed = db.session.execute(sa.delete(NotificationTemplate).where(NotificationTemplate.type == type_key))
    db.session.commit()
    return bool(removed.rowcount)


def variables_markdown():
    """The variables of every type as a Markdown table (docs/notifications.md keeps it; a test checks it)."""
    lines = ["| Type | Variables (besides person, organization, url) | Sample |", "|---|---|---|"]
    for key, kind in TYPES.items():
        own = "; ".join(f"`{name}`: {description}" for name, description in kind.variables.items()) or "—"
        sample = ", ".join(f"{name} = {_sample_words(value)}" for name, value in kind.sample.items()) or "—"
        lines.append(f"| `{key}` | {own} | {sample} |")
    return "\n".join(lines)


def common_variables_markdown():
    lines = ["| Variable | What it holds | Sample |", "|---|---|---|"]
    for name, description in COMMON_VARIABLES.items():
        lines.append(f"| `{name}` | {description} | {_sample_words(COMMON_SAMPLE[name])} |")
    return "\n".join(lines)


def _sample_words(value):
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {_sample_words(item)}" for key, item in value.items()) + "}"
    return f'"{value}"' if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else str(value)
