"""The list helper every list endpoint uses: paging, filtering, sorting and field selection.

    GET /api/v1/users?page=2&per_page=20&filter[role]=teacher&filter[created_at][gte]=2026-01-01
        &filter[email][ilike]=%@example.org&sort=last_name,-created_at&fields=id,email

Filters and sorts are allow-listed per resource (`ListSpec`); values are typed by the column they
filter; everything becomes one SQL query and one count query, nothing is filtered in Python.
"""

import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from flask import g

from app.api.fields import parse_fields
from app.api.types import as_utc, range_of
from app.errors import BadRequest

DEFAULT_PER_PAGE = 10
MAX_PER_PAGE = 100
MAX_PAGE = 1_000_000  # page x per_page stays far inside the 64-bit OFFSET both databases take

_FILTER_KEY = re.compile(r"^filter\[(?P<field>[A-Za-z0-9_.]+)\](?:\[(?P<op>[A-Za-z]+)\])?$")
_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}
_EXPECTED = {
    int: "a whole number the field can hold",
    float: "a number",
    bool: "true or false",
    datetime: "an ISO 8601 date-time (2026-01-31T09:00:00Z; without an offset: UTC)",
    date: "an ISO 8601 date (2026-01-31)",
}


@dataclass(frozen=True)
class FilterBy:
    """A filter that is not a plain column: values are typed like `typed_as`, and `build(op, value)`
    returns the SQL condition (a subquery on a related table, a computed state, ...)."""

    typed_as: object
    build: object


def _typed_column(target):
    return target.typed_as if isinstance(target, FilterBy) else target


@dataclass(frozen=True)
class ListSpec:
    """What a resource allows: filterable and sortable columns, default order, selectable fields."""

    filters: dict
    sorts: dict
    default_sort: tuple = ("id",)
    fields: frozenset = field(default_factory=frozenset)
    tiebreaker: object = None  # a unique column appended to every ORDER BY for stable pages


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    value: object


@dataclass(frozen=True)
class ListQuery:
    page: int
    per_page: int
    conditions: tuple
    order: tuple  # (name, descending)
    fields: dict | None


@dataclass(frozen=True)
class Page:
    items: list
    page: int
    per_page: int
    total: int

    @property
    def meta(self):
        return {"page": self.page, "per_page": self.per_page, "total": self.total}


def _positive_int(args, name, default, maximum):
    raw = args.get(name)
    if raw is None:  # absent; present but empty (`page=`) is not a number, as the document says
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"`{name}` must be a whole number.", {name: ["Not a valid integer."]}) from None
    if not 1 <= value <= maximum:
        raise BadRequest(f"`{name}` must be between 1 and {maximum}.", {name: [f"Must be between 1 and {maximum}."]})
    return value


def _python_type(column):
    try:
        return column.type.python_type
    except NotImplementedError:  # SQLAlchemy's answer for types with no Python equivalent
        return str


def _parse_bool(raw):
    lowered = raw.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError("expected true or false")


def _parse_float(raw):
    value = float(raw)
    if not math.isfinite(value):
        raise ValueError("not a finite number")
    return value


def _parse_datetime(raw):
    """ISO 8601; with an offset it is converted to the naive UTC the databases store."""
    value = datetime.fromisoformat(raw)
    return as_utc(value).replace(tzinfo=None) if value.tzinfo else value


_CALENDAR_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _parse_date(raw):
    """YYYY-MM-DD only: Python also reads "20261126" and "2026-W48-4", which nobody writing a date means."""
    if not _CALENDAR_DATE.match(raw):
        raise ValueError("not YYYY-MM-DD")
    return date.fromisoformat(raw)


_CONVERTERS = {
    bool: _parse_bool,
    int: int,
    float: _parse_float,
    datetime: _parse_datetime,
    date: _parse_date,
}
# Operators that mean something for each type: ordering a boolean, or pattern-matching a number, does not.
_EQUALITY = ("eq", "ne", "in", "nin")
_ORDERED = (*_EQUALITY, "gt", "lt", "gte", "lte")
_OPERATORS_FOR = {bool: _EQUALITY, int: _ORDERED, float: _ORDERED, datetime: _ORDERED, date: _ORDERED}
_TEXT_OPERATORS = (*_ORDERED, "like", "ilike")


def operators_for(column):
    return _OPERATORS_FOR.get(_python_type(column), _TEXT_OPERATORS)


def _coerce_one(column, raw):
    value = _CONVERTERS.get(_python_type(column), str)(raw)
    if isinstance(value, int) and not isinstance(value, bool):
        low, high = range_of(column.type)
        if not low <= value <= high:  # what the column holds; the driver fails past it
            raise ValueError("out of range")
    return value


def _coerce(column, op, raw, key):
    allowed = operators_for(column)
    if op not in allowed:
        raise BadRequest(
            f"`{op}` does not apply to this field.", {key: [f"Operators for this field: {', '.join(allowed)}."]}
        )
    try:
        if op in ("in", "nin"):
            return tuple(_coerce_one(column, part) for part in raw.split(",") if part != "")
        if op in ("like", "ilike"):
            return raw
        return _coerce_one(column, raw)
    except (ValueError, TypeError):
        expected = _EXPECTED.get(_python_type(column), "a valid value")
        raise BadRequest(f"Invalid value for {key}.", {key: [f"{raw!r} is not {expected}."]}) from None


def parse_list_query(args, spec):
    """Validate list parameters against `spec`; raises BadRequest (400) with field details."""
    conditions = []
    for key in args:
        if not key.startswith("filter"):
            continue
        match = _FILTER_KEY.match(key)
        if not match:
            raise BadRequest("Malformed filter parameter.", {key: ["Use filter[field]=v or filter[field][op]=v."]})
        name, op = match["field"], (match["op"] or "eq").lower()
        if name not in spec.filters:
            allowed = ", ".join(sorted(spec.filters)) or "none"
            raise BadRequest(f"Cannot filter on {name!r}.", {key: [f"Unknown filter field. Allowed: {allowed}."]})
        if op not in OPERATORS:
            raise BadRequest(
                f"Unknown filter operator {op!r}.", {key: [f"Operator must be one of {', '.join(OPERATORS)}."]}
            )
        for raw in args.getlist(key):
            conditions.append(Condition(name, op, _coerce(_typed_column(spec.filters[name]), op, raw, key)))

    order = []
    sort_raw = args.get("sort") or ",".join(spec.default_sort)
    for part in (p.strip() for p in sort_raw.split(",")):
        if not part:
            continue
        name = part.lstrip("-+")
        if name not in spec.sorts:
            allowed = ", ".join(sorted(spec.sorts))
            raise BadRequest(
                f"Cannot sort on {name!r}.", {"sort": [f"Unknown sort field {name!r}. Allowed: {allowed}."]}
            )
        order.append((name, part.startswith("-")))

    return ListQuery(
        page=_positive_int(args, "page", 1, MAX_PAGE),
        per_page=_positive_int(args, "per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE),
        conditions=tuple(conditions),
        order=tuple(order),
        fields=parse_fields(args.get("fields"), spec.fields) if spec.fields else None,
    )


_CLAUSES = {
    "eq": lambda column, value: column == value,
    "ne": lambda column, value: column != value,
    "gt": lambda column, value: column > value,
    "lt": lambda column, value: column < value,
    "gte": lambda column, value: column >= value,
    "lte": lambda column, value: column <= value,
    "in": lambda column, value: column.in_(value),
    "nin": lambda column, value: column.not_in(value),
    "like": lambda column, value: column.like(value),
    "ilike": lambda column, value: column.ilike(value),
}
OPERATORS = tuple(_CLAUSES)  # eq ne gt lt gte lte in nin like ilike, as the brief lists them


def clause(column, op, value):
    """`column <op> value` for one of the operators above."""
    return _CLAUSES[op](column, value)


def apply_filters(stmt, query, spec):
    """`stmt` with the query's filters, unordered and unpaged (exports walk it by key)."""
    for condition in query.conditions:
        target = spec.filters[condition.field]
        if isinstance(target, FilterBy):
            stmt = stmt.where(target.build(condition.op, condition.value))
        else:
            stmt = stmt.where(_CLAUSES[condition.op](target, condition.value))
    return stmt


def apply_list_query(stmt, query, spec):
    """`stmt` filtered and ordered as `query` asks (without paging)."""
    stmt = apply_filters(stmt, query, spec)
    order_by = [spec.sorts[name].desc() if desc else spec.sorts[name].asc() for name, desc in query.order]
    if spec.tiebreaker is not None:
        order_by.append(spec.tiebreaker.asc())
    return stmt.order_by(*order_by)


def run_list_query(session, stmt, query, spec, rows=False):
    """One page of `stmt` and the total count, as two SQL statements (`rows`: several columns)."""
    filtered = apply_list_query(stmt, query, spec)
    count_stmt = sa.select(sa.func.count()).select_from(filtered.order_by(None).subquery())
    # The count has no ORM entity of its own: send it to the same bind as the listed entity.
    bind_arguments = {"mapper": stmt.column_descriptions[0]["entity"]}
    total = session.execute(count_stmt, bind_arguments=bind_arguments).scalar_one()
    offset = (query.page - 1) * query.per_page
    paged = filtered.limit(query.per_page).offset(offset)
    items = session.execute(paged).all() if rows else session.scalars(paged).all()
    return Page(items=list(items), page=query.page, per_page=query.per_page, total=total)


def page_response(page, query):
    """Hand a page to the envelope: items as data, paging as meta, `fields=` applied on output."""
    g.api_meta = page.meta
    g.api_fields = query.fields
    return page.items


def list_parameters(spec):
    """OpenAPI parameters documenting the list conventions for one resource."""
    filters = ", ".join(sorted(spec.filters)) or "none"
    sorts = ", ".join(sorted(spec.sorts))
    return [
        {"in": "query", "name": "page", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1}},
        {
            "in": "query",
            "name": "per_page",
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": DEFAULT_PER_PAGE},
        },
        {
            "in": "query",
            "name": "sort",
            "schema": {"type": "string"},
            "description": f"Comma-separated; prefix `-` for descending. Allowed: {sorts}.",
        },
        {
            "in": "query",
            "name": "fields",
            "schema": {"type": "string"},
            "description": "Comma-separated fields to return; one level of dot notation (`user.email`).",
        },
        {
            "in": "query",
            "name": "filter",
            "style": "deepObject",
            "explode": True,
            "schema": {"type": "object"},
            "description": (
                f"`filter[field]=v` or `filter[field][op]=v`, op one of {', '.join(OPERATORS)}; "
                f"`in`/`nin` take comma-separated values. Filterable: {filters}."
            ),
        },
    ]
