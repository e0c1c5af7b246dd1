"""The development outbox lists mail paged, searchable by recipient or subject, filtered by organization."""

import time

import pytest

from app.mail import build_message, send_many
from app.tenancy.context import tenant_context
from scripts.mail_sink import KeepToDisk
from tests.conftest import build_app
from tests.support.browser import Browser
from tests.support.services import free_port


@pytest.fixture
def outbox_app(app_config, tmp_path, operator_token):
    """An app whose mail goes to a real development sink keeping .eml files, and whose outbox reads them."""
    from aiosmtpd.controller import Controller

    port, folder = free_port(), tmp_path / "outbox"
    controller = Controller(KeepToDisk(folder), hostname="127.0.0.1", port=port)
    controller.start()
    yield build_app(app_config, OUTBOX_DIR=str(folder), MAIL_PORT=port), folder
    controller.stop()


def send(app, tenant, messages):
    with tenant_context(tenant, app):
        send_many([build_message(to, subject, "Hello.") for to, subject in messages])


def wait_for(folder, count):
    for _ in range(100):
        if len(list(folder.glob("*.eml"))) >= count:
            return
        time.sleep(0.05)
    raise AssertionError(f"the sink kept {len(list(folder.glob('*.eml')))} of {count} messages")


def test_outbox_pages_searches_and_filters_by_organization(outbox_app, make_tenant):
    app, folder = outbox_app
    north, south = make_tenant(name="North School"), make_tenant(name="South School")
    send(app, north, [(f"pupil{n:02d}@north.example", f"Welcome {n:02d}") for n in range(40)])
    send(app, south, [(f"pupil{n:02d}@south.example", "Reset your password") for n in range(20)])
    wait_for(folder, 60)

    operator = Browser(app, None)
    operator.sign_in("operator@example.org")
    first = operator.get("/outbox").get_data(as_text=True)
    assert "60 messages" in first and "Page 1 of 2" in first and "North School (" in first
    second = operator.get("/outbox?page=2").get_data(as_text=True)
    assert "Page 2 of 2" in second and second.count("<tr><td>") == 10

    by_org = operator.get(f"/outbox?organization={south.slug}", headers={"HX-Request": "true"})
    fragment = by_org.get_data(as_text=True)
    assert fragment.startswith('<section id="outbox-results">') and "20 messages" in fragment
    assert "north.example" not in fragment and south.slug in fragment

    assert "1 message" in operator.get("/outbox?q=PUPIL07@NORTH").get_data(as_text=True)
    by_subject = operator.get(f"/outbox?q=reset+your&organization={north.slug}").get_data(as_text=True)
    assert "0 messages" in by_subject and "No mail matches." in by_subject
    assert "20 messages" in operator.get("/outbox?q=reset+your").get_data(as_text=True)
    assert operator.get("/outbox?page=abc").status_code == operator.get("/outbox?page=%C2%B2").status_code == 200
