"""Schemathesis over every operation of /api/v1/openapi.json, as an org admin and as a student.

Schemathesis' engine, every phase and every check: no server errors, responses that match their
documented schema, status codes, headers and content types the document lists, negative data rejected,
authentication required where the document says so. The app is served on a loopback port (Werkzeug, in a
thread) over a fresh tenant on the suite's database (SQLite, or PostgreSQL with TEST_DB=postgres), seeded
with a branch, a class, a published course with an item, and an enrolled student. A fixed seed makes the
run repeatable. `make test` runs a short one (FUZZ_EXAMPLES=3); `make fuzz` a long one (100, stateful).
In `make test` each role's run is three tests, a third of the operations each, so that its workers share them.
"""

import json
import os
import re
import threading
import time

import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events, from_schema
from werkzeug.serving import make_server

from app.extensions import db
from app.security.tokens import issue_access_token
from app.tenancy.context import tenant_context
from app.tenancy.provisioning import provision_tenant
from blueprints.auth.models import SignIn
from blueprints.auth.services import open_sign_in
from blueprints.users.models import User
from tests.conftest import PASSWORD, destroy_tenant, make_user, tenant_host, unique_slug

MAX_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "3"))
# `make fuzz` (FUZZ_EXAMPLES>=20) adds the slow parts: the stateful phase (chains of calls linked by the ids
# responses return) and, in the coverage phase, every undocumented method on every path (405s).
LONG_RUN = MAX_EXAMPLES >= 20
# `make test` cuts each role's run into parts, every operation in exactly one, so that its workers share them;
# `make fuzz` keeps one, for the stateful phase chains calls across the whole document.
PARTS = 1 if LONG_RUN else 3
METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
REF = re.compile(r'"#/components/schemas/([^"]+)"')
ROLES = ("org_admin", "student")


class World:
    """The fuzzed tenant: the people whose tokens the cases carry, kept signed in and in their roles."""

    def __init__(self, app, tenant):
        self.app, self.tenant = app, tenant
        self.users = {role: make_user(app, tenant, role, email=f"fuzz-{role}@example.org") for role in ROLES}
        self.tokens = {}  # role -> (token, its sign-in's id, when it was issued)

    def token(self, role):
        """A token that works for `role`'s account. The fuzzer may have deactivated or demoted the account or
        closed the token's sign-in (the API allows an admin to do that to themselves): then the account is
        restored and signs in anew. Otherwise the last token serves again, well inside its lifetime
        (a sign-in per case cost a sixth of the run)."""
        with tenant_context(self.tenant, self.app):
            user = db.session.get(User, self.users[role])
            token, sign_in_id, issued = self.tokens.get(role, (None, None, 0.0))
            sign_in = db.session.get(SignIn, sign_in_id) if sign_in_id else None
            fresh = time.monotonic() - issued < 60 * self.app.config["JWT_ACCESS_TOKEN_MINUTES"] / 2
            if fresh and user.role == role and user.is_active and sign_in is not None and sign_in.revoked_at is None:
                return token
            user.role, user.is_active = role, True
            db.session.commit()
            sign_in_id = open_sign_in(user.id, "api", commit=True)
            token = issue_access_token(user.id, self.tenant.id, (role,), sign_in_id)[0]
            self.tokens[role] = (token, sign_in_id, time.monotonic())
            return token


@pytest.fixture(scope="module")
def world(app):
    # The suite reads the tenant registry on every request (TestConfig: other tests write it behind the
    # app's back); nothing here does, and the app forgets a row it changes itself, as in production.
    cache_seconds, app.config["TENANT_CACHE_SECONDS"] = app.config["TENANT_CACHE_SECONDS"], 300
    with app.app_context():
        tenant = provision_tenant(unique_slug("fuzz"), "Fuzz", "admin@example.org", PASSWORD).tenant.ref()
    world = World(app, tenant)
    _seed(world)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    world.server_url = f"http://127.0.0.1:{server.server_port}"
    yield world
    server.shutdown()
    thread.join()
    destroy_tenant(app, tenant.id)
    app.config["TENANT_CACHE_SECONDS"] = cache_seconds


def _seed(world):
    client = world.app.test_client()
    headers = {"Host": tenant_host(world.tenant), "Authorization": f"Bearer {world.token('org_admin')}"}

    def post(path, body):
        response = client.post(path, json=body, headers=headers)
        assert response.status_code in (200, 201), (path, response.get_json())
        return response.get_json()["data"]

    branch = post(f"/api/v1/organizations/{world.tenant.id}/branches", {"code": "main", "name": "Main"})
    school_class = post("/api/v1/classes", {"branch_id": branch["id"], "name": "Class A"})
    post(f"/api/v1/classes/{school_class['id']}/members", {"user_ids": [world.users["student"]], "role": "student"})
    course = post("/api/v1/courses", {"title": "Fuzzing 101", "status": "published", "self_enrollment": True})
    item = post(
        f"/api/v1/courses/{course['id']}/content",
        {"kind": "text", "title": "Welcome", "module_title": "Start", "body": "<p>Hi</p>"},
    )
    client.put(f"/api/v1/content/{item['id']}", json={"body": "<p>Hello</p>"}, headers=headers)
    post(f"/api/v1/courses/{course['id']}/enrollments", {"user_ids": [world.users["student"]]})


def operations_of(document, part):
    """Part `part` of the document's operations ("METHOD /path"): each operation is in exactly one part, and
    the parts are about equally long to fuzz (schemathesis' cases grow with the size of an operation's schema,
    its referenced components included: the largest go first, each to the part with least so far)."""
    components = document.get("components", {}).get("schemas", {})

    def size(operation):
        text = json.dumps(operation, sort_keys=True)
        return len(text) + sum(len(json.dumps(components.get(ref, {}))) for ref in set(REF.findall(text)))

    operations = sorted(
        (
            (size(operation), f"{method.upper()} {path}")
            for path, item in document["paths"].items()
            for method, operation in item.items()
            if method in METHODS
        ),
        key=lambda weighed: (-weighed[0], weighed[1]),
    )
    parts = [[0, []] for _ in range(PARTS)]
    for weight, name in operations:
        lightest = min(parts, key=lambda p: p[0])
        lightest[0] += weight
        lightest[1].append(name)
    return parts[part][1]


def fuzz(app, world, role, part):
    """Run schemathesis' engine (every phase, every check) over part `part` of the document's operations;
    return the failures."""
    config = SchemathesisConfig.from_dict(
        {
            "seed": 20261125,
            "base-url": world.server_url,
            "headers": {"Host": tenant_host(world.tenant)},  # the tenant's host, also on unauthenticated cases
            "cache": {"enabled": False},
            "generation": {"max-examples": MAX_EXAMPLES, "database": "none"},
            "checks": {
                "enabled": True,
                # Schema-valid input may still name a row that does not exist, a file that is not what it says,
                # or a filter value its column cannot take: the document cannot express those, and the API
                # answers them 400/422 with the field named. Everything the document can say, it says, and
                # negative_data_rejection proves the server enforces it.
                "positive_data_acceptance": {"expected-statuses": ["2xx", 400, 401, 403, 404, 409, 422, 429]},
            },
            "workers": 1,
            "phases": {
                "stateful": {"enabled": LONG_RUN},
                "coverage": {} if LONG_RUN else {"unexpected-methods": []},
            },
            "continue-on-failure": True,
        }
    )
    document = app.test_client().get("/api/v1/openapi.json", headers={"Host": tenant_host(world.tenant)}).get_json()
    operations = operations_of(document, part)
    schema = schemathesis.openapi.from_dict(document, config=config).include(name=operations)
    assert operations and schema.statistic.operations.selected == len(operations)  # every name matched one

    @schema.auth(refresh_interval=None)
    class FreshToken:
        def get(self, case, context):
            return world.token(role)

        def set(self, case, data, context):
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}

    failures, errors, seen = [], [], set()
    for event in from_schema(schema).execute():
        if isinstance(event, events.NonFatalError | events.FatalError):
            errors.append(event)
        elif isinstance(event, events.ScenarioFinished):
            for case_id, checks in event.recorder.checks.items():
                for check in checks:
                    if check.failure_info is None:
                        continue
                    failure = check.failure_info.failure
                    key = (failure.operation, failure.title, _summary(failure.message))
                    if key not in seen:
                        seen.add(key)
                        interaction = event.recorder.interactions.get(case_id)
                        failures.append((failure, interaction))
        elif isinstance(event, events.EngineFinished):
            failures += [(failure, None) for failure in event.failures]
    return failures, errors


def _summary(message):
    """The first line of a failure and where in the document it points."""
    lines = message.splitlines()
    where = [line.strip() for line in lines if line.startswith(("Schema at ", "Invalid component", "Expected"))]
    return " ".join([(lines or [""])[0][:200], *where])


def _request(interaction):
    if interaction is None:
        return ""
    request = interaction.request
    body = (request.body or b"")[:300]
    return f"\n    -> {request.method} {request.uri} {body!r}"


def _describe(failures, errors):
    lines = [f"{f.operation}: {f.title}: {_summary(f.message)}" + _request(i) for f, i in failures]
    lines += [f"{e.label}: {e.value!r}"[:500] for e in errors]
    return "\n".join(lines)


@pytest.mark.parametrize("part", range(PARTS), ids=lambda part: f"part{part + 1}of{PARTS}")
def test_every_operation_as_org_admin(app, world, part):
    failures, errors = fuzz(app, world, "org_admin", part)
    assert not failures and not errors, _describe(failures, errors)


@pytest.mark.parametrize("part", range(PARTS), ids=lambda part: f"part{part + 1}of{PARTS}")
def test_every_operation_as_student(app, world, part):
    failures, errors = fuzz(app, world, "student", part)
    assert not failures and not errors, _describe(failures, errors)
