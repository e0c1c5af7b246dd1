"""Sign-in protection on the real Redis: guessing is slowed down and fenced per address, owners get in.

Apps here have their own queue and counters (an RQ_QUEUE of their own) and small numbers, so that
the waits are seconds, not minutes. Addresses are set per request (`REMOTE_ADDR`), as a server sees them.
"""

import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from app.jobs import get_queue
from app.tenancy.context import tenant_context
from tests.conftest import PASSWORD, build_app, make_user, run_jobs
from tests.support.browser import Browser

LOGIN, FORGOT, RESET = "/api/v1/auth/login", "/api/v1/auth/forgot-password", "/api/v1/auth/reset-password"
OWNER, ATTACKER = "198.51.100.7", "203.0.113.9"
NEW_PASSWORD = "a-brand-new-passphrase"


def own_queue():
    return f"signin-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def guarded_app(app_config):
    """Slow-down after 3 attempts, waits of 1 s then 2 s at most, an address refused after 5 wrong answers."""
    return build_app(
        app_config,
        RQ_QUEUE=own_queue(),
        LOGIN_SLOWDOWN_AFTER=3,
        LOGIN_SLOWDOWN_FIRST_SECONDS=1,
        LOGIN_SLOWDOWN_MAX_SECONDS=2,
        LOGIN_FAILURES_PER_SOURCE=5,
    )


def host(tenant):
    return {"Host": f"{tenant.slug}.localhost:5000" if tenant else "localhost:5000"}


def sign_in(app, tenant, address, email="admin@example.org", password=PASSWORD, client=None):
    client = client or app.test_client()
    return client.post(
        LOGIN,
        headers=host(tenant),
        json={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def error_code(response):
    return response.get_json()["error"]["code"]


def sign_in_when_due(app, tenant, address, password=PASSWORD, email="admin@example.org", tries=5):
    """Sign in like a patient person: when told to wait, wait as long as told, then try again."""
    waits = []
    for _ in range(tries):
        response = sign_in(app, tenant, address, email, password)
        if response.status_code != 429 or error_code(response) != "LOGIN_SLOWED_DOWN":
            return response, waits
        waits.append(int(response.headers["Retry-After"]))
        assert waits[-1] <= 2, waits  # never longer than LOGIN_SLOWDOWN_MAX_SECONDS
        time.sleep(waits[-1])
    raise AssertionError(f"still slowed down after {waits}")


def test_wrong_answers_slow_the_account_down_with_a_growing_wait_from_any_address(guarded_app, tenant):
    addresses = (f"192.0.2.{n}" for n in range(1, 100))  # a botnet: every guess from a new address
    for _ in range(3):
        assert sign_in(guarded_app, tenant, next(addresses), password="wrong-password").status_code == 401
    told = []
    for _ in range(3):
        slowed = sign_in(guarded_app, tenant, next(addresses), password="wrong-password")
        assert slowed.status_code == 429 and error_code(slowed) == "LOGIN_SLOWED_DOWN"
        told.append(int(slowed.headers["Retry-After"]))
        assert f"Try again in {told[-1]} second" in slowed.get_json()["error"]["message"]
        time.sleep(told[-1])
        assert sign_in(guarded_app, tenant, next(addresses), password="wrong-password").status_code == 401
    assert told == [1, 2, 2]  # doubling, up to the maximum

    # The owner, from yet another address, is asked to wait, never refused.
    response, waits = sign_in_when_due(guarded_app, tenant, OWNER)
    assert response.status_code == 200 and all(wait <= 2 for wait in waits)


def test_simultaneous_guesses_cannot_slip_through_together(guarded_app, tenant):
    for n in range(3):
        sign_in(guarded_app, tenant, f"192.0.2.{n}", password="wrong-password")
    time.sleep(1.1)  # the next attempt is due: eight addresses try at the same moment

    def guess(n):
        return sign_in(guarded_app, tenant, f"192.0.2.{10 + n}", password="wrong-password").status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = sorted(pool.map(guess, range(8)))
    assert statuses == [401] + [429] * 7


def test_an_attacker_elsewhere_cannot_lock_the_owner_out(guarded_app, tenant):
    answers = [sign_in_when_due(guarded_app, tenant, ATTACKER, password="wrong-password")[0] for _ in range(6)]
    assert [a.status_code for a in answers] == [401] * 5 + [429]
    assert error_code(answers[-1]) == "TOO_MANY_LOGIN_ATTEMPTS"
    assert 0 < int(answers[-1].headers["Retry-After"]) <= 900

    owner, waits = sign_in_when_due(guarded_app, tenant, OWNER)
    assert owner.status_code == 200 and all(wait <= 2 for wait in waits)

    # The attacker's address stays refused, even with the right password.
    again = sign_in(guarded_app, tenant, ATTACKER)
    assert again.status_code == 429 and error_code(again) == "TOO_MANY_LOGIN_ATTEMPTS"


def test_where_the_owner_signed_in_before_they_are_not_kept_waiting(guarded_app, tenant):
    assert sign_in(guarded_app, tenant, OWNER).status_code == 200
    for n in range(4):  # a distributed attack brings the account into slow-down
        sign_in(guarded_app, tenant, f"192.0.2.{n}", password="wrong-password")
    stranger = sign_in(guarded_app, tenant, "192.0.2.200")
    assert stranger.status_code == 429 and error_code(stranger) == "LOGIN_SLOWED_DOWN"
    assert sign_in(guarded_app, tenant, OWNER).status_code == 200


def test_counts_are_per_account_and_per_organization(guarded_app, make_tenant):
    tenant, other = make_tenant(), make_tenant()
    make_user(guarded_app, tenant, "teacher", email="teacher@example.org")
    for _ in range(5):
        sign_in_when_due(guarded_app, tenant, ATTACKER, password="wrong-password")
    assert error_code(sign_in(guarded_app, tenant, ATTACKER)) == "TOO_MANY_LOGIN_ATTEMPTS"
    assert sign_in(guarded_app, tenant, ATTACKER, "teacher@example.org").status_code == 200
    assert sign_in(guarded_app, other, ATTACKER).status_code == 200


def test_a_password_reset_clears_the_counters(guarded_app, tenant, mailbox):
    # Someone behind the owner's own network (a school NAT) gets it refused there ...
    for _ in range(5):
        sign_in_when_due(guarded_app, tenant, OWNER, password="wrong-password")
    assert error_code(sign_in(guarded_app, tenant, OWNER)) == "TOO_MANY_LOGIN_ATTEMPTS"

    # ... and the owner's way out is a password reset.
    client = guarded_app.test_client()
    client.post(FORGOT, headers=host(tenant), json={"email": "admin@example.org"})
    run_jobs(guarded_app)
    reset_mail = next(m for m in mailbox.to("admin@example.org") if "Reset" in m["Subject"])
    token = re.search(r"token=(\S+)", reset_mail.get_body(("plain",)).get_content()).group(1)
    assert client.post(RESET, headers=host(tenant), json={"token": token, "password": NEW_PASSWORD}).status_code == 200

    assert sign_in(guarded_app, tenant, OWNER, password=NEW_PASSWORD).status_code == 200


def test_the_owner_is_warned_once_at_their_sign_in_address(guarded_app, tenant, mailbox):
    from blueprints.auth.services import update_profile
    from blueprints.users.services import find_user_by_email

    make_user(guarded_app, tenant, "teacher", email="login@example.org")
    with tenant_context(tenant, guarded_app):  # an address anyone in scope might have changed
        update_profile(find_user_by_email("login@example.org"), notification_email="inbox@example.net")
    for n in range(2):
        sign_in(guarded_app, tenant, f"192.0.2.{n}", "login@example.org", "wrong-password")
    run_jobs(guarded_app)
    assert mailbox.to("login@example.org") == []  # a couple of typos are nobody's business

    for n in range(4):
        sign_in_when_due(guarded_app, tenant, f"192.0.2.{10 + n}", email="login@example.org", password="wrong")
    run_jobs(guarded_app)
    [warning] = mailbox.to("login@example.org")
    assert mailbox.to("inbox@example.net") == []
    assert tenant.name in warning["Subject"] and "sign-in" in warning["Subject"]
    body = warning.get_body(("plain",)).get_content()
    assert f"http://{tenant.slug}.localhost:5000/forgot-password" in body

    # An address that is no account gets no mail, and its job does not fail.
    for n in range(4):
        sign_in_when_due(guarded_app, tenant, f"192.0.2.{20 + n}", email="ghost@example.org", password="wrong")
    run_jobs(guarded_app)
    assert mailbox.to("ghost@example.org") == []
    with guarded_app.app_context():
        assert get_queue().failed_job_registry.count == 0


def test_a_slowed_down_sign_in_page_says_when_to_try_again(guarded_app, tenant):
    browser = Browser(guarded_app, tenant)
    for _ in range(3):
        assert browser.sign_in("admin@example.org", "wrong-password").status_code == 401
    other_browser = Browser(guarded_app, tenant)  # same address, never signed in here
    slowed = other_browser.sign_in("admin@example.org")
    assert slowed.status_code == 429
    page = slowed.get_data(as_text=True)
    assert re.search(r"Try again in [12] seconds?\.", page) and 'name="password"' in page


def test_operators_are_protected_the_same_way(guarded_app, app):
    from app.security.operators import create_operator, find_operator

    with app.app_context():
        email = "guarded-operator@example.org"
        find_operator(email) or create_operator(email, PASSWORD)
    for _ in range(5):
        sign_in_when_due(guarded_app, None, ATTACKER, email=email, password="wrong-password")
    assert error_code(sign_in(guarded_app, None, ATTACKER, email)) == "TOO_MANY_LOGIN_ATTEMPTS"
    assert sign_in_when_due(guarded_app, None, OWNER, email=email)[0].status_code == 200
