"""Field types every API schema uses, so that what the document promises is what the code accepts.

- Whole numbers the database can hold. Ids and counts are `INTEGER` columns: signed 32-bit on
  PostgreSQL (SQLite's hold 64 bits); a bigger number reached the driver and failed there (PostgreSQL:
  "out of range", SQLite past 2^63: OverflowError), which was a 500. Ids start at 1, so 0 and negatives
  are nobody.
- Strict JSON types: `1` is not `true` and `"1"` is not `1` in a JSON body (query strings are text, so
  their fields say `strict=False`).
- Timestamps as UTC with an explicit offset (`2026-01-31T09:00:00Z`). The databases store naive UTC
  (`app.tenancy.models.utcnow`); a naive value is not an RFC 3339 `date-time`, which is what the
  document promises and generated clients parse.
"""

from datetime import UTC

import marshmallow as ma
import sqlalchemy as sa
from marshmallow import validate
from werkzeug.routing import IntegerConverter

INT32 = (-(2**31), 2**31 - 1)  # sa.Integer on PostgreSQL: every id and count column
INT64 = (-(2**63), 2**63 - 1)  # sa.BigInteger (file sizes)
MIN_INT, MAX_INT = INT32
MAX_ID = MAX_INT


def range_of(column_type):
    """The (min, max) an integer column of this SQLAlchemy type holds on both databases."""
    if isinstance(column_type, sa.BigInteger):
        return INT64
    if isinstance(column_type, sa.SmallInteger):
        return (-(2**15), 2**15 - 1)
    return INT32


class BoundedIntegerConverter(IntegerConverter):
    """`<int:id>` in every route: 1 to 2^31-1 (an id column), anything else matches no route (404)."""

    def __init__(self, map, fixed_digits=0, min=1, max=MAX_ID, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


class Integer(ma.fields.Integer):
    """A whole number a database column can hold; `minimum`/`maximum` narrow it.

    Strict in JSON (no "1", no 1.0, no true); `strict=False` for query strings, where everything is text.
    """

    def __init__(self, *, minimum=MIN_INT, maximum=MAX_INT, strict=True, **kwargs):
        validators = kwargs.pop("validate", None) or []
        validators = list(validators) if isinstance(validators, list | tuple) else [validators]
        super().__init__(strict=strict, validate=[validate.Range(min=minimum, max=maximum), *validators], **kwargs)


class Id(Integer):
    """The id of a row: 1 to 2^31-1."""

    def __init__(self, **kwargs):
        super().__init__(minimum=1, **kwargs)


def id_list(**kwargs):
    """A JSON list of ids."""
    return ma.fields.List(Id(), **kwargs)


def as_utc(value):
    """A naive UTC datetime from the database, made aware; an aware one, converted to UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class UtcDateTime(ma.fields.DateTime):
    """`date-time` in the document; dumped as `YYYY-MM-DDTHH:MM:SS[.ffffff]Z`."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return as_utc(value).isoformat().replace("+00:00", "Z")


class Boolean(ma.fields.Boolean):
    """`true` or `false` in JSON (not 0, 1 or "yes"); `strict=False` for query strings and forms."""

    def __init__(self, *, strict=True, **kwargs):
        super().__init__(**kwargs)
        self.strict = strict

    def _deserialize(self, value, attr, data, **kwargs):
        if self.strict and not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return super()._deserialize(value, attr, data, **kwargs)


class ChangesSchema(ma.Schema):
    """A body of changes (PUT): at least one field. An empty body changes nothing and is a 422, so that a
    client that lost its payload hears about it; the document says `minProperties: 1`."""

    class Meta:
        min_properties = 1

    @ma.validates_schema(pass_original=True)
    def _something_to_change(self, data, original_data, **kwargs):
        if not original_data:
            raise ma.ValidationError("Nothing to change: send at least one field.", "_schema")
