"""The SSRF guard with private addresses refused (production): a subscription to loopback, a private network, the
cloud metadata address, IPv6 loopback, an IPv4-mapped address or a name resolving to loopback gets a failed
attempt saying why, and no request reaches the receiver; with them allowed (tests, development), the same
receiver is reached. Saving a URL refuses what can never be sent to."""

import ipaddress

import pytest
import sqlalchemy as sa

from app.errors import ValidationFailed
from app.events import emit_after_commit
from app.extensions import db
from app.tenancy.context import tenant_context
from blueprints.integrations.models import DeliveryStatus, WebhookDelivery
from blueprints.integrations.outbound import check_url_form, why_blocked
from tests.conftest import build_app
from tests.support.integrations import (
    add_subscription,
    attempts_of,
    deliver_until_settled,
    deliveries,
    forget_scheduled_webhook_retries,
    make_webhook_integration,
    run_webhook_jobs,
)
from tests.support.webhook_receiver import WebhookReceiver


@pytest.fixture(autouse=True)
def _no_retries_left_behind(app):
    yield
    forget_scheduled_webhook_retries(app)


@pytest.fixture(scope="module")
def production_app(app_config):
    return build_app(app_config, OUTBOUND_ALLOW_PRIVATE_ADDRESSES=False)


def test_private_addresses_are_refused_at_delivery_and_nothing_reaches_the_receiver(app, production_app, tenant):
    with WebhookReceiver() as receiver:
        port = receiver.port
        reachable = [f"http://127.0.0.1:{port}/hooks", f"http://localhost:{port}/hooks"]
        elsewhere = [
            "http://10.0.0.1/hooks",
            "http://169.254.169.254/latest/meta-data/",
            f"http://[::1]:{port}/hooks",
            f"http://[::ffff:127.0.0.1]:{port}/hooks",
        ]
        loopback_id, first, _ = make_webhook_integration(app, tenant, reachable[0], name="Loopback")
        by_name = add_subscription(app, tenant, loopback_id, reachable[1])
        other_id, other_first, _ = make_webhook_integration(app, tenant, elsewhere[0], name="Elsewhere")
        for url in elsewhere[1:]:
            add_subscription(app, tenant, other_id, url)
        with tenant_context(tenant, production_app):
            emit_after_commit(db.session, "user.registered", user_id=1)
            db.session.commit()
        run_webhook_jobs(production_app, scheduler=False)  # the relay, then one attempt each

        made = deliveries(production_app, tenant)
        assert len(made) == 6
        errors = {}
        for delivery in made:
            (attempt,) = attempts_of(app, tenant, delivery.id)
            assert attempt.status_code is None and attempt.error.startswith("Not sent:")
            errors[delivery.subscription_id] = attempt.error
        assert "127.0.0.1 is a loopback address" in errors[first]
        assert any("localhost resolves to" in e and "loopback" in e for e in errors.values())
        assert "10.0.0.1 is a private address" in errors[other_first]
        assert any("169.254.169.254 is a link-local address" in e for e in errors.values())
        assert any("::1 is a loopback address" in e for e in errors.values())
        assert any("(IPv4-mapped)" in e for e in errors.values())
        assert receiver.received == []

        with tenant_context(tenant, app):  # the control: allowed, the same loopback receiver is reached
            db.session.execute(
                sa.update(WebhookDelivery)
                .where(WebhookDelivery.subscription_id.notin_([first, by_name]))
                .values(status=DeliveryStatus.FAILED)
            )
            db.session.commit()
        deliver_until_settled(app, tenant, sweep_grace=0)
        assert len(receiver.wait_for(2)) == 2


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "a loopback address"),
        ("10.1.2.3", "a private address"),
        ("192.168.0.10", "a private address"),
        ("172.16.5.5", "a private address"),
        ("169.254.169.254", "a link-local address"),
        ("0.0.0.0", "an unspecified address"),  # noqa: S104 (an address checked, not bound)
        ("224.0.0.1", "a multicast address"),
        ("240.0.0.1", "a private address"),
        ("100.64.0.1", "not a public address"),
        ("::1", "a loopback address"),
        ("::", "an unspecified address"),
        ("fe80::1", "a link-local address"),
        ("fc00::1", "a private address"),
        ("ff02::1", "a multicast address"),
        ("::ffff:10.0.0.1", "a private address (IPv4-mapped)"),
        ("93.184.215.14", None),
        ("2606:4700:4700::1111", None),
    ],
)
def test_which_addresses_are_refused(address, reason):
    assert why_blocked(ipaddress.ip_address(address)) == reason


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "Give the receiver's URL."),
        ("ftp://hooks.example.org/x", "Only http:// and https:// URLs."),
        ("https:///path", "The URL has no host."),
        ("https://user:secret@hooks.example.org/", "Credentials in the URL are not sent; remove them."),
        ("https://127.0.0.1/hooks", "127.0.0.1 is a loopback address: webhooks go to public addresses only."),
        ("https://[::1]:8443/", "::1 is a loopback address: webhooks go to public addresses only."),
        ("https://169.254.169.254/", "169.254.169.254 is a link-local address: webhooks go to public addresses only."),
        ("https://10.0.0.7/", "10.0.0.7 is a private address: webhooks go to public addresses only."),
        ("http://hooks.example.org/x", "Only https:// URLs."),
        ("https://hooks.example.org:99999/", "This is not a valid URL."),
    ],
)
def test_saving_a_url_refuses_what_can_never_be_sent_to_in_production(production_app, url, message):
    with production_app.app_context(), pytest.raises(ValidationFailed) as refused:
        check_url_form(url)
    assert refused.value.details == {"url": [message]}


def test_saving_a_url_accepts_a_public_https_one_and_loopback_where_allowed(app, production_app):
    with production_app.app_context():
        assert check_url_form("  https://hooks.example.org/tessera?x=1 ") == "https://hooks.example.org/tessera?x=1"
    with app.app_context():
        assert check_url_form("http://127.0.0.1:8765/hooks") == "http://127.0.0.1:8765/hooks"
