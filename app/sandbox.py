"""The bounded Jinja sandbox for templates an organization writes itself (certificate HTML, notification words).

Jinja's immutable sandbox stops attribute tricks (`''.__class__`, changing what a template is handed) but not cost
bombs: `'{:999999999}'.format(1)`, `'a'.ljust(10**9)`, `9 ** 999999`, `[l, l]` doubled twenty times, nested loops
over a long string. `BoundedSandbox` narrows and bounds it; each feature makes one with its own allow-lists and
`Limits` (certificate templates are autoescaped HTML, notification words plain text):
- attributes: only the allow-listed methods of strings, dicts and lists, nothing of numbers, no `str.format`;
  filters: what the feature offers (`SAFE_FILTERS`, `join`/`replace`/`string` weighed first: `BOUNDED_FILTERS`);
- sizes: what a template builds (`*`, `+`, `~`, a list, tuple or dict it writes, a call's result) may not weigh
  more than `max_value_chars` (`weight`), numbers stay below 10**max_number_digits, no `%` formatting of text, and
  every `{{ ... }}` is weighed against the render's output cap before its text is made;
- time: every loop turn (any iterable: a range, a string, a list) counts against one budget of `max_iterations`
  per render and checks the deadline, as do attribute reads, item reads, calls and operators (`render_bounded`);
- the tree: `tag_problems` names the tags that would buffer output past the cap or reach other templates (macros,
  call, filter and `{% set %}` blocks, blocks, extends, include, import, recursive loops), `deepest` a template
  nested past what Jinja's compiler (recursive) can take.
The budget lives in a context variable set by `render_bounded`: a template rendered without it (the app's own
defaults) is only bounded by the operators' checks.
"""

import math
import time
from contextvars import ContextVar
from dataclasses import dataclass

from jinja2 import TemplateSyntaxError, nodes
from jinja2 import filters as jinja_filters
from jinja2.exceptions import SecurityError
from jinja2.runtime import markup_join
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.visitor import NodeTransformer
from markupsafe import soft_str

MAX_NESTING = 40  # levels of a template's tree: Jinja's compiler, and Python's, recurse per level

STRING_METHODS = frozenset(
    {"upper", "lower", "title", "capitalize", "strip", "lstrip", "rstrip", "startswith", "endswith", "split"}
    | {"count", "find", "isdigit", "isalpha", "isspace"}
)  # none that grows its text: no ljust, center, zfill, format, expandtabs, join, replace
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


@dataclass(frozen=True)
class Limits:
    max_iterations: int  # loop turns in one render, all loops together; also the most numbers `range` gives
    max_value_chars: int  # the weight of a value a template builds
    max_number_digits: int = 300


@dataclass
class Budget:
    limits: Limits
    seconds: float
    output_cap: int
    deadline: float = 0.0
    iterations: int = 0

    def __post_init__(self):
        self.deadline = time.monotonic() + self.seconds

    def tick(self):
        self.iterations += 1
        if self.iterations > self.limits.max_iterations:
            raise RenderRefused(f"the template loops more than {self.limits.max_iterations} times")
        self.check_clock()

    def check_clock(self):
        if time.monotonic() > self.deadline:
            raise RenderRefused(f"the template took longer than {self.seconds:g} s to render")


_budget = ContextVar("template_render_budget", default=None)


def render_bounded(template, context, output_cap, seconds):
    """A compiled template of a `BoundedSandbox` rendered with `context`, cut (RenderRefused) once it has run
    `seconds`, turned its loops more than its limits allow, built too big a value or written `output_cap`."""
    token = _budget.set(Budget(template.environment.limits, seconds, output_cap))
    try:
        written, size = [], 0
        for chunk in template.generate(context):
            size += len(chunk)
            if size > output_cap:
                raise RenderRefused(f"the template writes more than {output_cap} characters")
            check_clock()
            written.append(chunk)
        return "".join(written)
    finally:
        _budget.reset(token)


def check_clock():
    budget = _budget.get()
    if budget is not None:
        budget.check_clock()


# --- weights ---------------------------------------------------------------------------------------------------


def weight(value, limit):
    """How big a value is, about as long as its text: a string's length, a number's digits, a list's, tuple's or
    dict's items plus theirs (a list holding one list 20 000 times weighs 20 000 times that list; each distinct
    list is measured once). Counting stops once past `limit`."""
    return _measure(value, {}, limit)


def _measure(item, measured, limit):
    if isinstance(item, str):
        return len(item)
    if isinstance(item, int | float) and not isinstance(item, bool):
        return 1 + int(digits(item))
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


def digits(number):
    return math.log10(abs(number)) if isinstance(number, int | float) and number else 0.0


def check_size(value, limit=None, what="builds a value longer than"):
    """The value, if it is small enough for the render under way (none: the app's own template, as is)."""
    budget = _budget.get()
    if budget is None or not isinstance(value, str | list | tuple | dict):
        return value
    limit = budget.limits.max_value_chars if limit is None else limit
    if weight(value, limit) > limit:
        raise RenderRefused(f"the template {what} {limit} characters")
    return value


def _too_long(limit):
    return RenderRefused(f"the template builds a value longer than {limit} characters")


def finalize(value):
    """Every `{{ ... }}` before it is written: bounded by the render's output cap before its text is made."""
    budget = _budget.get()
    return value if budget is None else check_size(value, budget.output_cap, "writes more than")


# --- what templates are compiled with (ImportedName: a template cannot name these itself) -----------------------


def counted(iterable):
    """A loop's items, each turn counted against the render's budget and its deadline."""
    budget = _budget.get()
    for item in iterable:
        if budget is not None:
            budget.tick()
        yield item


def joined(*parts):
    """`a ~ b` in plain text: the parts as one string, refused when it would be too long."""
    if _budget.get() is not None:
        check_clock()
        check_size(list(parts))
    return "".join(soft_str(part) for part in parts)


def markup_joined(*parts):
    """`a ~ b` in autoescaped HTML: as Jinja joins them (Markup escapes the plain parts), weighed first."""
    if _budget.get() is not None:
        check_clock()
        check_size(list(parts))
    return markup_join(parts)


def built(value):
    """A list, tuple or dict written in the template (`[b, b]`), refused when it would weigh too much."""
    return check_size(value)


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
        return self._call("markup_joined" if self.environment.autoescape else "joined", node.nodes, node.lineno)

    def _built(self, node):
        node = self.generic_visit(node)
        return node if getattr(node, "ctx", "load") != "load" else self._call("built", [node], node.lineno)

    visit_List = visit_Tuple = visit_Dict = _built


# --- filters ---------------------------------------------------------------------------------------------------


def _join(eval_ctx, value, separator="", attribute=None):
    items = check_size(list(value))
    budget = _budget.get()
    if budget is not None and len(str(separator)) * len(items) > budget.limits.max_value_chars:
        raise _too_long(budget.limits.max_value_chars)
    return jinja_filters.sync_do_join(eval_ctx, items, separator, attribute)


_join.jinja_pass_arg = jinja_filters.sync_do_join.jinja_pass_arg


def _replace(eval_ctx, value, old, new, count=None):
    text, old, new = (soft_str(check_size(part)) for part in (value, old, new))
    occurrences = text.count(old) if count is None else min(text.count(old), max(count, 0))
    budget = _budget.get()
    if budget is not None and len(text) + occurrences * (len(new) - len(old)) > budget.limits.max_value_chars:
        raise _too_long(budget.limits.max_value_chars)
    return jinja_filters.do_replace(eval_ctx, text, old, new, count)


_replace.jinja_pass_arg = jinja_filters.do_replace.jinja_pass_arg


def _string(value):
    return soft_str(check_size(value))


SAFE_FILTERS = (
    *("abs", "capitalize", "count", "d", "default", "dictsort", "first", "float", "int", "items", "last", "length"),
    *("list", "lower", "map", "max", "min", "reject", "rejectattr", "reverse", "round", "select", "selectattr"),
    *("sort", "title", "trim", "truncate", "unique", "upper", "wordcount"),
)  # no sum: `[[1] * 10000] * 2 | sum(start=[])` builds lists; no center, indent, format, wordwrap, batch, slice
BOUNDED_FILTERS = {"join": _join, "replace": _replace, "string": _string}


def filters_of(*names):
    """Jinja's filters of these names plus the bounded `join`, `replace` and `string`."""
    return {name: jinja_filters.FILTERS[name] for name in names} | BOUNDED_FILTERS


# --- the environment -------------------------------------------------------------------------------------------


def _bounded_range(limit):
    def bounded_range(*args):
        numbers = range(*args)
        if len(numbers) > limit:
            raise RenderRefused(f"range() gives at most {limit} numbers here")
        return numbers

    return bounded_range


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox, narrowed to allow-listed methods and filters and bounded in size and time."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(
        self,
        limits,
        filters,
        string_methods=STRING_METHODS,
        dict_methods=DICT_METHODS,
        list_methods=LIST_METHODS,
        **options,
    ):
        super().__init__(finalize=finalize, **options)
        self.limits = limits
        self.string_methods, self.dict_methods, self.list_methods = string_methods, dict_methods, list_methods
        self.filters = dict(filters)
        self.globals = {"range": _bounded_range(limits.max_iterations)}  # no cycler, joiner, namespace, lipsum, dict

    def _parse(self, source, name, filename):
        return _Guard(self).visit(super()._parse(source, name, filename))

    def is_safe_attribute(self, obj, attr, value):
        if not super().is_safe_attribute(obj, attr, value):
            return False
        if isinstance(obj, str):
            return attr in self.string_methods
        if isinstance(obj, dict):
            return attr in self.dict_methods
        if isinstance(obj, list | tuple):
            return attr in self.list_methods
        # numbers have nothing to offer; the loop's own helpers (loop.index, loop.first ...) stay
        return not isinstance(obj, int | float)

    def wrap_str_format(self, value):
        return None  # no str.format: `'{:999999999}'.format(1)` would build a gigabyte (the allow-list refuses it)

    def call_binop(self, context, operator, left, right):
        limit, most_digits = self.limits.max_value_chars, self.limits.max_number_digits
        if operator == "%" and isinstance(left, str):
            raise SecurityError("formatting text with % is not available: write the variables in place")
        if operator == "*":
            for sized, times in ((left, right), (right, left)):
                if (
                    isinstance(sized, str | list | tuple)
                    and isinstance(times, int)
                    and weight(sized, limit) * times > limit
                ):
                    raise _too_long(limit)
            if digits(left) + digits(right) >= most_digits:
                raise RenderRefused(f"the template builds a number of more than {most_digits} digits")
        if operator == "**" and isinstance(right, int | float) and right > 0 and digits(left) * right >= most_digits:
            raise RenderRefused(f"the template builds a number of more than {most_digits} digits")
        both_sized = isinstance(left, str | list | tuple) and isinstance(right, str | list | tuple)
        if operator == "+" and both_sized and weight(left, limit) + weight(right, limit) > limit:
            raise _too_long(limit)
        check_clock()
        result = super().call_binop(context, operator, left, right)
        if isinstance(result, int | float) and not isinstance(result, bool) and abs(result) >= 10**most_digits:
            raise RenderRefused(f"the template builds a number of more than {most_digits} digits")
        return result

    def getattr(self, obj, attribute):
        check_clock()
        return super().getattr(obj, attribute)

    def getitem(self, obj, argument):
        check_clock()
        return super().getitem(obj, argument)

    def call(__self, __context, __obj, *args, **kwargs):  # Jinja's own signature
        check_clock()
        return check_size(super().call(__context, __obj, *args, **kwargs))


# --- checks of a template's tree -------------------------------------------------------------------------------


def assigned_names(tree):
    """Names the template sets itself (set, for, with): not the feature's variables. Jinja counts a name set in one
    branch of an `if` as undeclared, so they are taken from the whole tree."""
    return {name.name for name in tree.find_all(nodes.Name) if name.ctx in ("store", "param")}


def deepest(tree, most=MAX_NESTING):
    """The first node nested deeper than `most` levels (walked without recursion), or None."""
    stack = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > most:
            return node
        stack.extend((child, depth + 1) for child in node.iter_child_nodes())
    return None


def tag_problems(tree, where):
    """[(line, reason)] of the tags a bounded template may not use ("macros are not available in <where>")."""
    found = [
        (node.lineno, f"{word} are not available in {where}")
        for node_type, word in UNAVAILABLE_TAGS.items()
        for node in tree.find_all(node_type)
    ]
    found += [
        (loop.lineno, f"recursive loops are not available in {where}")
        for loop in tree.find_all(nodes.For)
        if loop.recursive
    ]
    return found


# --- what went wrong, for a person -----------------------------------------------------------------------------


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
