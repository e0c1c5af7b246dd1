"""One place that turns every error into the envelope (under /api/) or an HTML page (elsewhere)."""

from flask import current_app, redirect, render_template, request, url_for
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException, InternalServerError

from app.errors import DomainError
from app.observability.request_id import current_request_id

ERROR_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "VALIDATION_ERROR",
    429: "RATE_LIMITED",
    500: "INTERNAL_ERROR",
    503: "SERVICE_UNAVAILABLE",
}


def wants_envelope():
    return request.path.startswith("/api/")


def error_envelope(status, message, details=None, code=None):
    return {
        "success": False,
        "data": None,
        "meta": None,
        "error": {
            "code": code or ERROR_CODES.get(status, "ERROR"),
            "message": message,
            "details": details or {},
            "request_id": current_request_id(),  # what a support request quotes (also the X-Request-Id header)
        },
    }


def _flatten_webargs_messages(messages):
    """webargs nests errors by location ({"json": {"name": [...]}}); integrators want fields."""
    details = {}
    for location, fields in (messages or {}).items():
        if isinstance(fields, dict):
            for field, errors in fields.items():
                details.setdefault(field, []).extend(errors if isinstance(errors, list) else [errors])
        else:
            details.setdefault(location, []).extend(fields if isinstance(fields, list) else [fields])
    return details


def _render(status, message, details=None, code=None, headers=None):
    if wants_envelope():
        return error_envelope(status, message, details, code), status, headers or {}
    if status == 401:  # a page that needs a signed-in user: sign in first, then come back
        return redirect(url_for("auth_pages.login", next=request.full_path.rstrip("?")))
    template = "errors/404.html" if status == 404 else "errors/error.html"
    html = render_template(template, status=status, message=message, details=details or {})
    return html, status, headers or {}


def handle_domain_error(error):
    return _render(error.status, error.message, error.details, error.code, error.headers)


def handle_http_exception(error):
    data = getattr(error, "data", None) or {}
    headers = dict(data.get("headers") or {})
    if error.code == 422 and "messages" in data:
        details = _flatten_webargs_messages(data["messages"])
        return _render(422, "The request has invalid fields.", details, headers=headers)
    if error.code == 405 and error.valid_methods:
        headers["Allow"] = ", ".join(error.valid_methods)
    message = data.get("message") or error.description
    return _render(error.code, message, data.get("errors"), headers=headers)


def handle_validation_error(error):
    details = error.messages if isinstance(error.messages, dict) else {"_schema": error.messages}
    return _render(422, "The request has invalid fields.", details)


def handle_unexpected(error):
    if isinstance(error, HTTPException):
        return handle_http_exception(error)
    current_app.logger.exception("Unhandled error on %s %s", request.method, request.path)
    return _render(500, InternalServerError.description)


def register_error_handlers(app):
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(ValidationError, handle_validation_error)
    app.register_error_handler(Exception, handle_unexpected)
