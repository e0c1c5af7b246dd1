"""What one autosave costs in process: CPU and SQL statements per request, through the Flask test client.

    python -m scripts.bench_autosave_path [--requests 300] [--statements] [--profile 25]

SQLite files in a temporary directory and a throw-away Redis (sign-in and deadline jobs; rate limits stay in
memory), one organization, a learner enrolled in a published course and an open
attempt at a timed quiz of the load bench's 20 questions (`scripts/bench_quiz_load.py`). Repeats, in turn over
the questions, the API's `PUT /api/v1/attempts/{id}/answers/{position}` (a bearer token) and the attempt page's
`POST /courses/{course}/attempts/{id}/answers/{position}` (a signed-in session, CSRF, the question's form
fields), and prints for each the CPU milliseconds per request (best of 3 rounds) and the SQL statements per
request (every engine: the control plane's and the organization's). `--statements` lists one request's
statements; `--profile N` prints the N functions with the most cumulative time over one round of each.
On a loaded machine compare the CPU figures and the statements, not the wall time.
"""

import argparse
import cProfile
import pstats
import random
import re
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa
from flask_migrate import upgrade as upgrade_control_plane

from app import CONTROL_MIGRATIONS, create_app
from app.extensions import db
from app.security.actor import Actor
from app.tenancy.context import tenant_context
from app.tenancy.models import utcnow
from app.tenancy.provisioning import provision_tenant
from blueprints.assessments import attempts, bank, quizzes, review
from blueprints.auth.services import access_token_for
from blueprints.courses import services as courses
from blueprints.learning.models import Enrollment
from blueprints.users.services import create_user, principal_for_user
from config import TestConfig
from scripts.bench_quiz_load import question_of, response_for
from tests.support.services import RedisServer

PASSWORD = "bench-learner-password-9"  # noqa: S105 - a throw-away organization's learner


class StatementCounter:
    """Counts (and keeps) the SQL statements every engine runs while `on`."""

    def __init__(self):
        self.on, self.statements = False, []
        sa.event.listen(sa.engine.Engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn, _cursor, statement, _parameters, _context, _executemany):
        if self.on:
            self.statements.append(" ".join(statement.split()))


FIELDS = {  # kind: (name, response) -> the attempt page's fields (what static/js/attempt.js posts)
    "single_choice": lambda name, response: {name: response["choice"]},
    "multiple_choice": lambda name, response: {name: response["choices"]},
    "true_false": lambda name, response: {name: "true" if response["value"] else "false"},
    "short_answer": lambda name, response: {name: response["text"]},
    "numeric": lambda name, response: {name: response["value"]},
    "ordering": lambda name, response: {f"{name}-{rank}": item for rank, item in enumerate(response["order"], 1)},
    "matching": lambda name, response: {f"{name}-{key}": text for key, text in response["matches"].items()},
    "fill_blanks": lambda name, response: {f"{name}-{key}": text for key, text in response["blanks"].items()},
}


def form_fields(question, response, position):
    """The attempt page's fields for a response."""
    return FIELDS[question["kind"]](f"a{position}", response)


def seed(app):
    with app.app_context():
        upgrade_control_plane(directory=str(CONTROL_MIGRATIONS))
        tenant = provision_tenant("bench", "Bench", "admin@example.org", "bench-admin-password-9").tenant.ref()
    with tenant_context(tenant, app):
        teacher = Actor(principal_for_user(create_user("teacher@example.org", "teacher", password=PASSWORD).id))
        learner_id = create_user("learner@example.org", "student", password=PASSWORD).id
        course_id = courses.create_course(
            {"title": "Physics", "status": "published"}, teacher.principal, teacher.scope
        ).course.id
        db.session.add(Enrollment(course_id=course_id, user_id=learner_id, status="active", enrolled_at=utcnow()))
        db.session.commit()
        ids = [bank.create_question(course_id, *question_of(n), actor=teacher).id for n in range(20)]
        quiz = quizzes.create_quiz(course_id, title="Midterm", actor=teacher, time_limit_minutes=600)
        quizzes.set_slots(quiz.id, [{"question_id": question_id} for question_id in ids], actor=teacher)
        quizzes.update_quiz(quiz.id, published=True, shuffle_options=True, actor=teacher)
        attempt = attempts.start_attempt(quiz.id, actor=Actor(principal_for_user(learner_id)))
        view = review.attempt_view(attempt, quiz)
        token = access_token_for(learner_id, ("student",), tenant)
        return tenant, course_id, attempt.id, view["questions"], token


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--statements", action="store_true", help="list one request's SQL statements")
    parser.add_argument("--profile", type=int, default=0, help="print the N costliest functions")
    args = parser.parse_args()
    redis = RedisServer()
    try:
        run(args, redis.url)
    finally:
        redis.stop()


def run(args, redis_url):
    with tempfile.TemporaryDirectory() as workdir:
        work = Path(workdir)
        (work / "tenants").mkdir()
        app = create_app(
            TestConfig,
            INSTANCE_DIR=str(work),
            CONTROL_DATABASE_URL=f"sqlite:///{work / 'control.db'}",
            SQLALCHEMY_DATABASE_URI=f"sqlite:///{work / 'control.db'}",
            TENANT_DATABASE_URL_TEMPLATE=f"sqlite:///{work / 'tenants' / '{slug}.db'}",
            RATELIMIT_STORAGE_URI="memory://",
            REDIS_URL=redis_url,
            TENANT_CACHE_SECONDS=5,  # production's: the organization is looked up once in 5 s
            RQ_QUEUE=f"bench-{time.time_ns()}",
            WTF_CSRF_ENABLED=True,
        )
        tenant, course_id, attempt_id, questions, token = seed(app)
        host = f"{tenant.slug}.{app.config['LMS_BASE_DOMAIN']}"
        rng = random.Random(7)

        api = app.test_client()
        api_headers = {"Authorization": f"Bearer {token}", "Host": host}

        def api_save(question):
            position = question["position"]
            response = api.put(
                f"/api/v1/attempts/{attempt_id}/answers/{position}",
                json={"response": response_for(question, rng)},
                headers=api_headers,
            )
            assert response.status_code == 200, response.get_json()

        page = app.test_client()
        login = page.get("/login", headers={"Host": host}).get_data(as_text=True)
        csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login).group(1)
        signed_in = page.post(
            "/login",
            data={"csrf_token": csrf, "email": "learner@example.org", "password": PASSWORD},
            headers={"Host": host},
        )
        assert signed_in.status_code == 302, signed_in.status_code
        attempt_page = page.get(f"/courses/{course_id}/attempts/{attempt_id}", headers={"Host": host})
        csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', attempt_page.get_data(as_text=True)).group(1)
        page_headers = {"Host": host, "X-CSRFToken": csrf}

        def page_save(question):
            position = question["position"]
            fields = {"csrf_token": csrf, **form_fields(question, response_for(question, rng), position)}
            response = page.post(
                f"/courses/{course_id}/attempts/{attempt_id}/answers/{position}", data=fields, headers=page_headers
            )
            assert response.status_code == 200 and response.get_json()["saved"], response.get_data(as_text=True)

        counter = StatementCounter()
        for name, save in (
            ("API PUT .../answers/{position}", api_save),
            ("page POST .../answers/{position}", page_save),
        ):
            for question in questions:  # warm: every statement compiled and cached once
                save(question)
            counter.on, counter.statements = True, []
            save(questions[0])
            counter.on = False
            one = list(counter.statements)
            rounds = []
            for _ in range(3):
                started = time.process_time()
                for n in range(args.requests):
                    save(questions[n % len(questions)])
                rounds.append((time.process_time() - started) * 1000 / args.requests)
            print(f"{name}: {min(rounds):.3f} ms CPU per request (rounds: {', '.join(f'{r:.3f}' for r in rounds)}); ")
            print(f"  {len(one)} SQL statements per request")
            if args.statements:
                for statement in one:
                    print(f"    {statement[:160]}")
            if args.profile:
                profile = cProfile.Profile()
                profile.enable()
                for n in range(args.requests):
                    save(questions[n % len(questions)])
                profile.disable()
                pstats.Stats(profile).sort_stats("cumulative").print_stats(args.profile)


if __name__ == "__main__":
    main()
