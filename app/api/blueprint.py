"""flask-smorest's Api and Blueprint, answering in the standard envelope.

Every successful JSON body is `{"success": true, "data": ..., "meta": ..., "error": null}`; the
OpenAPI document describes the same envelope, so integrators see what they get.
"""

from http import HTTPStatus

import marshmallow as ma
from apispec import BasePlugin
from flask import g
from flask_smorest import Api, Blueprint
from webargs.flaskparser import FlaskParser
from webargs.multidictproxy import MultiDictProxy
from werkzeug.datastructures import CombinedMultiDict

from app.api.fields import select_fields
from app.security.permissions import PERSONAL_PERMISSIONS

BEARER_AUTH = {"bearerAuth": []}
API_KEY_AUTH = {"apiKeyAuth": []}


class ErrorBodySchema(ma.Schema):
    code = ma.fields.String(metadata={"example": "VALIDATION_ERROR"})
    message = ma.fields.String()
    details = ma.fields.Dict(metadata={"description": "field -> list of messages"})
    request_id = ma.fields.String(
        allow_none=True,
        metadata={"description": "this request's id (also its X-Request-Id header): quote it to support"},
    )


class ErrorEnvelopeSchema(ma.Schema):
    success = ma.fields.Boolean(metadata={"example": False})
    data = ma.fields.Raw(allow_none=True, metadata={"example": None})
    meta = ma.fields.Raw(allow_none=True, metadata={"example": None})
    error = ma.fields.Nested(ErrorBodySchema)


class PageMetaSchema(ma.Schema):
    page = ma.fields.Integer()
    per_page = ma.fields.Integer()
    total = ma.fields.Integer()


_envelope_schemas = {}  # (schema class, many) -> its envelope


def envelope_schema_for(schema):
    """An OpenAPI-only schema describing `schema` inside the envelope.

    Kept per schema class, not per name: two classes of one name (a `PreviewSchema` in two features) would share
    the first one's envelope, and the second would vanish from the document without a word. Per class, both reach
    apispec, and tests/api/test_api_document.py refuses the shared name."""
    many = getattr(schema, "many", False)
    key = (type(schema), many)
    if key not in _envelope_schemas:
        name = f"{type(schema).__name__.removesuffix('Schema')}{'List' if many else ''}Envelope"
        _envelope_schemas[key] = type(
            name,
            (ma.Schema,),
            {
                "__module__": type(schema).__module__,  # where it comes from, in a test's message
                "success": ma.fields.Boolean(metadata={"example": True}),
                "data": ma.fields.Nested(type(schema), many=many),
                "meta": ma.fields.Nested(PageMetaSchema, allow_none=True),
                "error": ma.fields.Raw(allow_none=True, metadata={"example": None}),
            },
        )
    return _envelope_schemas[key]


def envelope(data, meta=None):
    return {"success": True, "data": data, "meta": meta, "error": None}


class ArgumentsParser(FlaskParser):
    """webargs' Flask parser with a `multipart` location: a form's fields and files in one schema, so that
    the document shows one multipart/form-data body with every part (smorest documents one body only)."""

    __location_map__ = {**FlaskParser.__location_map__, "multipart": "load_multipart"}

    def load_multipart(self, req, schema):
        return MultiDictProxy(CombinedMultiDict([req.files, req.form]), schema)


class ApiBlueprint(Blueprint):
    """A smorest Blueprint whose responses are wrapped in the envelope."""

    ARGUMENTS_PARSER = ArgumentsParser()
    DEFAULT_LOCATION_CONTENT_TYPE_MAPPING = {
        **Blueprint.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING,
        "multipart": "multipart/form-data",
    }

    def _store_endpoint_docs(self, endpoint, obj, parameters, tags, **options):
        # smorest's (private) step that gathers each method's doc: the one place that sees the view itself.
        super()._store_endpoint_docs(endpoint, obj, parameters, tags, **options)
        for method, doc in self._docs[endpoint].items():
            if method != "parameters":
                view = getattr(obj, method) if isinstance(obj, type) else obj
                _document_auth_and_errors(doc, view, method)

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


def _document_auth_and_errors(doc, view, method):
    """Security from `@requires` (bearer token, or an API key unless the permission is personal), and every
    error status the operation can answer, each in the error envelope."""
    permission = getattr(view, "required_permission", None)
    statuses = [400, 401, 404, 429]
    if permission is not None:
        security = [BEARER_AUTH] if permission in PERSONAL_PERMISSIONS else [BEARER_AUTH, API_KEY_AUTH]
        doc.setdefault("manual_doc", {})["security"] = security
        statuses.append(403)
    if method in ("post", "put", "delete"):
        statuses += [409, 422]
    documented = set(doc.get("arguments", {}).get("responses", {}))
    responses = doc.setdefault("response", {}).setdefault("responses", {})
    for status in statuses:
        if status not in documented and status not in responses:
            responses[status] = [HTTPStatus(status).name]


class EnvelopeApi(Api):
    ERROR_SCHEMA = ErrorEnvelopeSchema
    DEFAULT_ERROR_RESPONSE_NAME = "DEFAULT_ERROR"

    def _init_spec(self, *, extra_plugins=None, **kwargs):
        super()._init_spec(extra_plugins=[*(extra_plugins or ()), DocumentPlugin()], **kwargs)
        self.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
        self.spec.components.security_scheme(
            "apiKeyAuth",
            {"type": "apiKey", "in": "header", "name": "X-API-Key", "description": "An organization's API key."},
        )

    def _register_error_handlers(self):
        """Errors are handled app-wide by app.api.errors (HTML outside /api/, envelope inside)."""


class DocumentPlugin(BasePlugin):
    """What the marshmallow plugin cannot say: `minProperties` from a schema's `Meta.min_properties`."""

    def schema_helper(self, name, definition, **kwargs):
        schema = kwargs.get("schema")
        schema_class = schema if isinstance(schema, type) else type(schema)
        minimum = getattr(getattr(schema_class, "Meta", None), "min_properties", None)
        return {"minProperties": minimum} if minimum else None
