"""Simultaneous edits of one question through a threaded server: each becomes its own version, numbered
without gaps, none lost, no 500. Run on SQLite and on PostgreSQL (TEST_DB=postgres)."""

import http.client
import json
import threading

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from app.extensions import db
from app.tenancy.context import tenant_context
from blueprints.assessments.models import QuestionVersion
from tests.conftest import make_user, tenant_host, user_token
from tests.support.questions import sample
from tests.support.services import free_port

AT_ONCE = 8


@pytest.fixture(scope="module")
def server(app):
    port = free_port()
    httpd = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield port
    httpd.shutdown()


def call(port, host, token, method, path, body):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        headers = {"Host": host, "Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        connection.request(method, path, body=json.dumps(body), headers=headers)
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        connection.close()


def test_simultaneous_edits_are_each_a_version(app, api, tenant, server):
    admin_id = make_user(app, tenant, "org_admin", email="editor@example.org")
    token = user_token(app, tenant, admin_id, "org_admin")
    stem, spec = sample("short_answer")
    made = api(tenant, token).post(
        "/api/v1/questions", json={"kind": "short_answer", "title": "Planet", "stem_html": stem, "spec": spec}
    )
    question_id = made.get_json()["data"]["id"]
    barrier, results = threading.Barrier(AT_ONCE), [None] * AT_ONCE

    def edit(n):
        body = {"stem_html": f"<p>Edit {n}: name the largest planet.</p>", "change_note": f"edit {n}"}
        barrier.wait()
        results[n] = call(server, tenant_host(tenant), token, "PUT", f"/api/v1/questions/{question_id}", body)

    threads = [threading.Thread(target=edit, args=(n,)) for n in range(AT_ONCE)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert sorted(status for status, _ in results) == [200] * AT_ONCE, results
    with tenant_context(tenant, app):
        rows = db.session.execute(
            sa.select(QuestionVersion.number, QuestionVersion.change_note).where(
                QuestionVersion.question_id == question_id
            )
        ).all()
    assert sorted(number for number, _ in rows) == list(range(1, AT_ONCE + 2))
    assert sorted(note for _, note in rows if note) == sorted(f"edit {n}" for n in range(AT_ONCE))
