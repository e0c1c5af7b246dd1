"""`fields=id,name,user.email`: keep only the named fields of each item, one level of dots deep."""

from app.errors import BadRequest


def parse_fields(raw, allowed):
    """Validate a `fields=` value against `allowed` (names, with `parent.child` for nested ones)."""
    if not raw:
        return None
    requested = [name.strip() for name in raw.split(",") if name.strip()]
    problems = [
        f"Unknown field {name!r}. Allowed: {', '.join(sorted(allowed))}."
        for name in requested
        if name.split(".")[0] not in allowed
    ]
    problems += [f"{name!r}: only one level of dot notation is supported." for name in requested if name.count(".") > 1]
    if problems:
        raise BadRequest("Invalid `fields` parameter.", {"fields": problems})
    selection = {}
    for name in requested:
        top, _, child = name.partition(".")
        if child:
            if selection.get(top) is not True:
                selection.setdefault(top, set()).add(child)
        else:
            selection[top] = True
    return selection


def _select_one(item, selection):
    if not isinstance(item, dict):
        return item
    out = {}
    for key, wanted in selection.items():
        if key not in item:
            continue
        value = item[key]
        if wanted is True:
            out[key] = value
        elif isinstance(value, list):
            out[key] = [{k: v for k, v in (x or {}).items() if k in wanted} for x in value]
        elif isinstance(value, dict):
            out[key] = {k: v for k, v in value.items() if k in wanted}
        else:
            out[key] = value
    return out


def select_fields(data, selection):
    if isinstance(data, list):
        return [_select_one(item, selection) for item in data]
    return _select_one(data, selection)
