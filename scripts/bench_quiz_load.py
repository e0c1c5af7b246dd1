"""Quiz load benchmark: a class of 500 takes the same timed 20-question quiz against the app under gunicorn.

    python -m scripts.bench_quiz_load [--learners 500] [--minutes 1] [--start-seconds 60] [--backend postgres]

1. Setup (not timed): a throw-away PostgreSQL (`--backend sqlite`: SQLite files) and Redis, a control plane
   and one organization, `--learners` students enrolled in a published course (rows in bulk; API tokens
   minted with `access_token_for`, no password sign-ins), and a published quiz of 20 auto-graded questions of
   eight kinds, made through the bank and quiz services, with a time limit of `--minutes` + 1 minutes,
   shuffled questions and options, linked to a course item (passing it completes the item).
2. The app under gunicorn (`wsgi:app`, production configuration, gthread workers: 2 x cores + 1 processes of
   4 threads by default) on a free port, `flask worker` (RQ with its scheduler: the deadline jobs) and
   `flask worker --events` (item analysis, item completion), as production runs them.
3. The load, from another process (asyncio + httpx, one client and connection per learner): the learners
   start within `--start-seconds` (each at a random moment), load the attempt (`GET /api/v1/attempts/{id}`:
   the attempt page is not built yet, so the API's read of the attempt, which a page would make, stands in
   for it), autosave the 20 answers (`PUT .../answers/{position}`) at random moments over `--minutes`
   minutes, change `--changes` of them near the end, reload the attempt once, and submit. A share of them
   (`--no-submit`, 10 %) never submit: the deadline job must.
4. Checks (the bench exits non-zero otherwise): no 5xx and no unexpected status at all; every attempt graded
   (the silent ones auto-submitted at their deadline); every answer in the database is the last one its
   learner sent for that position; every answer's fraction and every attempt's score are what
   `grading.grade` gives for what was sent.
5. The ceiling of submits: `--burst` attempts of a second (untimed) quiz, started and filled beforehand,
   submitted with `--burst-concurrency` requests in flight, as fast as the server takes them.
Prints the figures per request kind (targets: p95 overall < 100 ms, autosave and page p95 < 50 ms), the load
average, and JSON on the last line.
"""

import argparse
import asyncio
import json
import math
import os
import random
import secrets
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import sqlalchemy as sa
from flask_migrate import upgrade as upgrade_control_plane

from app import CONTROL_MIGRATIONS, create_app
from app.events.models import DeliveryStatus, EventDelivery
from app.extensions import db
from app.security.actor import Actor
from app.tenancy.context import tenant_context
from app.tenancy.models import utcnow
from app.tenancy.provisioning import provision_tenant
from blueprints.assessments import attempts, bank, grading, quizzes
from blueprints.assessments.models import (
    AttemptQuestion,
    AttemptStatus,
    Question,
    QuestionVersion,
    QuizAttempt,
)
from blueprints.auth.services import access_token_for
from blueprints.courses import services as courses
from blueprints.learning.models import Enrollment
from blueprints.users.models import User
from blueprints.users.services import principal_for_user
from config import ProductionConfig
from tests.support.services import PostgresServer, RedisServer, _stop, _wait_for_port, free_port

ROOT = Path(__file__).resolve().parents[1]
HOST = "bench.localhost:5000"
EXPECTED = {"start": 201, "page": 200, "autosave": 200, "submit": 200, "warm-up": 200}
KINDS = ("start", "page", "autosave", "submit")
TIMEOUT_SECONDS = 60
# Every client of one process shares this (plain HTTP needs none, but httpx builds one per client: 500 of them
# took the client process a minute on a busy machine).
SSL_CONTEXT = ssl.create_default_context()
# gunicorn tells when each worker has loaded the app (the first requests must not wait for a worker to boot).
GUNICORN_HOOKS = """
from pathlib import Path


def post_worker_init(worker):
    Path({ready!r}, f"worker-{{worker.pid}}").touch()
"""


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def figures_of(latencies):
    if not latencies:
        return {"requests": 0}
    return {
        "requests": len(latencies),
        "p50_ms": round(statistics.median(latencies), 1),
        "p95_ms": round(percentile(latencies, 0.95), 1),
        "p99_ms": round(percentile(latencies, 0.99), 1),
        "max_ms": round(max(latencies), 1),
    }


def cpu_seconds(root_pids):
    """CPU time (user + system) of processes and their descendants, living ones and those reaped (Linux)."""
    parents, ticks = {}, {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        pid = int(stat.parent.name)
        parents[pid] = int(fields[1])
        ticks[pid] = sum(int(value) for value in fields[11:15])  # utime, stime, cutime, cstime
    tree, frontier = set(root_pids), list(root_pids)
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in tree]
        tree.update(children)
        frontier.extend(children)
    return sum(ticks.get(pid, 0) for pid in tree) / os.sysconf("SC_CLK_TCK")


def load_average():
    return [round(value, 2) for value in os.getloadavg()]


# --- The quiz: 20 questions of the eight auto-graded kinds -------------------------------------------------


def _single(n):
    correct = "abcd"[n % 4]
    spec = {"options": [{"id": i, "text": f"Option {i} of {n}", "correct": i == correct} for i in "abcd"]}
    return f"<p>Pick the right option of question {n}.</p>", spec


def _multiple(n):
    spec = {
        "options": [{"id": i, "text": f"Choice {i} of {n}", "correct": i in "ab"} for i in "abcd"],
        "scoring": "partial" if n % 2 else "all_or_nothing",
    }
    return f"<p>Which choices of question {n} are right?</p>", spec


def _short(n):
    spec = {
        "answers": [
            {"text": f"word{n}", "match": "case_insensitive", "fraction": 1.0},
            {"text": r"w[aeiou]rd\d+", "match": "regex", "fraction": 0.5},
        ]
    }
    return f"<p>Type word{n}.</p>", spec


def _matching(_n):
    spec = {
        "pairs": [{"id": f"p{i}", "prompt": f"Country {i}", "answer": f"City {i}"} for i in range(3)],
        "distractors": ["Atlantis"],
        "scoring": "partial",
    }
    return "<p>Match each country with its capital.</p>", spec


def _blanks(_n):
    spec = {
        "blanks": [
            {"id": "s", "answers": [{"text": "red", "match": "case_insensitive", "fraction": 1.0}]},
            {"id": "t", "answers": [{"text": "blue", "match": "exact", "fraction": 1.0}]},
        ]
    }
    return "<p>Roses are [[s]], violets are [[t]].</p>", spec


QUESTIONS = {  # kind: number -> (stem_html, spec)
    "single_choice": _single,
    "multiple_choice": _multiple,
    "true_false": lambda n: (f"<p>Statement {n} holds.</p>", {"answer": n % 3 == 0}),
    "short_answer": _short,
    "numeric": lambda n: (
        f"<p>How much is {n} x 1.5?</p>",
        {"answers": [{"value": n * 1.5, "tolerance": 0.1, "tolerance_kind": "absolute", "fraction": 1.0}]},
    ),
    "ordering": lambda _n: (
        "<p>Put the steps in order.</p>",
        {"items": [{"id": i, "text": f"Step {i}"} for i in "wxyz"], "scoring": "partial"},
    ),
    "matching": _matching,
    "fill_blanks": _blanks,
}


def question_of(number):
    """(kind, title, stem_html, spec) of the bench's question `number` (0-based): the eight auto-graded kinds
    in turn, each question different."""
    kind = list(QUESTIONS)[number % len(QUESTIONS)]
    stem, spec = QUESTIONS[kind](number)
    return kind, f"Q{number + 1} ({kind})", stem, spec


def _numeric_response(_view, rng):
    value = rng.randint(0, 20) * 1.5
    return {"value": rng.choice([str(value), f"{value:.2f}".replace(".", ","), str(value + 1)])}


RESPONSES = {  # kind: (what the attempt shows of the question, rng) -> a response
    "single_choice": lambda view, rng: {"choice": rng.choice(view["options"])["id"]},
    "multiple_choice": lambda view, rng: {
        "choices": rng.sample([o["id"] for o in view["options"]], rng.randint(1, len(view["options"])))
    },
    "true_false": lambda _view, rng: {"value": rng.random() < 0.5},
    "short_answer": lambda _view, rng: {
        "text": rng.choice([f"Word{rng.randint(0, 20)}", f"wurd{rng.randint(0, 9)}", "no idea"])
    },
    "numeric": _numeric_response,
    "ordering": lambda view, rng: {"order": rng.sample([i["id"] for i in view["items"]], len(view["items"]))},
    "matching": lambda view, rng: {"matches": {p["id"]: rng.choice(view["answers"]) for p in view["prompts"]}},
    "fill_blanks": lambda view, rng: {
        "blanks": {b["id"]: rng.choice(["red", "Red", "blue", "green"]) for b in view["blanks"]}
    },
}


def response_for(question, rng):
    """A response a learner might give, from what the attempt shows of the question (no key): right, wrong
    or partly right, in the shape its kind takes."""
    return RESPONSES[question["kind"]](question["view"], rng)


# --- Setup (not timed) ---------------------------------------------------------------------------------------


def environment(args, workdir, redis_url, pg_url):
    """The production configuration of every process of the bench (the app under gunicorn, the workers, the
    bench itself), through the environment as production sets it."""
    env = {
        "LMS_ENV": "production",
        "SECRET_KEY": secrets.token_hex(32),
        "JWT_SECRET_KEY": secrets.token_hex(32),
        "JWT_ACCESS_TOKEN_MINUTES": "120",
        "LMS_BASE_DOMAIN": "localhost:5000",
        "LMS_INSTANCE_DIR": str(workdir / "instance"),
        "REDIS_URL": redis_url,
        "RQ_QUEUE": f"bench-quiz-{os.getpid()}",
        # One pooled connection per gunicorn thread: with the default pool of 2 (+3 overflow) a worker of 4
        # threads opened and closed a PostgreSQL connection (a server process) for its 3rd and 4th request.
        "TENANT_DB_POOL_SIZE": str(args.threads),
    }
    if args.backend == "postgres":
        engine = sa.create_engine(f"{pg_url}/postgres", isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text('CREATE DATABASE "bench_control"'))
        engine.dispose()
        env["CONTROL_DATABASE_URL"] = f"{pg_url}/bench_control"
        env["TENANT_DATABASE_URL_TEMPLATE"] = f"{pg_url}/bench_t_{{slug}}"
    else:
        env["CONTROL_DATABASE_URL"] = f"sqlite:///{workdir / 'instance' / 'control.db'}"
        env["TENANT_DATABASE_URL_TEMPLATE"] = f"sqlite:///{workdir / 'instance' / 'tenants' / '{slug}.db'}"
    return env


def overrides_of(env):
    """The same settings as configuration keys, for the bench's own app."""
    names = {"LMS_INSTANCE_DIR": "INSTANCE_DIR", "JWT_ACCESS_TOKEN_MINUTES": None, "LMS_ENV": None}
    overrides = {names.get(name, name): value for name, value in env.items() if names.get(name, name)}
    numbers = {name: int(env[name]) for name in ("JWT_ACCESS_TOKEN_MINUTES", "TENANT_DB_POOL_SIZE")}
    return {**overrides, **numbers}


def make_learners(count):
    now = utcnow()
    db.session.execute(
        sa.insert(User),
        [
            {
                "email": f"learner{n}@example.org",
                "first_name": f"Learner{n}",
                "last_name": "Bench",
                "role": "student",
                "is_active": True,
                "created_at": now,
                "updated_at": now,
            }
            for n in range(count)
        ],
    )
    db.session.commit()
    return db.session.scalars(sa.select(User.id).where(User.role == "student").order_by(User.id)).all()


def make_quiz(teacher, course_id, title, questions, **settings):
    """A published quiz of `questions` (ids) through the quiz services."""
    quiz = quizzes.create_quiz(course_id, title=title, actor=teacher, **settings)
    quizzes.set_slots(quiz.id, [{"question_id": question_id} for question_id in questions], actor=teacher)
    quizzes.update_quiz(quiz.id, published=True, actor=teacher)
    return quiz.id


def seed(args, app):
    """The organization, its teacher, course, learners, questions and the two quizzes; ids and tokens."""
    with app.app_context():
        upgrade_control_plane(directory=str(CONTROL_MIGRATIONS))
        tenant = provision_tenant("bench", "Bench", "admin@example.org", "bench-admin-password-9").tenant.ref()
    with tenant_context(tenant, app):
        teacher_row = User(email="teacher@example.org", first_name="Tess", last_name="Teacher", role="teacher")
        db.session.add(teacher_row)
        db.session.commit()
        teacher = Actor(principal_for_user(teacher_row.id))
        course_id = courses.create_course(
            {"title": "Physics 500", "status": "published"}, teacher.principal, teacher.scope
        ).course.id
        learner_ids = make_learners(args.learners)
        now = utcnow()
        db.session.execute(
            sa.insert(Enrollment),
            [{"course_id": course_id, "user_id": u, "status": "active", "enrolled_at": now} for u in learner_ids],
        )
        db.session.commit()
        question_ids = []
        for number in range(args.questions):
            kind, title, stem, spec = question_of(number)
            question_ids.append(bank.create_question(course_id, kind, title, stem, spec, actor=teacher).id)
        quiz_id = make_quiz(
            teacher,
            course_id,
            "Midterm",
            question_ids,
            time_limit_minutes=args.minutes + 1,
            attempts_allowed=1,
            shuffle_questions=True,
            shuffle_options=True,
            module_title="Assessment",
        )
        ceiling_quiz_id = make_quiz(teacher, course_id, "Ceiling", question_ids, attempts_allowed=1)
        solo_quiz_id = make_quiz(teacher, course_id, "Solo", question_ids, attempts_allowed=1)
        tokens = {u: access_token_for(u, ("student",), tenant) for u in learner_ids}
    ids = {"course": course_id, "quiz": quiz_id, "ceiling_quiz": ceiling_quiz_id, "solo_quiz": solo_quiz_id}
    return tenant, ids, tokens


def prepare_burst(app, tenant, quiz_id, learner_ids):
    """Open attempts at the ceiling quiz, every answer saved (right), ready to submit: their ids."""
    prepared = []
    with tenant_context(tenant, app):
        for user_id in learner_ids:
            prepared.append(attempts.start_attempt(quiz_id, actor=Actor(principal_for_user(user_id))).id)
        rows = db.session.execute(
            sa.select(AttemptQuestion.id, Question.kind, QuestionVersion.spec)
            .join(Question, Question.id == AttemptQuestion.question_id)
            .join(QuestionVersion, QuestionVersion.id == AttemptQuestion.version_id)
            .where(AttemptQuestion.attempt_id.in_(prepared))
        ).all()
        db.session.execute(
            sa.update(AttemptQuestion),
            [
                {"id": row_id, "response": grading.correct_response(kind, spec), "saved_at": utcnow()}
                for row_id, kind, spec in rows
            ],
        )
        db.session.commit()
    return prepared


# --- The servers -------------------------------------------------------------------------------------------


def start_servers(args, env):
    """gunicorn, `flask worker` and `flask worker --events` as production runs them; (processes, port)."""
    port = free_port()
    full_env = {**os.environ, **env}
    gunicorn = [
        sys.executable,
        "-m",
        "gunicorn",
        "wsgi:app",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(args.workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(args.threads),
        "--keep-alive",
        "75",  # as a proxy's would: a learner's next save comes within seconds, or a minute when the server lags
        "--backlog",
        "2048",
        "--timeout",
        "120",
        "--worker-tmp-dir",
        "/dev/shm",  # noqa: S108 (gunicorn's heartbeat files: its documented advice, nothing secret)
        "--log-level",
        "warning",
    ]
    logs = Path(env["LMS_INSTANCE_DIR"]).parent
    ready = logs / "ready"
    ready.mkdir()
    (logs / "gunicorn_hooks.py").write_text(GUNICORN_HOOKS.format(ready=str(ready)))
    gunicorn += ["--config", str(logs / "gunicorn_hooks.py")]
    processes = []
    for name, command in (
        ("gunicorn", gunicorn),
        ("worker", [sys.executable, "-m", "flask", "--app", "wsgi", "worker"]),
        ("events", [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--events"]),
    ):
        log = open(logs / f"{name}.log", "w")  # noqa: SIM115 (the process owns it until the bench ends)
        processes.append(subprocess.Popen(command, cwd=ROOT, env=full_env, stdout=log, stderr=subprocess.STDOUT))
    _wait_for_port(port, processes[0], "gunicorn", timeout=60)
    deadline = time.monotonic() + 300
    while len(list(ready.iterdir())) < args.workers:
        if time.monotonic() > deadline or processes[0].poll() is not None:
            raise RuntimeError(f"gunicorn's workers did not all start: see {logs / 'gunicorn.log'}")
        time.sleep(0.2)
    return processes, port, logs


def stop_servers(processes):
    for process in processes:
        _stop(process)


# --- The load (a separate process) ---------------------------------------------------------------------------


class Recorder:
    def __init__(self):
        self.latencies = {kind: [] for kind in (*KINDS, "warm-up")}
        self.statuses = {}
        self.errors = []

    async def call(self, client, kind, method, path, **kwargs):
        """The JSON body of the response when it has the expected status; else None, and an error kept."""
        began = time.perf_counter()
        try:
            response = await client.request(method, path, **kwargs)
        except httpx.HTTPError as error:
            self.errors.append({"kind": kind, "path": path, "status": None, "error": repr(error)})
            return None
        self.latencies[kind].append((time.perf_counter() - began) * 1000)
        self.statuses[response.status_code] = self.statuses.get(response.status_code, 0) + 1
        if response.status_code != EXPECTED[kind]:
            self.errors.append(
                {"kind": kind, "path": path, "status": response.status_code, "body": response.text[:300].strip()}
            )
            return None
        return response.json()


def client_for(plan, token, connections=1):
    return httpx.AsyncClient(
        base_url=plan["base_url"],
        headers={"Host": HOST, "Authorization": f"Bearer {token}"},
        timeout=TIMEOUT_SECONDS,
        verify=SSL_CONTEXT,
        limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
    )


async def sleep_until(moment):
    delay = moment - time.monotonic()
    if delay > 0:
        await asyncio.sleep(delay)


async def take_quiz(plan, learner, client, recorder, began):
    """One learner: start, load the attempt, autosave, change some answers, reload, submit (or not)."""
    rng = random.Random(plan["seed"] * 1_000_003 + learner["user_id"])
    quiz_id, span = plan["quiz_id"], plan["minutes"] * 60
    start_at = began + learner["start_at"]
    await sleep_until(start_at)
    body = await recorder.call(client, "start", "POST", f"/api/v1/assessments/{quiz_id}/attempts")
    if body is None:
        return None
    attempt = body["data"]
    attempt_id, questions = attempt["id"], attempt["questions"]
    time_up = time.monotonic() + attempt["seconds_left"] - 1  # the page's timer: it stops sending at 0
    await recorder.call(client, "page", "GET", f"/api/v1/attempts/{attempt_id}")
    steps = [(rng.uniform(0, span * 0.8), "autosave", question) for question in questions]
    steps += [(rng.uniform(span * 0.8, span), "autosave", q) for q in rng.sample(questions, plan["changes"])]
    steps.append((rng.uniform(0, span), "page", None))
    sent, out_of_time = {}, False
    for at, kind, question in sorted(steps, key=lambda step: step[0]):
        await sleep_until(start_at + at)
        if time.monotonic() >= time_up:  # the server kept this learner waiting past their time limit
            out_of_time = True
            break
        if kind == "page":
            await recorder.call(client, "page", "GET", f"/api/v1/attempts/{attempt_id}")
            continue
        response = response_for(question, rng)
        path = f"/api/v1/attempts/{attempt_id}/answers/{question['position']}"
        if await recorder.call(client, "autosave", "PUT", path, json={"response": response}) is not None:
            sent[str(question["position"])] = response
    submitted = None
    if learner["submits"] and not out_of_time:
        await sleep_until(start_at + span + rng.uniform(0, 5))
        out_of_time = time.monotonic() >= time_up
    if learner["submits"] and not out_of_time:
        result = await recorder.call(client, "submit", "POST", f"/api/v1/attempts/{attempt_id}/submit", json={})
        submitted = None if result is None else result["data"]["status"]
    return {
        "attempt_id": attempt_id,
        "user_id": learner["user_id"],
        "submits": learner["submits"],
        "sent": sent,
        "status_after_submit": submitted,
        "out_of_time": out_of_time,
    }


async def warm_up(plan, recorder):
    """A few reads on many connections, so that every gunicorn worker has its engines and caches."""
    learners = plan["learners"][:40]
    clients = [client_for(plan, learner["token"]) for learner in learners]
    try:
        for _ in range(3):
            await asyncio.gather(
                *(
                    recorder.call(c, "warm-up", "GET", f"/api/v1/assessments/{plan['quiz_id']}/attempts")
                    for c in clients
                )
            )
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))


async def run_solo(plan, rounds=3):
    """One learner alone on the server (a quiz of their own): each request's time without the class's queue."""
    recorder = Recorder()
    learner = plan["learners"][0]
    rng = random.Random(plan["seed"])
    async with client_for(plan, learner["token"]) as client:
        body = await recorder.call(client, "start", "POST", f"/api/v1/assessments/{plan['solo_quiz_id']}/attempts")
        if body is None:
            return recorder
        attempt = body["data"]
        for _ in range(rounds):
            for question in attempt["questions"]:
                path = f"/api/v1/attempts/{attempt['id']}/answers/{question['position']}"
                await recorder.call(client, "autosave", "PUT", path, json={"response": response_for(question, rng)})
            for _ in range(5):
                await recorder.call(client, "page", "GET", f"/api/v1/attempts/{attempt['id']}")
        await recorder.call(client, "submit", "POST", f"/api/v1/attempts/{attempt['id']}/submit", json={})
    return recorder


async def run_class(plan):
    warming = Recorder()
    await warm_up(plan, warming)
    solo = await run_solo(plan)
    recorder = Recorder()
    clients = [client_for(plan, learner["token"]) for learner in plan["learners"]]
    began = time.monotonic() + 1
    load_before = load_average()
    try:
        taken = await asyncio.gather(
            *(
                take_quiz(plan, learner, client, recorder, began)
                for learner, client in zip(plan["learners"], clients, strict=True)
            )
        )
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))
    return {
        "seconds": round(time.monotonic() - began, 1),
        "latencies": recorder.latencies,
        "statuses": recorder.statuses,
        "errors": recorder.errors,
        "attempts": [attempt for attempt in taken if attempt is not None],
        "load_average_before": load_before,
        "load_average_after": load_average(),
        "solo": {"latencies": solo.latencies, "errors": solo.errors},
        "requests_sent": sum(len(r.latencies[kind]) for r in (warming, solo, recorder) for kind in r.latencies),
    }


async def run_burst(plan):
    """Submit every prepared attempt, `concurrency` at a time, as fast as the server answers."""
    recorder = Recorder()
    clients = {learner["user_id"]: client_for(plan, learner["token"]) for learner in plan["learners"]}
    gate = asyncio.Semaphore(plan["concurrency"])

    async def submit(user_id, attempt_id):
        async with gate:
            body = await recorder.call(
                clients[user_id], "submit", "POST", f"/api/v1/attempts/{attempt_id}/submit", json={}
            )
            return None if body is None else body["data"]["status"]

    began = time.perf_counter()
    try:
        statuses = await asyncio.gather(*(submit(u, a) for u, a in plan["burst"]))
    finally:
        elapsed = time.perf_counter() - began
        await asyncio.gather(*(c.aclose() for c in clients.values()))
    return {
        "seconds": round(elapsed, 2),
        "submits": len(plan["burst"]),
        "graded": statuses.count(AttemptStatus.GRADED),
        "latencies": recorder.latencies,
        "errors": recorder.errors,
        "load_average": load_average(),
    }


def client_main(phase, plan_path, out_path):
    plan = json.loads(Path(plan_path).read_text())
    result = asyncio.run(run_class(plan) if phase == "class" else run_burst(plan))
    result["client_cpu_seconds"] = round(time.process_time(), 1)
    Path(out_path).write_text(json.dumps(result))


def run_client(phase, plan, workdir):
    """The load from its own process (its CPU is not the server's, its GIL not the measured one's)."""
    plan_path, out_path = workdir / f"{phase}-plan.json", workdir / f"{phase}-result.json"
    plan_path.write_text(json.dumps(plan))
    command = [sys.executable, "-m", "scripts.bench_quiz_load", "--client", phase, str(plan_path), str(out_path)]
    subprocess.run(command, cwd=ROOT, check=True)
    return json.loads(out_path.read_text())


# --- Checks --------------------------------------------------------------------------------------------------


def wait_for_deadline_job(quiz_id, timeout):
    """Wait until no attempt of the quiz is open; returns when each was first seen submitted (monotonic)."""
    seen, deadline = {}, time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.rollback()
        rows = db.session.execute(
            sa.select(QuizAttempt.id, QuizAttempt.status).where(QuizAttempt.quiz_id == quiz_id)
        ).all()
        now = time.monotonic()
        for attempt_id, status in rows:
            if status != AttemptStatus.IN_PROGRESS:
                seen.setdefault(attempt_id, now)
        if len(seen) == len(rows):
            return seen
        time.sleep(0.5)
    return seen


def check_class(quiz_id, taken, learners):
    """What is wrong in the database after the run (a list of sentences; empty when all is well)."""
    problems = []
    db.session.rollback()
    stored = {a.id: a for a in db.session.scalars(sa.select(QuizAttempt).where(QuizAttempt.quiz_id == quiz_id))}
    if len(stored) != learners or len(taken) != learners:
        problems.append(f"{len(stored)} attempts stored and {len(taken)} taken, for {learners} learners")
    answers = {}
    for answer, kind, spec in db.session.execute(
        sa.select(AttemptQuestion, Question.kind, QuestionVersion.spec)
        .join(Question, Question.id == AttemptQuestion.question_id)
        .join(QuestionVersion, QuestionVersion.id == AttemptQuestion.version_id)
        .join(QuizAttempt, QuizAttempt.id == AttemptQuestion.attempt_id)
        .where(QuizAttempt.quiz_id == quiz_id)
    ):
        answers.setdefault(answer.attempt_id, []).append((answer, kind, spec))
    for record in taken:
        attempt = stored.get(record["attempt_id"])
        if attempt is None:
            problems.append(f"attempt {record['attempt_id']} is not in the database")
            continue
        if attempt.status != AttemptStatus.GRADED:
            problems.append(f"attempt {attempt.id} is {attempt.status}, not graded")
        if record["out_of_time"]:
            problems.append(f"attempt {attempt.id}: the server kept its learner waiting past the time limit")
        if (
            record["submits"]
            and not record["out_of_time"]
            and (attempt.auto_submitted or record["status_after_submit"] != AttemptStatus.GRADED)
        ):
            problems.append(
                f"attempt {attempt.id} was submitted by its learner, yet auto_submitted={attempt.auto_submitted}"
            )
        if (not record["submits"] or record["out_of_time"]) and not (
            attempt.auto_submitted and attempt.submitted_at == attempt.deadline_at
        ):
            problems.append(f"attempt {attempt.id} was left to the deadline, yet not auto-submitted at it")
        total = 0.0
        for answer, kind, spec in answers.get(attempt.id, []):
            sent = record["sent"].get(str(answer.position))
            if (answer.response or None) != (sent or None):
                problems.append(
                    f"attempt {attempt.id} position {answer.position}: stored {answer.response!r}, sent {sent!r}"
                )
            expected = grading.grade(kind, spec, sent).fraction
            if answer.fraction is None or not math.isclose(answer.fraction, expected, abs_tol=1e-9):
                problems.append(
                    f"attempt {attempt.id} position {answer.position}: fraction {answer.fraction}, "
                    f"grade says {expected}"
                )
            total += round(expected * answer.points, 6)
        if attempt.score is None or not math.isclose(attempt.score, round(total, 6), abs_tol=1e-6):
            problems.append(f"attempt {attempt.id}: score {attempt.score}, the grades add up to {round(total, 6)}")
    return problems


def pending_deliveries():
    db.session.rollback()
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(EventDelivery).where(EventDelivery.status != DeliveryStatus.DONE)
    )


def wait_for_events(timeout):
    """Seconds until every event delivery is done (None: still some after `timeout`), and how many were left."""
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        left = pending_deliveries()
        if left == 0:
            return round(time.monotonic() - began, 1), 0
        time.sleep(1)
    return None, pending_deliveries()


# --- The run -------------------------------------------------------------------------------------------------


def run(args, redis_url, pg_url, postgres_pid, workdir):
    env = environment(args, workdir, redis_url, pg_url)
    os.environ.update(env)  # the production configuration checks that its secrets come from the environment
    app = create_app(ProductionConfig, **overrides_of(env))  # config.py read the environment at import
    started = time.perf_counter()
    tenant, ids, tokens = seed(args, app)
    learner_ids = sorted(tokens)
    rng = random.Random(args.seed)
    silent = set(rng.sample(learner_ids, round(args.learners * args.no_submit)))
    learners = [
        {
            "user_id": u,
            "token": tokens[u],
            "start_at": rng.uniform(0, args.start_seconds),
            "submits": u not in silent,
        }
        for u in learner_ids
    ]
    print(
        f"Seeded {args.learners} learners and a {args.questions}-question quiz in {time.perf_counter() - started:.1f} s"
        f" ({args.backend})",
        flush=True,
    )

    processes, port, logs = start_servers(args, env)
    watched = {"gunicorn": [processes[0].pid], "rq_workers": [p.pid for p in processes[1:]], "postgres": [postgres_pid]}
    watched = {name: pids for name, pids in watched.items() if all(pids)}
    try:
        plan = {
            "base_url": f"http://127.0.0.1:{port}",
            "quiz_id": ids["quiz"],
            "solo_quiz_id": ids["solo_quiz"],
            "minutes": args.minutes,
            "changes": args.changes,
            "seed": args.seed,
            "learners": learners,
        }
        print(
            f"gunicorn: {args.workers} workers x {args.threads} threads on port {port}; the class starts "
            f"(load average {load_average()})",
            flush=True,
        )
        cpu_before = {name: cpu_seconds(pid) for name, pid in watched.items()}
        load = run_client("class", plan, workdir)
        cpu = {name: round(cpu_seconds(pid) - cpu_before[name], 1) for name, pid in watched.items()}
        class_ended = time.monotonic()
        with tenant_context(tenant, app):
            seen = wait_for_deadline_job(ids["quiz"], timeout=(args.minutes + 1) * 60 + 120)
            deadline_lag = deadline_lags(ids["quiz"], seen, class_ended, load["seconds"])
            errors = load["errors"] + load["solo"]["errors"]
            problems = [f"{e['kind']} {e['path']}: {e['status']} {e.get('body') or e.get('error')}" for e in errors]
            problems += check_class(ids["quiz"], load["attempts"], args.learners)
            events_seconds, events_left = wait_for_events(args.events_timeout)
        burst_ids = learner_ids[: args.burst]
        prepared = prepare_burst(app, tenant, ids["ceiling_quiz"], burst_ids)
        burst_plan = {
            **plan,
            "learners": [learner for learner in learners if learner["user_id"] in set(burst_ids)],
            "burst": list(zip(burst_ids, prepared, strict=True)),
            "concurrency": args.burst_concurrency,
        }
        burst = run_client("burst", burst_plan, workdir)
        problems += [
            f"burst submit {e['path']}: {e['status']} {e.get('body') or e.get('error')}" for e in burst["errors"]
        ]
        if burst["graded"] != len(prepared):
            problems.append(f"burst: {burst['graded']} of {len(prepared)} submits came back graded")
    finally:
        stop_servers(processes)
    return summarize(args, load, burst, deadline_lag, (events_seconds, events_left), problems, logs, cpu)


def deadline_lags(quiz_id, seen, class_ended, class_seconds):
    """How late the deadline job submitted the silent ones: seconds from their deadline to when the bench saw
    them submitted (an upper bound: polled every 0.5 s)."""
    db.session.rollback()
    rows = db.session.execute(
        sa.select(QuizAttempt.id, QuizAttempt.deadline_at).where(
            QuizAttempt.quiz_id == quiz_id, QuizAttempt.auto_submitted.is_(True)
        )
    ).all()
    if not rows:
        return None
    now_wall, now_mono = utcnow(), time.monotonic()
    lags = []
    for attempt_id, deadline in rows:
        if attempt_id in seen:
            seen_wall = now_wall.timestamp() - (now_mono - seen[attempt_id])
            lags.append(max(0.0, seen_wall - deadline.timestamp()))
    return {
        "auto_submitted": len(rows),
        "max_s": round(max(lags), 1) if lags else None,
        "median_s": round(statistics.median(lags), 1) if lags else None,
    }


def summarize(args, load, burst, deadline_lag, events, problems, logs, cpu):
    per_kind = {kind: figures_of(load["latencies"][kind]) for kind in KINDS}
    everything = [ms for kind in KINDS for ms in load["latencies"][kind]]
    overall = figures_of(everything)
    submit_rate = round(burst["submits"] / burst["seconds"], 1) if burst["seconds"] else None
    result = {
        "backend": args.backend,
        "learners": args.learners,
        "questions": args.questions,
        "minutes": args.minutes,
        "start_seconds": args.start_seconds,
        "gunicorn": {"workers": args.workers, "threads": args.threads, "worker_class": "gthread"},
        "run_seconds": load["seconds"],
        "requests": overall["requests"],
        "requests_per_second": round(overall["requests"] / load["seconds"], 1),
        "errors": len(load["errors"]),
        "learners_out_of_time": sum(1 for attempt in load["attempts"] if attempt["out_of_time"]),
        "statuses": load["statuses"],
        "per_kind": per_kind,
        "overall": overall,
        "targets": {
            "p95_overall_under_100_ms": overall.get("p95_ms", 0) < 100,
            "autosave_p95_under_50_ms": per_kind["autosave"].get("p95_ms", 0) < 50,
            "page_p95_under_50_ms": per_kind["page"].get("p95_ms", 0) < 50,
        },
        "solo": {kind: figures_of(load["solo"]["latencies"][kind]) for kind in ("autosave", "page")},
        "cpu_seconds_during_class": {**cpu, "load_client": load["client_cpu_seconds"]},
        "server_cpu_ms_per_request": {
            name: round(1000 * seconds / max(1, load["requests_sent"]), 1) for name, seconds in cpu.items()
        },
        "deadline_job": deadline_lag,
        "events_done_seconds_after_checks": events[0],
        "events_left": events[1],
        "submit_ceiling": {
            "submits": burst["submits"],
            "concurrency": args.burst_concurrency,
            "seconds": burst["seconds"],
            "submits_per_second": submit_rate,
            "latency": figures_of(burst["latencies"]["submit"]),
            "load_average": burst["load_average"],
        },
        "load_average_before": load["load_average_before"],
        "load_average_after": load["load_average_after"],
        "cores": os.cpu_count(),
        "problems": problems[:50],
        "problem_count": len(problems),
        "logs": str(logs),
    }
    print(
        f"\n{args.learners} learners, {args.questions} questions, answers over {args.minutes} min, started within "
        f"{args.start_seconds} s ({args.backend}; gunicorn {args.workers} x {args.threads} gthread, "
        f"{os.cpu_count()} cores)"
    )
    print(
        f"  {result['requests']} requests in {load['seconds']} s ({result['requests_per_second']}/s), "
        f"{result['errors']} errors; statuses {load['statuses']}; "
        f"{result['learners_out_of_time']} learners kept waiting past their time limit"
    )
    for kind in KINDS:
        f = per_kind[kind]
        print(
            f"  {kind:<9} {f['requests']:>6}  p50 {f.get('p50_ms')} ms  p95 {f.get('p95_ms')} ms  "
            f"p99 {f.get('p99_ms')} ms  max {f.get('max_ms')} ms"
        )
    print(
        f"  overall   p95 {overall.get('p95_ms')} ms (target < 100); autosave p95 "
        f"{per_kind['autosave'].get('p95_ms')} ms, page p95 {per_kind['page'].get('p95_ms')} ms (targets < 50)"
    )
    print(f"  load average {load['load_average_before']} before, {load['load_average_after']} after the class")
    print(
        f"  CPU used during the class: {cpu} s, i.e. ms per request {result['server_cpu_ms_per_request']} "
        f"over {load['requests_sent']} requests (with the warm-up and the lone learner's); the class had "
        f"{round(1000 * os.cpu_count() * load['seconds'] / max(1, overall['requests']), 1)} ms of CPU per request"
    )
    solo = result["solo"]
    print(
        f"  one learner alone (before the class): autosave p50 {solo['autosave'].get('p50_ms')} ms / p95 "
        f"{solo['autosave'].get('p95_ms')} ms, page p50 {solo['page'].get('p50_ms')} ms / p95 "
        f"{solo['page'].get('p95_ms')} ms"
    )
    if deadline_lag:
        print(
            f"  deadline job: {deadline_lag['auto_submitted']} attempts auto-submitted, seen submitted "
            f"{deadline_lag['median_s']} s (median) / {deadline_lag['max_s']} s (max) after their deadline"
        )
    done, left = events
    print(f"  event deliveries: all done {done} s after the checks" if left == 0 else f"  {left} deliveries pending")
    print(
        f"Submit ceiling: {burst['submits']} prepared attempts, {args.burst_concurrency} in flight: "
        f"{burst['seconds']} s, {submit_rate} submits/s (p95 {result['submit_ceiling']['latency'].get('p95_ms')} ms; "
        f"load average {burst['load_average']})"
    )
    if problems:
        print(f"\n{len(problems)} PROBLEMS:")
        for problem in problems[:30]:
            print(f"  {problem}")
    print(json.dumps(result))
    return result


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--learners", type=int, default=500)
    parser.add_argument("--questions", type=int, default=20)
    parser.add_argument(
        "--minutes", type=int, default=1, help="each learner's answers spread over this (time limit +1)"
    )
    parser.add_argument("--start-seconds", type=float, default=60, help="the learners start within this")
    parser.add_argument("--changes", type=int, default=5, help="answers each learner changes near the end")
    parser.add_argument("--no-submit", type=float, default=0.1, help="share of learners left to the deadline job")
    parser.add_argument("--backend", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1, help="gunicorn processes")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per process (gthread)")
    parser.add_argument("--burst", type=int, default=500, help="prepared attempts submitted for the ceiling")
    parser.add_argument("--burst-concurrency", type=int, default=32)
    parser.add_argument("--events-timeout", type=float, default=120, help="wait this long for event deliveries")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--client", nargs=3, metavar=("PHASE", "PLAN", "OUT"), help=argparse.SUPPRESS)
    return parser.parse_args()


def main():
    args = parse_args()
    if args.client:
        client_main(*args.client)
        return
    args.changes = min(args.changes, args.questions)
    args.burst = min(args.burst, args.learners)
    workdir = Path(tempfile.mkdtemp(prefix="tessera-quiz-bench-"))
    redis = RedisServer()
    postgres = PostgresServer() if args.backend == "postgres" else None
    try:
        result = run(args, redis.url, postgres.url if postgres else None, postgres and postgres.process.pid, workdir)
    finally:
        if postgres:
            postgres.stop()
        redis.stop()
    if result["problem_count"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
