"""Item analysis benchmark: 10 000 graded attempts x 50 questions (issue 12: under 2 s).

    python -m scripts.bench_assessments [--attempts 10000] [--questions 50] [--backend sqlite|postgres] [--runs 3]

Measures the pure computation (`statistics.item_analysis` on a matrix already in memory) and the whole refresh
from the database (`analysis.refresh`: the two queries, the computation, writing the figures), on one tenant.
The questions are single choice (4 options, so every answer's chosen option is read out of its JSON), true/false
and numeric in turn; learners of three abilities answer them, so that the figures are not noise. Prints the
figures, then one JSON line (scripts/bench.py saves it).
"""

import argparse
import json
import random
import statistics
import sys
import tempfile
import time

import sqlalchemy as sa
from flask_migrate import upgrade as upgrade_control_plane

from app import CONTROL_MIGRATIONS, create_app
from app.extensions import db
from app.tenancy.context import tenant_context
from app.tenancy.models import utcnow
from app.tenancy.provisioning import provision_tenant
from blueprints.assessments import analysis
from blueprints.assessments.models import (
    AttemptQuestion,
    AttemptStatus,
    Question,
    QuestionKind,
    QuestionVersion,
    Quiz,
    QuizAttempt,
    QuizSlot,
)
from blueprints.assessments.statistics import ItemScore, item_analysis
from blueprints.courses.models import Course
from blueprints.users.models import User
from config import Config

KINDS = (QuestionKind.SINGLE, QuestionKind.TRUE_FALSE, QuestionKind.NUMERIC)
OPTIONS = ("a", "b", "c", "d")


def question_spec(kind):
    if kind == QuestionKind.SINGLE:
        return {"options": [{"id": o, "text": o.upper(), "correct": o == "a"} for o in OPTIONS]}
    if kind == QuestionKind.TRUE_FALSE:
        return {"answer": True}
    return {"answers": [{"value": 42.0, "tolerance": 0.5, "tolerance_kind": "absolute", "fraction": 1.0}]}


def answer(rng, kind, ability, difficulty):
    """(response, fraction) of a learner of `ability` on a question of `difficulty` (both in [0, 1])."""
    right = rng.random() < max(0.05, min(0.95, 0.5 + ability - difficulty))
    if kind == QuestionKind.SINGLE:
        return {"choice": "a" if right else rng.choice(OPTIONS[1:])}, 1.0 if right else 0.0
    if kind == QuestionKind.TRUE_FALSE:
        return {"value": right}, 1.0 if right else 0.0
    return {"value": "42" if right else str(rng.randint(0, 40))}, 1.0 if right else 0.0


def seed(app, tenant, attempts, questions):
    rng = random.Random(12)
    now = utcnow()
    with tenant_context(tenant, app):
        course = Course(title="Bench", slug="bench", status="published")
        db.session.add(course)
        db.session.flush()
        quiz = Quiz(course_id=course.id, title="Big quiz", published=True)
        db.session.add(quiz)
        db.session.flush()
        items = []
        for n in range(questions):
            kind = KINDS[n % len(KINDS)]
            question = Question(course_id=course.id, kind=kind, title=f"Question {n + 1}", current_version=1)
            db.session.add(question)
            db.session.flush()
            version = QuestionVersion(question_id=question.id, number=1, stem_html="<p>?</p>", spec=question_spec(kind))
            db.session.add(version)
            db.session.add(QuizSlot(quiz_id=quiz.id, position=n, question_id=question.id, points=1.0))
            db.session.flush()
            items.append((question.id, version.id, kind, rng.uniform(0.0, 0.6)))
        db.session.execute(
            sa.insert(User),
            [
                {
                    "email": f"l{n}@example.org",
                    "role": "student",
                    "is_active": True,
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(attempts)
            ],
        )
        learners = db.session.scalars(sa.select(User.id).where(User.role == "student").order_by(User.id)).all()
        db.session.execute(
            sa.insert(QuizAttempt),
            [
                {
                    "quiz_id": quiz.id,
                    "user_id": user_id,
                    "number": 1,
                    "status": AttemptStatus.GRADED,
                    "seed": n,
                    "started_at": now,
                    "submitted_at": now,
                    "max_score": float(questions),
                }
                for n, user_id in enumerate(learners)
            ],
        )
        attempt_ids = db.session.scalars(sa.select(QuizAttempt.id).where(QuizAttempt.quiz_id == quiz.id)).all()
        batch = []
        for attempt_id in attempt_ids:
            ability = rng.choice((0.0, 0.2, 0.4))
            for position, (question_id, version_id, kind, difficulty) in enumerate(items):
                response, fraction = answer(rng, kind, ability, difficulty)
                batch.append(
                    {
                        "attempt_id": attempt_id,
                        "position": position,
                        "question_id": question_id,
                        "version_id": version_id,
                        "points": 1.0,
                        "response": response,
                        "saved_at": now,
                        "fraction": fraction,
                        "score": fraction,
                        "grader_comment": "",
                    }
                )
            if len(batch) >= 50_000:
                db.session.execute(sa.insert(AttemptQuestion), batch)
                batch = []
        if batch:
            db.session.execute(sa.insert(AttemptQuestion), batch)
        db.session.commit()
        return quiz.id, [(question_id, kind) for question_id, _v, kind, _d in items]


def pure_matrix(app, tenant, quiz_id):
    """The matrix the refresh builds, read once, so that the pure computation is timed alone."""
    with tenant_context(tenant, app):
        rows = db.session.execute(
            sa.select(
                AttemptQuestion.attempt_id,
                AttemptQuestion.question_id,
                AttemptQuestion.fraction,
                AttemptQuestion.response,
            )
            .join(QuizAttempt, QuizAttempt.id == AttemptQuestion.attempt_id)
            .where(QuizAttempt.quiz_id == quiz_id)
        ).all()
    matrix = {}
    for attempt_id, question_id, fraction, response in rows:
        choice = response.get("choice")
        chosen = (choice,) if choice else None
        matrix.setdefault(attempt_id, []).append(ItemScore(question_id, fraction, 1.0, chosen))
    return list(matrix.values())


def timed(call, runs):
    wall, cpu = [], []
    result = None
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        result = call()
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return result, {
        "median_s": round(statistics.median(wall), 3),
        "best_s": round(min(wall), 3),
        "cpu_median_s": round(statistics.median(cpu), 3),
    }


def bench(attempts, questions, backend, runs, pg_url):
    config = {"INSTANCE_DIR": tempfile.mkdtemp(prefix="tessera-assessment-bench-"), "LMS_BASE_DOMAIN": "localhost:5000"}
    if backend == "postgres":
        engine = sa.create_engine(f"{pg_url}/postgres", isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text('CREATE DATABASE "bench_control"'))
        engine.dispose()
        config["CONTROL_DATABASE_URL"] = f"{pg_url}/bench_control"
        config["TENANT_DATABASE_URL_TEMPLATE"] = f"{pg_url}/bench_t_{{slug}}"
    app = create_app(Config, **config)
    with app.app_context():
        upgrade_control_plane(directory=str(CONTROL_MIGRATIONS))
        tenant = provision_tenant("bench", "Bench", "admin@example.org", "bench-admin-password").tenant.ref()
    started = time.perf_counter()
    quiz_id, _questions = seed(app, tenant, attempts, questions)
    seeded = round(time.perf_counter() - started, 1)

    matrix = pure_matrix(app, tenant, quiz_id)
    options = {question: list(OPTIONS) for question in {score.question for score in matrix[0]}}
    figures, pure = timed(lambda: item_analysis(matrix, options), runs)

    def refresh():
        with tenant_context(tenant, app):
            return analysis.refresh(quiz_id)

    refreshed, from_database = timed(refresh, runs)
    by_version, grouped = timed(lambda: _analyse(app, tenant, quiz_id), runs)
    facilities = [q.facility for q in refreshed.questions]
    discriminations = [q.discrimination_index for q in refreshed.questions if q.discrimination_index is not None]
    return {
        "backend": backend,
        "attempts": attempts,
        "questions": questions,
        "answers": attempts * questions,
        "seed_seconds": seeded,
        "pure_computation": pure,
        "refresh_from_database": from_database,
        "by_version_on_demand": grouped,
        "goal_s": 2.0,
        "figures": {
            "mean": round(refreshed.mean, 2),
            "sd": round(refreshed.standard_deviation, 2),
            "cronbach_alpha": round(refreshed.cronbach_alpha, 3),
            "facility_range": [round(min(facilities), 2), round(max(facilities), 2)],
            "discrimination_range": [round(min(discriminations), 2), round(max(discriminations), 2)],
            "same_as_pure": abs(refreshed.mean - figures.mean) < 1e-9 and len(by_version.questions) == questions,
        },
    }


def _analyse(app, tenant, quiz_id):
    with tenant_context(tenant, app):
        return analysis.analyse(quiz_id, by_version=True).figures


def print_result(result):
    print(
        f"Item analysis, {result['attempts']} attempts x {result['questions']} questions "
        f"({result['answers']} answers, {result['backend']}; seeded in {result['seed_seconds']} s):"
    )
    for label, key in (
        ("pure computation (statistics.item_analysis)", "pure_computation"),
        ("refresh from the database (analysis.refresh)", "refresh_from_database"),
        ("on demand, by version (analysis.analyse)", "by_version_on_demand"),
    ):
        figures = result[key]
        print(
            f"  {label:<48} median {figures['median_s']} s, best {figures['best_s']} s, "
            f"CPU {figures['cpu_median_s']} s   (goal < {result['goal_s']} s)"
        )
    print(f"  figures: {result['figures']}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--attempts", type=int, default=10_000)
    parser.add_argument("--questions", type=int, default=50)
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from tests.support.services import PostgresServer  # noqa: PLC0415 (only when asked for)

    postgres = PostgresServer() if args.backend == "postgres" else None
    try:
        result = bench(args.attempts, args.questions, args.backend, args.runs, postgres.url if postgres else None)
    finally:
        if postgres:
            postgres.stop()
    print_result(result)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
