"""E-mail address syntax: a strict fast path for plain ASCII addresses, email-validator otherwise.

email-validator costs ~37 µs an address; a bulk import checks 100 000 of them. The pattern below
only accepts addresses that email-validator accepts too (dot-atom local part, LDH labels, an
alphabetic TLD that is not special-use); anything else is still decided by email-validator.
"""

import re

from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email

from app.errors import ValidationFailed

_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_PLAIN = re.compile(rf"^{_ATOM}(?:\.{_ATOM})*@(?:{_LABEL}\.)+(?P<tld>[A-Za-z]{{2,63}})$")
_SPECIAL = frozenset(SPECIAL_USE_DOMAIN_NAMES)


def check_email(address):
    """(normalized address, None) or (None, reason)."""
    address = (address or "").strip()
    match = _PLAIN.match(address)
    if match and len(address) <= 254 and len(address.split("@", 1)[0]) <= 64 and match["tld"].lower() not in _SPECIAL:
        return address.lower(), None
    try:
        return validate_email(address, check_deliverability=False).normalized.lower(), None
    except EmailNotValidError as error:
        return None, str(error)


def normalize_email(email):
    """The address as we store it; ValidationFailed (under "email") when it is not one."""
    normalized, problem = check_email(email)
    if problem:
        raise ValidationFailed("Invalid e-mail address.", {"email": [problem]})
    return normalized
