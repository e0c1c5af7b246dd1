"""Notification e-mails when things go wrong: an SMTP server refusing with 4xx for a while (delayed, then
delivered, none dropped), one recipient refused for good (5xx: that row fails, no other), the same rows queued in
several jobs on two workers (each sent once), and a worker killed with SIGKILL in the middle of a batch (after a
restart everyone has their e-mail; a duplicate only ever the very same message, with the same Message-ID)."""

import os
import signal
import time
from collections import Counter, defaultdict
from datetime import timedelta

import sqlalchemy as sa

from app.extensions import db
from app.tenancy.context import tenant_context
from app.tenancy.models import utcnow
from blueprints.notifications.delivery import backoff_seconds, queue_pending
from blueprints.notifications.models import Notification
from blueprints.notifications.producing import notify
from blueprints.notifications.sweep import sweep_organization
from blueprints.users.models import User
from tests.conftest import build_app, run_jobs, spawn_worker
from tests.support.mail_servers import UnreliableSmtpSink
from tests.support.operations import metric_value, scrape
from tests.support.processes import children_of

CONTEXT = {"course": {"title": "Fire safety"}, "due_date": ""}


def _people(app, tenant, count, prefix="p"):
    """`count` learners written in one go (the tests need many, not their sign-in)."""
    with tenant_context(tenant, app):
        people = [User(email=f"{prefix}{n}@example.org", first_name=f"P{n}", role="student") for n in range(count)]
        db.session.add_all(people)
        db.session.commit()
        return [person.id for person in people]


def _tell(app, tenant, people, key="e1"):
    with tenant_context(tenant, app):
        notify("enrolled", people, source_key=key, context=CONTEXT, link="/learn/1")
        db.session.commit()


def _states(app, tenant):
    with tenant_context(tenant, app):
        return db.session.execute(
            sa.select(
                Notification.id,
                Notification.email_status,
                Notification.email_attempts,
                Notification.email_due_at,
                Notification.email_error,
                Notification.message_id,
            ).order_by(Notification.id)
        ).all()


def _come_due(app, tenant):
    """As if the rows' backoff had passed: their next try is now."""
    with tenant_context(tenant, app):
        db.session.execute(
            sa.update(Notification)
            .where(Notification.email_status == "pending")
            .values(email_due_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()


def _sweep(app, tenant):
    with tenant_context(tenant, app):
        return sweep_organization()


def test_a_server_answering_4xx_for_a_while_delays_every_email_and_drops_none(app_config, tenant):
    sink = UnreliableSmtpSink(refusing="451 4.7.1 Greylisted, try again later")
    try:
        # backoffs long enough that no loaded machine reaches them by itself; the test moves the clock instead
        mail_app = build_app(
            app_config, MAIL_PORT=sink.port, NOTIFICATIONS_RETRY_SECONDS=30, NOTIFICATIONS_RETRY_MAX_SECONDS=60
        )
        people = _people(mail_app, tenant, 30)
        _tell(mail_app, tenant, people)
        for attempt in (1, 2, 3):  # refused three times: each try pushes the row further, 30, 60, 60 s (≤ 60 s)
            tried_at = utcnow()
            run_jobs(mail_app)
            states = _states(mail_app, tenant)
            assert {(s.email_status, s.email_attempts) for s in states} == {("pending", attempt)}
            assert all(s.email_error.startswith("451 4.7.1 Greylisted") for s in states)
            with mail_app.app_context():
                wait = backoff_seconds(attempt)
            assert wait == min(30 * 2 ** (attempt - 1), 60)
            assert min(s.email_due_at for s in states) >= tried_at + timedelta(seconds=wait)
            assert _sweep(mail_app, tenant).queued == 0  # not due yet: nothing queued before its time
            _come_due(mail_app, tenant)  # the backoff has passed
            assert _sweep(mail_app, tenant).queued == 30  # due again: the sweep queues them
        assert sink.messages == [] and sink.refused == 90

        sink.accept()  # the server is fine again
        run_jobs(mail_app)
        states = _states(mail_app, tenant)
        assert {(s.email_status, s.email_attempts, s.email_error) for s in states} == {("sent", 4, None)}
        received = Counter(message["To"] for message in sink.messages)
        assert received == Counter({f"p{n}@example.org": 1 for n in range(30)})  # every one, once
        # the Message-ID chosen at the first try is the one that went out
        assert {message["Message-ID"] for message in sink.messages} == {s.message_id for s in states}
        assert _sweep(mail_app, tenant).queued == 0
    finally:
        sink.stop()


def _emails_counted(app):
    """The metrics' count of notification e-mails by outcome (sent, delayed, failed, given_up)."""
    text = scrape(app.test_client())
    outcomes = ("sent", "delayed", "failed", "given_up")
    return Counter({o: metric_value(text, "tessera_notification_emails_total", outcome=o) for o in outcomes})


def test_an_email_refused_with_4xx_for_days_is_given_up_and_the_newer_ones_still_wait(app_config, tenant):
    """A 4xx is tried again with a backoff, but not for ever: a row made more than NOTIFICATIONS_GIVE_UP_HOURS ago
    and tried before ends failed, naming its tries and the server's last answer; an old row on its first try (it
    waited out an outage) and the newer rows stay pending for their next try."""
    sink = UnreliableSmtpSink(refusing="452 4.2.2 Mailbox full")
    try:
        mail_app = build_app(app_config, MAIL_PORT=sink.port, NOTIFICATIONS_GIVE_UP_HOURS=48)
        people = _people(mail_app, tenant, 6, prefix="full")
        _tell(mail_app, tenant, people, key="full")
        with tenant_context(tenant, mail_app):
            ids = db.session.scalars(
                sa.select(Notification.id).where(Notification.user_id.in_(people)).order_by(Notification.id)
            ).all()
            old, first_try, new = ids[:2], ids[2], ids[3:]
            three_days_ago = utcnow() - timedelta(days=3)
            db.session.execute(  # two were made three days ago and tried since: past the 48 hours
                sa.update(Notification)
                .where(Notification.id.in_(old))
                .values(created_at=three_days_ago, email_attempts=40)
            )
            db.session.execute(  # as old, but never tried: its first try is not its last
                sa.update(Notification).where(Notification.id == first_try).values(created_at=three_days_ago)
            )
            db.session.commit()
        before = _emails_counted(mail_app)
        run_jobs(mail_app)
        states = {s.id: s for s in _states(mail_app, tenant) if s.id in ids}
        # an operator sees it in the metrics (tessera_notification_emails_total), where an alert can watch it
        assert _emails_counted(mail_app) - before == Counter(given_up=len(old), delayed=1 + len(new))
        assert {states[i].email_status for i in old} == {"failed"}
        assert {states[i].email_error for i in old} == {"given up after 41 tries in 48 h: 452 4.2.2 Mailbox full"}
        assert {(states[i].email_status, states[i].email_attempts) for i in [first_try, *new]} == {("pending", 1)}
        _come_due(mail_app, tenant)
        assert _sweep(mail_app, tenant).queued == 1 + len(new)  # the given-up ones are not queued again
        sink.accept()
        run_jobs(mail_app)
        assert sorted(message["To"] for message in sink.messages) == sorted(f"full{n}@example.org" for n in range(2, 6))
    finally:
        sink.stop()


def test_a_recipient_refused_for_good_fails_alone(app_config, tenant):
    sink = UnreliableSmtpSink()
    sink.rejected["p1@example.org"] = "550 5.1.1 No such user here"
    try:
        mail_app = build_app(app_config, MAIL_PORT=sink.port)
        people = _people(mail_app, tenant, 3)
        _tell(mail_app, tenant, people)
        run_jobs(mail_app)
        states = _states(mail_app, tenant)
        assert [(s.email_status, s.email_error) for s in states] == [
            ("sent", None),
            ("failed", "550 5.1.1 No such user here"),
            ("sent", None),
        ]
        assert sorted(message["To"] for message in sink.messages) == ["p0@example.org", "p2@example.org"]
        assert _sweep(mail_app, tenant).queued == 0  # a failed row is never tried again
    finally:
        sink.stop()


def test_the_same_rows_queued_in_several_jobs_on_two_workers_are_each_sent_once(app, tenant, mailbox):
    people = _people(app, tenant, 200)
    _tell(app, tenant, people)  # two jobs of 100, queued after the commit
    with tenant_context(tenant, app):
        ids = db.session.scalars(sa.select(Notification.id)).all()
        queue_pending(ids)  # and the same rows twice more: as a sweep and a redelivery might
        queue_pending(reversed(ids))
    workers = [spawn_worker(app), spawn_worker(app)]
    for worker in workers:
        assert worker.wait(timeout=120) == 0
    received = Counter(message["To"] for message in mailbox.messages)
    assert received == Counter({f"p{n}@example.org": 1 for n in range(200)})
    assert {s.email_status for s in _states(app, tenant)} == {"sent"}


def test_a_worker_killed_while_it_sends_loses_none_and_repeats_only_the_same_message(app_config, app, tenant):
    # Each message is kept by the server 20 ms before its "250": a kill in that window leaves a message delivered
    # that its row does not know of (still `sending`): the sweep sends it again, by design with the same Message-ID.
    sink = UnreliableSmtpSink(delay=0.02)
    try:
        mail_app = build_app(
            app_config,
            MAIL_PORT=sink.port,
            NOTIFICATIONS_SENDING_STALE_SECONDS=1,
            NOTIFICATIONS_REQUEUE_AFTER_SECONDS=1,
        )
        people = _people(mail_app, tenant, 300)
        _tell(mail_app, tenant, people)  # three jobs of 100
        worker = spawn_worker(app, MAIL_PORT=sink.port)  # a forking RQ worker, as in production
        deadline = time.monotonic() + 120  # a worker starts slowly on a busy machine
        while len(sink.messages) < 130 and time.monotonic() < deadline:  # into the second batch
            time.sleep(0.005)
        for pid in [*children_of(worker.pid), worker.pid]:  # the work horse sending, and its worker
            os.kill(pid, signal.SIGKILL)
        worker.wait()
        at_kill = Counter(s.email_status for s in _states(mail_app, tenant))
        assert 0 < at_kill["sent"] < 300 and at_kill["sending"] > 0, at_kill  # the kill landed mid-batch

        time.sleep(1.1)  # the dead worker's claim is now older than a job may run
        assert _sweep(mail_app, tenant).queued >= at_kill["sending"]
        restarted = spawn_worker(app, MAIL_PORT=sink.port)
        assert restarted.wait(timeout=120) == 0

        states = _states(mail_app, tenant)
        assert {s.email_status for s in states} == {"sent"}
        by_person = defaultdict(list)
        for message in sink.messages:
            by_person[message["To"]].append(message["Message-ID"])
        assert set(by_person) == {f"p{n}@example.org" for n in range(300)}  # nobody missed out
        repeated = {to: ids for to, ids in by_person.items() if len(ids) > 1}
        # a repeat is only ever the message in flight when the worker died: one at most, and the very same one
        assert len(repeated) <= 1, repeated
        assert all(len(set(ids)) == 1 and len(ids) == 2 for ids in repeated.values()), repeated
        assert len({s.message_id for s in states}) == 300  # and no two rows share a Message-ID
    finally:
        sink.stop()


def test_an_unreachable_server_delays_the_batch_and_loses_nothing(app_config, tenant, mailbox, refusing_port):
    closed = refusing_port  # nothing listens there: connection refused
    mail_app = build_app(app_config, MAIL_PORT=closed, NOTIFICATIONS_RETRY_SECONDS=0.5)
    people = _people(mail_app, tenant, 5)
    _tell(mail_app, tenant, people)
    run_jobs(mail_app)
    states = _states(mail_app, tenant)
    assert {(s.email_status, s.email_attempts) for s in states} == {("pending", 1)}
    assert all(s.email_error.startswith("ConnectionRefusedError") for s in states)
    time.sleep(0.6)
    back_app = build_app(app_config)  # the server is back (the session's sink)
    assert _sweep(back_app, tenant).queued == 5
    run_jobs(back_app)
    assert sorted(message["To"] for message in mailbox.messages) == [f"p{n}@example.org" for n in range(5)]
    assert [s.message_id for s in _states(back_app, tenant)] == [s.message_id for s in states]  # the same messages
