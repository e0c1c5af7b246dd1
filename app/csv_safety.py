"""CSV cells that spreadsheets would run as formulas are neutralised in every CSV we write."""

import unicodedata

_FORMULA_STARTS = ("=", "+", "-", "@", "\u2212")  # U+2212 MINUS SIGN: NFKC leaves it, some spreadsheets don't
_CONTROL_STARTS = ("\t", "\r", "\n")


def looks_like_formula(text):
    """True when a spreadsheet could read the cell as a formula: a formula character first, also as its
    fullwidth or small look-alike (U+FF1D, U+FE66 ...: NFKC folds them), also after leading spaces,
    or a leading tab or line break (both make spreadsheets re-read what follows)."""
    if text.startswith(_CONTROL_STARTS):
        return True
    return unicodedata.normalize("NFKC", text.lstrip()[:8]).lstrip().startswith(_FORMULA_STARTS)


def safe_cell(value):
    """`=HYPERLINK(…)` -> `'=HYPERLINK(…)`: shown as text, never evaluated (OWASP CSV injection)."""
    if value is None:
        return ""
    text = str(value)
    return "'" + text if looks_like_formula(text) else text


def safe_row(values):
    return [safe_cell(value) for value in values]
