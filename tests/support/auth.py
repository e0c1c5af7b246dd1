"""The password-reset endpoints and how to read a reset link from the mail, for the tests that use them."""

import re

FORGOT, RESET, LOGIN = "/api/v1/auth/forgot-password", "/api/v1/auth/reset-password", "/api/v1/auth/login"


def reset_token_from(message):
    body = message.get_body(("plain",)).get_content()
    link = re.search(r"https?://\S+/reset-password\?token=(\S+)", body)
    assert link, body
    return link.group(0), link.group(1)
