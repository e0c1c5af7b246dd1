"""Refuse text no database can store, before any view sees it: never a 500 for what a client sent.

A JSON body may spell a lone surrogate (`"\\ud800"`): Python decodes it, then the database driver cannot
encode it. PostgreSQL refuses NUL characters in text. Python's JSON decoder recurses per nesting level:
5 000 nested arrays raise RecursionError. Query strings and forms are decoded by Werkzeug (invalid UTF-8
becomes U+FFFD), so only NUL can reach the database from them.
"""

import json
import re

from flask import request

from app.errors import BadRequest, ValidationFailed

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_MESSAGE = "Contains a character that cannot be stored (NUL or a lone UTF-16 surrogate)."


def _find_unstorable(value, path):
    """The path (`a.b.0`) of the first string key or value with an unstorable character, or None."""
    stack = [(value, path)]
    while stack:
        value, path = stack.pop()
        if isinstance(value, str):
            if _UNSTORABLE.search(value):
                return path or "_body"
        elif isinstance(value, dict):
            for key, item in value.items():
                child = f"{path}.{key}" if path else str(key)
                if _UNSTORABLE.search(key):
                    return path or "_body"
                stack.append((item, child))
        elif isinstance(value, list):
            stack.extend((item, f"{path}.{index}" if path else str(index)) for index, item in enumerate(value))
    return None


def _check_json_body():
    raw = request.get_data(cache=True)
    if not raw:
        return
    try:
        body = json.loads(raw)
    except RecursionError:
        raise BadRequest("The JSON body is nested too deeply.", {"_body": ["Nested too deeply."]}) from None
    except ValueError:
        return  # malformed JSON: the arguments parser answers 400 with its own message
    field = _find_unstorable(body, "")
    if field is not None:
        raise ValidationFailed("The request has invalid fields.", {field: [_MESSAGE]})


def reject_unstorable_input():
    """before_request: 400 for a query parameter, 422 for a form or JSON field that cannot be stored."""
    for key, values in request.args.lists():
        if _UNSTORABLE.search(key) or any(_UNSTORABLE.search(value) for value in values):
            raise BadRequest(f"Invalid query parameter {key!r}.", {key: [_MESSAGE]})
    if request.is_json:
        _check_json_body()
    elif request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for key, values in request.form.lists():
            if _UNSTORABLE.search(key) or any(_UNSTORABLE.search(value) for value in values):
                raise ValidationFailed("The request has invalid fields.", {key: [_MESSAGE]})
