"""flask-smorest's Api and Blueprint, answering in the standard envelope.

Every successful JSON body is `{"success": true, "data": ..., "meta": ..., "error": null}`; the
OpenAPI document describes the same envelope, so integrators see what they get.
"""

import marshmallow as ma
from flask import g
from flask_smorest import Api, Blueprint

from app.api.fields import select_fields


class ErrorBodySchema(ma.Schema):
    code = ma.fields.String(metadata={"example": "VALIDATION_ERROR"})
    message = ma.fields.String()
    details = ma.fields.Dict(metadata={"description": "field -> list of messages"})


class ErrorEnvelopeSchema(ma.Schema):
    success = ma.fields.Boolean(metadata={"example": False})
    data = ma.fields.Raw(allow_none=True, metadata={"example": None})
    meta = ma.fields.Raw(allow_none=True, metadata={"example": None})
    error = ma.fields.Nested(ErrorBodySchema)


class PageMetaSchema(ma.Schema):
    page = ma.fields.Integer()
    per_page = ma.fields.Integer()
    total = ma.fields.Integer()


_envelope_schemas = {}


def envelope_schema_for(schema):
    """An OpenAPI-only schema describing `schema` inside the envelope."""
    many = getattr(schema, "many", False)
    name = f"{type(schema).__name__.removesuffix('Schema')}{'List' if many else ''}Envelope"
    if name not in _envelope_schemas:
        _envelope_schemas[name] = type(
            name,
            (ma.Schema,),
            {
                "success": ma.fields.Boolean(metadata={"example": True}),
                "data": ma.fields.Nested(type(schema), many=many),
                "meta": ma.fields.Nested(PageMetaSchema, allow_none=True),
                "error": ma.fields.Raw(allow_none=True, metadata={"example": None}),
            },
        )
    return _envelope_schemas[name]


def envelope(data, meta=None):
    return {"success": True, "data": data, "meta": meta, "error": None}


class ApiBlueprint(Blueprint):
    """A smorest Blueprint whose responses are wrapped in the envelope."""

    @staticmethod
    def _make_doc_response_schema(schema):
        if schema is None or isinstance(schema, (str, dict)):
            return schema
        return envelope_schema_for(schema)

    @staticmethod
    def _prepare_response_content(data):
        fields = g.get("api_fields")
        if fields:
            data = select_fields(data, fields)
        return envelope(data, g.get("api_meta"))


class EnvelopeApi(Api):
    ERROR_SCHEMA = ErrorEnvelopeSchema
    DEFAULT_ERROR_RESPONSE_NAME = "DEFAULT_ERROR"

    def _register_error_handlers(self):
        """Errors are handled app-wide by app.api.errors (HTML outside /api/, envelope inside)."""
