"""CSV cells that spreadsheets would run as formulas are neutralised in every CSV we write."""

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """`=HYPERLINK(…)` -> `'=HYPERLINK(…)`: shown as text, never evaluated (OWASP CSV injection)."""
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def safe_row(values):
    return [safe_cell(value) for value in values]
