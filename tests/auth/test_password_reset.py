"""Forgotten passwords: the reset mail goes through a real SMTP server and its link works once."""

import uuid
from datetime import timedelta

import sqlalchemy as sa

from app.extensions import db
from app.jobs import get_queue
from app.tenancy.context import tenant_context
from app.tenancy.models import utcnow
from blueprints.auth.models import PasswordResetToken
from blueprints.auth.services import request_password_reset, update_profile
from blueprints.users.services import find_user_by_email
from tests.conftest import PASSWORD, build_app, make_user, run_jobs
from tests.support.auth import FORGOT, LOGIN, RESET, reset_token_from

NEW_PASSWORD = "a-brand-new-passphrase"


def test_reset_mail_arrives_and_its_link_works_once(app, api, tenant, mailbox):
    make_user(app, tenant, "teacher", email="teach@example.org")
    answer = api(tenant).post(FORGOT, json={"email": "teach@example.org"})
    assert answer.status_code == 202
    assert mailbox.to("teach@example.org") == []  # sent by the worker, not by the request
    run_jobs(app)

    [message] = mailbox.to("teach@example.org")
    assert tenant.name in message["Subject"]
    link, token = reset_token_from(message)
    assert link.startswith(f"http://{tenant.slug}.localhost:5000/reset-password?token=")

    assert api(tenant).post(RESET, json={"token": token, "password": NEW_PASSWORD}).status_code == 200
    again = api(tenant).post(RESET, json={"token": token, "password": "yet-another-passphrase"})
    assert again.status_code == 400 and again.get_json()["error"]["code"] == "INVALID_RESET_TOKEN"

    assert api(tenant).post(LOGIN, json={"email": "teach@example.org", "password": PASSWORD}).status_code == 401
    assert api(tenant).post(LOGIN, json={"email": "teach@example.org", "password": NEW_PASSWORD}).status_code == 200


def test_unknown_address_gets_the_same_answer_and_no_mail(app, api, tenant, mailbox):
    known = api(tenant).post(FORGOT, json={"email": "admin@example.org"})
    unknown = api(tenant).post(FORGOT, json={"email": "ghost@example.org"})
    assert known.status_code == unknown.status_code == 202
    assert known.get_json() == unknown.get_json()
    run_jobs(app)
    assert len(mailbox.to("admin@example.org")) == 1
    assert mailbox.to("ghost@example.org") == []


def test_reset_links_go_to_the_sign_in_address_never_the_notification_address(app, api, tenant, mailbox):
    make_user(app, tenant, "student", email="login@example.org")

    with tenant_context(tenant, app):
        update_profile(find_user_by_email("login@example.org"), notification_email="inbox@example.net")
    api(tenant).post(FORGOT, json={"email": "login@example.org"})
    run_jobs(app)
    # The notification address is unproven (a manager could set it): the key goes where the person signs in.
    assert len(mailbox.to("login@example.org")) == 1 and mailbox.to("inbox@example.net") == []


def test_expired_or_superseded_links_do_not_work(app, api, tenant, mailbox):
    api(tenant).post(FORGOT, json={"email": "admin@example.org"})
    api(tenant).post(FORGOT, json={"email": "admin@example.org"})
    run_jobs(app)
    first, second = (reset_token_from(m)[1] for m in mailbox.to("admin@example.org"))
    superseded = api(tenant).post(RESET, json={"token": first, "password": NEW_PASSWORD})
    assert superseded.status_code == 400  # asking again voids the earlier link
    with tenant_context(tenant, app):
        db.session.execute(sa.update(PasswordResetToken).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()
    assert api(tenant).post(RESET, json={"token": second, "password": NEW_PASSWORD}).status_code == 400


def test_weak_new_password_is_refused_and_the_link_still_works(app, api, tenant, mailbox):
    api(tenant).post(FORGOT, json={"email": "admin@example.org"})
    run_jobs(app)
    _, token = reset_token_from(mailbox.to("admin@example.org")[0])
    weak = api(tenant).post(RESET, json={"token": token, "password": "short"})
    assert weak.status_code == 422 and "password" in weak.get_json()["error"]["details"]
    assert api(tenant).post(RESET, json={"token": token, "password": NEW_PASSWORD}).status_code == 200


def test_reset_revokes_every_refresh_token(app, api, tenant, mailbox):
    tokens = api(tenant).post(LOGIN, json={"email": "admin@example.org", "password": PASSWORD}).get_json()["data"]
    api(tenant).post(FORGOT, json={"email": "admin@example.org"})
    run_jobs(app)
    _, token = reset_token_from(mailbox.to("admin@example.org")[0])
    api(tenant).post(RESET, json={"token": token, "password": NEW_PASSWORD})
    refresh = api(tenant).post("/api/v1/auth/refresh-token", json={"refresh_token": tokens["refresh_token"]})
    assert refresh.status_code == 401


def test_tokens_are_stored_as_digests(app, api, tenant, mailbox):
    api(tenant).post(FORGOT, json={"email": "admin@example.org"})
    run_jobs(app)
    _, token = reset_token_from(mailbox.to("admin@example.org")[0])
    with tenant_context(tenant, app):
        stored = db.session.scalars(sa.select(PasswordResetToken.token_hash)).all()
    assert token not in stored and all(len(value) == 64 for value in stored)


def test_known_and_unknown_addresses_cost_the_request_the_same(app_config, tenant, mailbox):
    """Timing must not tell whether an account exists: both answers queue one job and touch no table."""
    quiet = build_app(app_config, RQ_QUEUE=f"forgot-{uuid.uuid4().hex[:8]}")  # a queue of its own
    client = quiet.test_client()
    host = {"Host": f"{tenant.slug}.localhost:5000"}
    with quiet.app_context():
        queue = get_queue()
        for email in ("admin@example.org", "ghost@example.org"):
            with tenant_context(tenant, quiet):
                tokens_before = db.session.scalar(sa.select(sa.func.count()).select_from(PasswordResetToken))
            assert client.post(FORGOT, headers=host, json={"email": email}).status_code == 202
            [job] = queue.get_jobs()
            assert job.args[1] == "blueprints.auth.jobs.send_password_reset" and job.args[2] == email
            with tenant_context(tenant, quiet):  # the token is made by the worker, not the request
                assert db.session.scalar(sa.select(sa.func.count()).select_from(PasswordResetToken)) == tokens_before
            run_jobs(quiet)
    assert len(mailbox.to("admin@example.org")) == 1 and mailbox.to("ghost@example.org") == []


def test_one_account_gets_at_most_five_reset_mails_an_hour_whoever_asks(app, tenant, mailbox):
    """Many callers (each within its own rate limit) cannot fill one person's inbox with reset mails."""
    make_user(app, tenant, "student", email="target@example.org")
    make_user(app, tenant, "student", email="other@example.org")
    with tenant_context(tenant, app):
        for _ in range(8):
            request_password_reset("target@example.org", tenant)
        request_password_reset("other@example.org", tenant)
    run_jobs(app)
    assert len(mailbox.to("target@example.org")) == app.config["PASSWORD_RESET_MAILS_PER_HOUR"] == 5
    assert len(mailbox.to("other@example.org")) == 1  # the count is per account
