"""Browsers for tests: a test client on one host that fills in CSRF tokens, and how to start Chromium."""

import os
import re

from tests.conftest import PASSWORD

# Debian's Chromium, driven by Playwright (tests/browser); one browser per module.
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]


class Browser:
    """A test client on one host that reads CSRF tokens from the forms it is shown."""

    def __init__(self, app, tenant):
        self.client = app.test_client()
        self.host = f"{tenant.slug}.localhost:5000" if tenant else "localhost:5000"

    def get(self, path, **kwargs):
        return self.client.get(path, headers={"Host": self.host, **kwargs.pop("headers", {})}, **kwargs)

    def post(self, path, data=None, csrf_from=None, **kwargs):
        data = dict(data or {})
        if csrf_from is not None:
            page = self.get(csrf_from).get_data(as_text=True)
            data["csrf_token"] = re.search(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        return self.client.post(path, data=data, headers={"Host": self.host, **kwargs.pop("headers", {})}, **kwargs)

    def sign_in(self, email, password=PASSWORD, next_path=None):
        path = "/login" + (f"?next={next_path}" if next_path else "")
        return self.post(path, {"email": email, "password": password}, csrf_from="/login")
