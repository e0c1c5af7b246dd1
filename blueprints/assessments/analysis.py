"""Item analysis of a quiz from its graded attempts: kept up to date after each grading, or worked out on demand.

`refresh(quiz_id)` recomputes the stored figures (QuizStatistics, QuestionStatistics) over the first graded
attempt of each learner, Moodle's default: a learner's later attempts are practice on questions they have seen.
The `assessment.graded` subscriber calls it, so the figures follow every submitted attempt, not a nightly job.
`analyse(...)` answers other views on demand without storing them: every graded attempt, grouped by question
version, or only some learners (a branch manager's). Two queries whatever the size: the scores of the chosen
attempts (with the chosen options read out of the JSON answers by the database) and the versions they used.
"""

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from operator import itemgetter

import sqlalchemy as sa

from app.errors import ValidationFailed
from app.extensions import db
from app.security.actor import current_actor
from app.tenancy.models import utcnow
from blueprints.assessments import quizzes
from blueprints.assessments.models import (
    AttemptQuestion,
    AttemptStatus,
    Question,
    QuestionKind,
    QuestionStatistics,
    QuestionVersion,
    Quiz,
    QuizAttempt,
    QuizSlot,
    QuizStatistics,
)
from blueprints.assessments.statistics import QuestionFigures, QuizFigures, ScoreColumns, item_analysis_of_columns
from blueprints.branches.queries import people_of

FIRST, ALL = "first", "all"  # which graded attempts of each learner count
EVERYONE, BRANCHES = "everyone", "your_branches"  # whose attempts a reader gets
WHICH_ATTEMPTS = (FIRST, ALL)
CHOICE_KINDS = (QuestionKind.SINGLE, QuestionKind.MULTIPLE, QuestionKind.TRUE_FALSE)  # distractor analysis

# The flags a teacher acts on (issue 12): thresholds on the facility index and the discrimination index.
TOO_EASY, TOO_HARD = "too_easy", "too_hard"
NEGATIVE_DISCRIMINATION, WEAK_DISCRIMINATION = "negative_discrimination", "weak_discrimination"
FLAG_LABELS = {
    TOO_EASY: "Too easy",
    TOO_HARD: "Too hard",
    NEGATIVE_DISCRIMINATION: "Negative discrimination",
    WEAK_DISCRIMINATION: "Weak discrimination",
}


def flags(figures):
    """What stands out about a question: facility > 0.9 too easy, < 0.1 too hard; discrimination < 0
    negative, < 0.2 weak. Figures that could not be worked out raise no flag."""
    found = []
    if figures.facility is not None:
        if figures.facility > 0.9:
            found.append(TOO_EASY)
        elif figures.facility < 0.1:
            found.append(TOO_HARD)
    if figures.discrimination_index is not None:
        if figures.discrimination_index < 0:
            found.append(NEGATIVE_DISCRIMINATION)
        elif figures.discrimination_index < 0.2:
            found.append(WEAK_DISCRIMINATION)
    return found


@dataclass(frozen=True)
class QuestionInfo:
    """What a reader needs to recognise a question in the figures, and which options are right (for the staff
    who read results: the analytics API and the item analysis page)."""

    title: str
    kind: str
    version: int | None  # set when grouped by version
    options: dict[str, str]  # option id -> text, for the distractor table
    correct: frozenset[str]  # the option ids that score


@dataclass(frozen=True)
class Analysis:
    figures: QuizFigures
    questions: dict  # figures' question key -> QuestionInfo
    which: str
    by_version: bool
    computed_at: object = None  # when stored figures were computed; None for figures worked out now
    learners: str = EVERYONE  # whose attempts: everyone's, or the learners of a branch manager's branches

    def rows(self):
        """Per question, in quiz order: what a results page or the API shows, flags and distractors included."""
        for figures in self.figures.questions:
            question = self.questions.get(figures.question)
            options = question.options if question else {}
            shares = [
                {
                    "option_id": option_id,
                    "text": text,
                    "correct": option_id in question.correct,
                    "share": figures.responses.get(option_id, 0.0),
                }
                for option_id, text in options.items()
            ]
            shares += [  # chosen ids no version lists (an answer saved before an option was removed)
                {"option_id": option_id, "text": "", "correct": False, "share": share}
                for option_id, share in figures.responses.items()
                if option_id not in options
            ]
            key = figures.question
            yield {
                "question_id": key[0] if isinstance(key, tuple) else key,
                "version": question.version if question else None,
                "title": question.title if question else "",
                "kind": question.kind if question else "",
                "attempts": figures.attempts,
                "facility": figures.facility,
                "standard_deviation": figures.standard_deviation,
                "discrimination_index": figures.discrimination_index,
                "discriminative_efficiency": figures.discriminative_efficiency,
                "flags": flags(figures),
                "responses": shares,
            }


QUIZ_FIGURES = (
    "attempts",
    "mean",
    "median",
    "standard_deviation",
    "skewness",
    "kurtosis",
    "cronbach_alpha",
    "standard_error",
)


def analytics(quiz_id, which=FIRST, by_version=False, actor=current_actor):
    """The quiz and its item analysis as the actor may read it (`quizzes.results_scope`: 404 out of sight, 403
    for a learner): its managers get everyone's figures (the stored ones for first attempts by question), a
    branch manager those of their branches' learners, worked out now."""
    if which not in WHICH_ATTEMPTS:
        raise ValidationFailed("Which attempts?", {"attempts": [f"One of: {', '.join(WHICH_ATTEMPTS)}."]})
    quiz, branch_ids = quizzes.results_scope(quiz_id, actor)
    if branch_ids is not None:
        return quiz, replace(analyse(quiz.id, which, by_version, people_of(branch_ids)), learners=BRANCHES)
    if which == FIRST and not by_version and db.session.get(QuizStatistics, quiz.id) is not None:
        return quiz, stored(quiz.id)
    return quiz, analyse(quiz.id, which, by_version)


def refresh(quiz_id):
    """Recompute and store the quiz's figures over each learner's first graded attempt (idempotent)."""
    # One refresh per quiz at a time (PostgreSQL): a second one waits, then reads what the first committed.
    quiz = db.session.scalar(sa.select(Quiz).where(Quiz.id == quiz_id).with_for_update())
    if quiz is None:
        return None
    figures, _info = _compute(quiz_id, FIRST, by_version=False, people=None)
    now = utcnow()
    db.session.execute(sa.delete(QuestionStatistics).where(QuestionStatistics.quiz_id == quiz_id))
    db.session.add_all(
        QuestionStatistics(
            quiz_id=quiz_id,
            question_id=question.question,
            attempts=question.attempts,
            facility=question.facility,
            standard_deviation=question.standard_deviation,
            discrimination_index=question.discrimination_index,
            discriminative_efficiency=question.discriminative_efficiency,
            responses=question.responses,
            computed_at=now,
        )
        for question in figures.questions
    )
    quiz_row = db.session.get(QuizStatistics, quiz_id) or QuizStatistics(quiz_id=quiz_id)
    for name in QUIZ_FIGURES:
        setattr(quiz_row, name, getattr(figures, name))
    quiz_row.computed_at = now
    db.session.add(quiz_row)
    db.session.commit()
    return figures


def counts_for_stored_figures(quiz_id, attempt_id):
    """Whether this graded attempt is one the stored figures are made of (its learner's first graded attempt):
    a later attempt changes nothing there, so its grading needs no refresh."""
    attempt = db.session.get(QuizAttempt, attempt_id)
    if attempt is None or attempt.quiz_id != quiz_id:
        return False
    earlier = db.session.scalar(
        sa.select(sa.func.count(QuizAttempt.id)).where(
            QuizAttempt.quiz_id == quiz_id,
            QuizAttempt.user_id == attempt.user_id,
            QuizAttempt.status == AttemptStatus.GRADED,
            QuizAttempt.number < attempt.number,
        )
    )
    return earlier == 0


def analyse(quiz_id, which=FIRST, by_version=False, people=None):
    """The quiz's figures worked out now: `which` graded attempts of each learner, per question or per question
    version, over everyone or only `people` (a select of user ids)."""
    if which not in WHICH_ATTEMPTS:
        raise ValueError(f"which is one of {WHICH_ATTEMPTS}")
    figures, info = _compute(quiz_id, which, by_version, people)
    return Analysis(_in_quiz_order(quiz_id, figures, info), info, which, by_version)


def stored(quiz_id):
    """The stored figures (first graded attempts, per question), with what identifies each question."""
    quiz_row = db.session.get(QuizStatistics, quiz_id)
    rows = db.session.scalars(sa.select(QuestionStatistics).where(QuestionStatistics.quiz_id == quiz_id)).all()
    questions = tuple(
        QuestionFigures(
            question=row.question_id,
            attempts=row.attempts,
            max_points=None,
            facility=row.facility,
            standard_deviation=row.standard_deviation,
            discrimination_index=row.discrimination_index,
            discriminative_efficiency=row.discriminative_efficiency,
            responses=dict(row.responses or {}),
        )
        for row in rows
    )
    max_score = db.session.scalar(
        sa.select(sa.func.max(QuizAttempt.max_score)).where(
            QuizAttempt.quiz_id == quiz_id, QuizAttempt.status == AttemptStatus.GRADED
        )
    )
    quiz_figures = QuizFigures(
        **{name: getattr(quiz_row, name) if quiz_row else None for name in QUIZ_FIGURES},
        max_score=max_score,
        questions=questions,
    )
    if quiz_row is None:
        quiz_figures = replace(quiz_figures, attempts=0)
    info = _question_info(dict.fromkeys(row.question_id for row in rows), by_version=False)
    return Analysis(
        _in_quiz_order(quiz_id, quiz_figures, info), info, FIRST, False, computed_at=quiz_row and quiz_row.computed_at
    )


def _chosen_attempts(quiz_id, which, people):
    graded = sa.select(QuizAttempt.id).where(QuizAttempt.quiz_id == quiz_id, QuizAttempt.status == AttemptStatus.GRADED)
    if people is not None:
        graded = graded.where(QuizAttempt.user_id.in_(people))
    if which == ALL:
        return graded
    first = (
        sa.select(QuizAttempt.user_id, sa.func.min(QuizAttempt.number).label("number"))
        .where(QuizAttempt.quiz_id == quiz_id, QuizAttempt.status == AttemptStatus.GRADED)
        .group_by(QuizAttempt.user_id)
        .subquery()
    )
    return graded.join(first, (first.c.user_id == QuizAttempt.user_id) & (first.c.number == QuizAttempt.number))


def _score_rows(quiz_id, which, people):
    """Per question of each chosen attempt: its attempt, question, version, fraction, points, place and the options
    chosen, which the database reads out of the JSON answer: the option id of a single choice or true/false
    ("true"/"false"), the JSON list of a multiple choice (decoded once per distinct list)."""
    response = AttemptQuestion.response
    true_false = response["value"].as_boolean()
    stmt = (
        sa.select(
            AttemptQuestion.attempt_id,
            AttemptQuestion.question_id,
            AttemptQuestion.version_id,
            sa.func.coalesce(AttemptQuestion.fraction, 0.0),
            AttemptQuestion.points,
            AttemptQuestion.position,
            sa.case(
                (Question.kind == QuestionKind.SINGLE, response["choice"].as_string()),
                (
                    Question.kind == QuestionKind.TRUE_FALSE,
                    sa.case((true_false.is_(True), "true"), (true_false.is_(False), "false")),
                ),
            ),
            sa.case((Question.kind == QuestionKind.MULTIPLE, sa.cast(response["choices"], sa.Text))),
        )
        .join(Question, Question.id == AttemptQuestion.question_id)
        .where(AttemptQuestion.attempt_id.in_(_chosen_attempts(quiz_id, which, people)))
    )
    # Plain tuples from the driver's cursor: a SQLAlchemy row for each of half a million answers cost as much as
    # the query (scripts/bench_assessments.py). Every column is a plain number or text, nothing to convert.
    result = db.session.connection(bind_arguments={"mapper": AttemptQuestion}).execute(stmt)
    try:
        return result.cursor.fetchall()
    finally:
        result.close()


def _compute(quiz_id, which, by_version, people):
    rows = _score_rows(quiz_id, which, people)
    attempts, question_ids, version_ids, fractions, points, places, chosen, chosen_many = (
        list(map(itemgetter(column), rows)) for column in range(8)
    )
    del rows
    versions = _version_info(set(version_ids))
    if by_version:
        by_version_key = {version_id: (v["question_id"], v["number"]) for version_id, v in versions.items()}
        keys = list(map(by_version_key.__getitem__, version_ids))
    else:
        keys = question_ids
    # Alpha's items are the questions when every attempt had the same ones; with random draws they are the
    # places in the attempt, as Moodle pools a random slot.
    attempt_count = len(set(attempts))
    if all(count == attempt_count for count in Counter(question_ids).values()):
        slots = question_ids if by_version else None
    else:
        slots = places
    if chosen_many.count(None) != len(chosen_many):
        decoded = {many: _option_ids(many) for many in set(chosen_many) if many is not None}
        chosen = [one if many is None else decoded[many] for one, many in zip(chosen, chosen_many, strict=True)]
    info = _question_info(dict.fromkeys(keys), by_version, versions)
    options = {key: list(question.options) for key, question in info.items() if question.kind in CHOICE_KINDS}
    columns = ScoreColumns(attempts, keys, fractions, points, chosen, slots)
    return item_analysis_of_columns(columns, options), info


def _option_ids(text):
    try:
        chosen = json.loads(text)
    except ValueError:
        return ()
    return tuple(option for option in chosen if isinstance(option, str)) if isinstance(chosen, list) else ()


def _version_info(version_ids):
    rows = db.session.execute(
        sa.select(
            QuestionVersion.id, QuestionVersion.question_id, QuestionVersion.number, QuestionVersion.spec, Question.kind
        )
        .join(Question, Question.id == QuestionVersion.question_id)
        .where(QuestionVersion.id.in_(list(version_ids) or [-1]))
    )
    return {
        version_id: {"question_id": question_id, "number": number, "spec": spec or {}, "kind": kind}
        for version_id, question_id, number, spec, kind in rows
    }


def _question_info(keys, by_version, info_by_version=None):
    """QuestionInfo per figures' key: the title and kind, and the options of the versions involved (the current
    version's texts win for an option id several versions share)."""
    question_ids = {key[0] if by_version else key for key in keys}
    questions = {
        question.id: question
        for question in db.session.scalars(sa.select(Question).where(Question.id.in_(question_ids or [-1])))
    }
    versions = defaultdict(list)
    if info_by_version is None:  # stored figures: every version of these questions
        info_by_version = _version_info(
            db.session.scalars(
                sa.select(QuestionVersion.id).where(QuestionVersion.question_id.in_(question_ids or [-1]))
            )
        )
    for version in sorted(info_by_version.values(), key=lambda version: version["number"]):
        versions[(version["question_id"], version["number"])].append(version)
        versions[version["question_id"]].append(version)
    info = {}
    for key in keys:
        question_id = key[0] if by_version else key
        question = questions.get(question_id)
        kind = question.kind if question else ""
        options, correct = {}, set()
        for version in versions.get(key, []):
            found_options, found_correct = _options_of(kind, version["spec"])
            options.update(found_options)
            correct |= found_correct
        info[key] = QuestionInfo(
            title=question.title if question else f"Question {question_id}",
            kind=kind,
            version=key[1] if by_version else None,
            options=options,
            correct=frozenset(correct),
        )
    return info


def _options_of(kind, spec):
    if kind == QuestionKind.TRUE_FALSE:
        answer = spec.get("answer")
        return {"true": "True", "false": "False"}, {"true" if answer else "false"} if answer is not None else set()
    if kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
        options = {str(option.get("id")): str(option.get("text", "")) for option in spec.get("options", [])}
        correct = {str(option.get("id")) for option in spec.get("options", []) if option.get("correct")}
        return options, correct
    return {}, set()


def _in_quiz_order(quiz_id, figures, info):
    """Questions in the order of the quiz's fixed slots, then drawn ones by title."""
    slot_order = {
        question_id: index
        for index, question_id in enumerate(
            db.session.scalars(
                sa.select(QuizSlot.question_id)
                .where(QuizSlot.quiz_id == quiz_id, QuizSlot.question_id.is_not(None))
                .order_by(QuizSlot.position, QuizSlot.id)
            )
        )
    }

    def place(question):
        key = question.question
        question_id, version = (key[0], key[1]) if isinstance(key, tuple) else (key, 0)
        return (
            slot_order.get(question_id, len(slot_order)),
            info[key].title if key in info else "",
            question_id,
            version,
        )

    return replace(figures, questions=tuple(sorted(figures.questions, key=place)))
