"""A type's subject and body for one context: the organization's template when it has one that renders, else the
type's default. Sandboxed Jinja (no attribute of Python objects, only the context's JSON values), undefined
names refused, no autoescape: the output is plain text (the e-mail's HTML escapes it in its layout).

The sandbox is Jinja's immutable one (no `__class__`, no changing what it is handed: the shared context of a
notification to many people stays as it was) narrowed to what a notification needs, and bounded, because
Jinja's own sandbox stops attribute tricks but not cost bombs:
- attributes: a dict's keys and get/items/keys/values, a few harmless string methods (no `ljust(10**9)`,
  no `format`), nothing else; filters from `FILTERS` only (no `center(10**9)`, `indent`, `format`); the
  only global is `range`;
- sizes: what a template builds (`*`, `+`, `~`, a list, tuple or dict it writes, a call's result, `join`,
  `replace`, `string`) may not weigh more than `MAX_VALUE_CHARS` (`weight`: about the length of its text,
  lists shared many times counted as many times: `[l, l]` doubled twenty times is refused), numbers stay
  below 10**300 (no `9 ** 999`), no `%` formatting of strings; every `{{ ... }}` is weighed against the
  render's output cap before its text is made;
- every loop turn counts against one budget of `MAX_ITERATIONS` per render (nested loops over a range,
  a string or a list too), and the render stops after `MAX_RENDER_SECONDS` or once it wrote its cap;
- no macros, call blocks, blocks, filter blocks, `{% set %}` blocks, includes, imports or recursive loops
  (refused when the template is saved; the compiled sandbox has no loader anyway).
A saved template that fails for real data (any error, not only Jinja's) gives way to the type's default for
that person, and the first failure of a notification's batch is written to the template's `last_error`.
"""

import logging
import math
import time
from contextvars import ContextVar
from dataclasses import dataclass

import sqlalchemy as sa
from jinja2 import StrictUndefined, TemplateSyntaxError, nodes
from jinja2 import filters as jinja_filters
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.visitor import NodeTransformer

from app.extensions import db
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
MAX_NUMBER_DIGITS = 300

STRING_METHODS = frozenset(
    {"upper", "lower", "title", "capitalize", "strip", "lstrip", "rstrip", "startswith", "endswith", "split"}
    | {"count", "find", "isdigit", "isalpha", "isspace"}
)
DICT_METHODS = frozenset({"get", "items", "keys", "values"})
LIST_METHODS = frozenset({"index", "count"})
UNAVAILABLE_TAGS = {
    nodes.Macro: "macros",
    nodes.CallBlock: "call blocks",
    nodes.Block: "blocks",
    nodes.Extends: "extends",
    nodes.Include: "include",
    nodes.Import: "import",
    nodes.FromImport: "import",
    # both write their body into a buffer, past the output cap, which only counts what the render gives out
    nodes.FilterBlock: "filter blocks",
    nodes.AssignBlock: "{% set %} blocks",
}


class RenderRefused(SecurityError):
    """A template that ran too long, looped too much or wrote or built too much: its render is cut."""


@dataclass
class Budget:
    deadline: float
    output_cap: int
    iterations: int = 0

    def tick(self, turns=1):
        self.iterations += turns
        if self.iterations > MAX_ITERATIONS:
            raise RenderRefused(f"the template loops more than {MAX_ITERATIONS} times")
        self.check_clock()

    def check_clock(self):
        if time.monotonic() > self.deadline:
            raise RenderRefused(f"the template took longer than {MAX_RENDER_SECONDS:g} s to render")


_budget = ContextVar("notification_render_budget", default=None)


def _check_clock():
    budget = _budget.get()
    if budget is not None:
        budget.check_clock()


def weight(value, limit=MAX_VALUE_CHARS):
    """How big a value is, about as long as its text: a string's length, a number's digits, a list's, tuple's or
    dict's items plus theirs (a list holding one list 20 000 times weighs 20 000 times that list; each distinct
    list is measured once). Counting stops once past `limit`. What a template builds weighs at most
    MAX_VALUE_CHARS, so that writing it out is bounded too."""
    return _measure(value, {}, limit)


def _measure(item, measured, limit):
    if isinstance(item, str):
        return len(item)
    if isinstance(item, int | float) and not isinstance(item, bool):
        return 1 + int(_digits(item))
    if not isinstance(item, list | tuple | dict):
        return 1
    if id(item) not in measured:
        total = max(len(item), 1)
        for child in (part for pair in item.items() for part in pair) if isinstance(item, dict) else item:
            total += _measure(child, measured, limit)
            if total > limit:
                break
        measured[id(item)] = total
    return measured[id(item)]


def _check_size(value, limit=MAX_VALUE_CHARS, what="builds a value longer than"):
    """The value, if it is small enough (the organization's templates only: a default's values are the app's)."""
    if _budget.get() is not None and isinstance(value, str | list | tuple | dict) and weight(value, limit) > limit:
        raise RenderRefused(f"the template {what} {limit} characters")
    return value


def _finalize(value):
    """Every `{{ ... }}` before it is written: bounded by the render's output cap before its text is made."""
    budget = _budget.get()
    return value if budget is None else _check_size(value, budget.output_cap, "writes more than")


def _check_number(value):
    if isinstance(value, int | float) and not isinstance(value, bool) and abs(value) >= 10**MAX_NUMBER_DIGITS:
        raise RenderRefused(f"the template builds a number of more than {MAX_NUMBER_DIGITS} digits")
    return value


def _digits(number):
    return math.log10(abs(number)) if isinstance(number, int | float) and number else 0.0


# --- what templates are compiled with (ImportedName: a template cannot name these itself) -----------------------


def counted(iterable):
    """A loop's items, each turn counted against the render's budget."""
    budget = _budget.get()
    for item in iterable:
        if budget is not None:
            budget.tick()
        yield item


def joined(*parts):
    """`a ~ b`: the parts as one string, refused when it would be too long."""
    if _budget.get() is not None:
        _check_clock()
        _check_size(list(parts))
    return "".join(str(part) for part in parts)


def built(value):
    """A list, tuple or dict written in the template (`[b, b]`), refused when it would weigh too much."""
    return _check_size(value)


def bounded_range(*args):
    numbers = range(*args)
    if len(numbers) > MAX_ITERATIONS:
        raise RenderRefused(f"range() gives at most {MAX_ITERATIONS} numbers here")
    return numbers


def _join(eval_ctx, value, separator="", attribute=None):
    items = _check_size(list(value))
    if _budget.get() is not None and len(str(separator)) * len(items) > MAX_VALUE_CHARS:
        raise RenderRefused(f"the template builds a value longer than {MAX_VALUE_CHARS} characters")
    return jinja_filters.sync_do_join(eval_ctx, items, separator, attribute)


_join.jinja_pass_arg = jinja_filters.sync_do_join.jinja_pass_arg


def _replace(eval_ctx, value, old, new, count=None):
    text, old, new = str(_check_size(value)), str(_check_size(old)), str(_check_size(new))
    occurrences = text.count(old) if count is None else min(text.count(old), max(count, 0))
    if _budget.get() is not None and len(text) + occurrences * (len(new) - len(old)) > MAX_VALUE_CHARS:
        raise RenderRefused(f"the template builds a value longer than {MAX_VALUE_CHARS} characters")
    return jinja_filters.do_replace(eval_ctx, text, old, new, count)


_replace.jinja_pass_arg = jinja_filters.do_replace.jinja_pass_arg


def _string(value):
    return str(_check_size(value))


SAFE_FILTERS = (
    *("abs", "capitalize", "count", "d", "default", "dictsort", "first", "float", "int", "items", "last", "length"),
    *("list", "lower", "map", "max", "min", "reject", "rejectattr", "reverse", "round", "select", "selectattr"),
    *("sort", "title", "trim", "truncate", "unique", "upper", "wordcount"),
)  # no sum: `[[1] * 10000] * 2 | sum(start=[])` builds lists; no string, join, replace: their own versions below
FILTERS = {name: jinja_filters.FILTERS[name] for name in SAFE_FILTERS} | {
    "join": _join,
    "replace": _replace,
    "string": _string,
}


class _Guard(NodeTransformer):
    """Counts every loop's turns and weighs what `~` and list, tuple and dict literals build (the sandbox has no
    hook for these): each becomes a call of a function of this module, which a template cannot name itself."""

    def __init__(self, environment):
        self.environment = environment

    def _call(self, name, args, lineno):
        function = nodes.ImportedName(f"{__name__}.{name}", lineno=lineno)
        call = nodes.Call(function, args, [], None, None, lineno=lineno)
        return call.set_environment(self.environment)

    def visit_For(self, node):
        node = self.generic_visit(node)
        node.iter = self._call("counted", [node.iter], node.lineno)
        return node

    def visit_Concat(self, node):
        node = self.generic_visit(node)
        return self._call("joined", node.nodes, node.lineno)

    def _built(self, node):
        node = self.generic_visit(node)
        return node if getattr(node, "ctx", "load") != "load" else self._call("built", [node], node.lineno)

    visit_List = visit_Tuple = visit_Dict = _built


class NotificationSandbox(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def _parse(self, source, name, filename):
        return _Guard(self).visit(super()._parse(source, name, filename))

    def is_safe_attribute(self, obj, attr, value):
        if not super().is_safe_attribute(obj, attr, value):
            return False
        if isinstance(obj, str):
            return attr in STRING_METHODS
        if isinstance(obj, dict):
            return attr in DICT_METHODS
        if isinstance(obj, list | tuple):
            return attr in LIST_METHODS
        # numbers have nothing to offer; the loop's own helpers (loop.index, loop.first ...) stay
        return not isinstance(obj, int | float)

    def wrap_str_format(self, value):
        return None  # no str.format: `'{:999999999}'.format(1)` would build a gigabyte (the allow-list refuses it)

    def call_binop(self, context, operator, left, right):
        if operator == "%" and isinstance(left, str):
            raise SecurityError("formatting text with % is not available: write the variables in place")
        if operator == "*":
            for sized, times in ((left, right), (right, left)):
                if (
                    isinstance(sized, str | list | tuple)
                    and isinstance(times, int)
                    and weight(sized) * times > MAX_VALUE_CHARS
                ):
                    raise RenderRefused(f"the template builds a value longer than {MAX_VALUE_CHARS} characters")
            if _digits(left) + _digits(right) >= MAX_NUMBER_DIGITS:
                raise RenderRefused(f"the template builds a number of more than {MAX_NUMBER_DIGITS} digits")
        if (
            operator == "**"
            and isinstance(right, int | float)
            and right > 0
            and _digits(left) * right >= MAX_NUMBER_DIGITS
        ):
            raise RenderRefused(f"the template builds a number of more than {MAX_NUMBER_DIGITS} digits")
        both_sized = isinstance(left, str | list | tuple) and isinstance(right, str | list | tuple)
        if operator == "+" and both_sized and weight(left) + weight(right) > MAX_VALUE_CHARS:
            raise RenderRefused(f"the template builds a value longer than {MAX_VALUE_CHARS} characters")
        _check_clock()
        return _check_number(super().call_binop(context, operator, left, right))

    def getattr(self, obj, attribute):
        _check_clock()
        return super().getattr(obj, attribute)

    def getitem(self, obj, argument):
        _check_clock()
        return super().getitem(obj, argument)

    def call(__self, __context, __obj, *args, **kwargs):  # Jinja's own signature
        _check_clock()
        return _check_size(super().call(__context, __obj, *args, **kwargs))


def _environment():
    environment = NotificationSandbox(
        undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False, finalize=_finalize
    )
    environment.filters = dict(FILTERS)
    environment.globals = {"range": bounded_range}
    return environment


ENVIRONMENT = _environment()


# --- rendering -------------------------------------------------------------------------------------------------


def render_text(template, context, cap=None):
    """A compiled template rendered with `context`. With a cap (the organization's templates): bounded in time,
    loop turns, built values and output (RenderRefused past `cap` characters); without (the defaults): as is."""
    if cap is None:
        return template.render(context)
    token = _budget.set(Budget(time.monotonic() + MAX_RENDER_SECONDS, cap))
    try:
        written, size = [], 0
        for chunk in template.generate(context):
            size += len(chunk)
            if size > cap:
                raise RenderRefused(f"the template writes more than {cap} characters")
            _check_clock()
            written.append(chunk)
        return "".join(written)
    finally:
        _budget.reset(token)


def one_line(text):
    """A subject on one line, whatever the template's spacing."""
    return " ".join(text.split())


def error_line(error):
    """The template line an error happened on (Jinja rewrites tracebacks to the template's lines), or None."""
    if isinstance(error, TemplateSyntaxError):
        return error.lineno
    line, trace = None, error.__traceback__
    while trace is not None:
        if trace.tb_frame.f_code.co_filename == "<template>":
            line = trace.tb_lineno
        trace = trace.tb_next
    return line


def describe(error):
    """What went wrong, in one line a person can act on: "line 3: 'foo' is undefined"."""
    reason = error.message if isinstance(error, TemplateSyntaxError) else str(error)
    if not isinstance(error, TemplateSyntaxError | SecurityError) and type(error).__module__ == "builtins":
        reason = f"{reason} ({type(error).__name__})" if reason else type(error).__name__
    line = error_line(error)
    return f"line {line}: {reason}" if line else reason


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
