"""The development outbox: what the local SMTP sink kept, for operators only."""

import re
import smtplib
import time
from email.message import EmailMessage

import pytest

from scripts.mail_sink import KeepToDisk
from tests.conftest import PASSWORD, build_app
from tests.support.services import free_port


@pytest.fixture
def sink(tmp_path):
    from aiosmtpd.controller import Controller

    port = free_port()
    controller = Controller(KeepToDisk(tmp_path / "outbox"), hostname="127.0.0.1", port=port)
    controller.start()
    yield port, tmp_path / "outbox"
    controller.stop()


def test_operator_reads_mail_kept_by_the_development_sink(app_config, sink, operator_token):
    port, folder = sink
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "a@example.org", "b@example.org", "Reset your password"
    message.set_content("Choose a new one: http://demo.localhost:5000/reset-password?token=abc")
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        smtp.send_message(message)
    for _ in range(50):
        if list(folder.glob("*.eml")):
            break
        time.sleep(0.05)

    app = build_app(app_config, OUTBOX_DIR=str(folder))
    client = app.test_client()
    platform = {"Host": "localhost:5000"}
    assert client.get("/outbox", headers=platform).status_code == 302  # sign in first
    page = client.get("/login", headers=platform).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post(
        "/login", headers=platform, data={"csrf_token": token, "email": "operator@example.org", "password": PASSWORD}
    )
    listing = client.get("/outbox", headers=platform).get_data(as_text=True)
    assert "Reset your password" in listing and "b@example.org" in listing
    name = next(folder.glob("*.eml")).name
    shown = client.get(f"/outbox/{name}", headers=platform).get_data(as_text=True)
    assert '<a href="http://demo.localhost:5000/reset-password?token=abc"' in shown
    assert client.get("/outbox/..%2f..%2fetc%2fpasswd", headers=platform).status_code == 404
