"""Quizzes (the API's assessments): their settings, their questions (slots), accommodations and course item.

Who may do what (`get_quiz(quiz_id, need)`):
- "manage": the course's managers (`access.course_for(..., "manage")`): settings, slots, accommodations;
- "results": its managers, and branch managers for the learners of their branches (`access.roster_for`);
- "see" / "take": the staff above, and learners enrolled in the course (past its prerequisites) once the quiz
  is published; an unpublished quiz does not exist for a learner (404). "take" is a person's: an API key may
  manage a quiz, never sit it.
What the actor cannot see is a 404 whatever the need; what they see but may not do is a 403.
"""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.api.listing import ListSpec, run_list_query
from app.api.types import as_utc
from app.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from app.events import emit_after_commit
from app.events.relay import held_commits
from app.extensions import db
from app.security.actor import current_actor
from app.security.actor_ids import actor_ids
from app.tenancy.locks import locked
from app.tenancy.models import utcnow
from blueprints.assessments import bank
from blueprints.assessments.models import (
    GradingMethod,
    Question,
    Quiz,
    QuizAccommodation,
    QuizAttempt,
    QuizLayout,
    QuizSlot,
    ReviewWhen,
    question_tags,
)
from blueprints.courses import access, content
from blueprints.courses import services as courses
from blueprints.courses.models import ContentKind, CourseStatus
from blueprints.courses.rich_text import rich_text
from blueprints.learning import queries as enrollments

NEEDS = ("see", "take", "manage", "results")
MAX_TIME_LIMIT_MINUTES = 7 * 24 * 60  # a week: longer is an assignment, not a timed quiz
MAX_ATTEMPTS = 1000
MAX_SLOTS = 200
MAX_DRAW = 100
MAX_POINTS = 1000.0
MAX_EXTRA_MINUTES = MAX_TIME_LIMIT_MINUTES
MAX_EXTRA_ATTEMPTS = 100

SETTINGS = (
    "title",
    "description",
    "time_limit_minutes",
    "opens_at",
    "closes_at",
    "attempts_allowed",
    "grading_method",
    "pass_percent",
    "shuffle_questions",
    "shuffle_options",
    "layout",
    "review_score",
    "review_answers",
    "review_feedback",
    "published",
)
LINKS = ("item_id", "module_id", "module_title")  # an existing assessment item, or a new one in a module
TIMING = ("time_limit_minutes", "closes_at")  # what an open attempt's deadline is made of (with extra minutes)

QUIZ_LIST = ListSpec(
    filters={
        "id": Quiz.id,
        "course_id": Quiz.course_id,
        "published": Quiz.published,
        "item_id": Quiz.item_id,
        "title": Quiz.title,
        "created_at": Quiz.created_at,
    },
    sorts={"id": Quiz.id, "title": Quiz.title, "created_at": Quiz.created_at},
    default_sort=("title",),
    fields=frozenset(
        {"id", "course_id", "item_id", "title", "description_html", "published", "created_at", "updated_at"}
        | {name for name in SETTINGS if name not in ("title", "description", "published")}
    ),
    tiebreaker=Quiz.id,
)


# --- loading, by what the actor needs ------------------------------------------------------------------------


def get_quiz(quiz_id, need="see", actor=current_actor):
    """A quiz the actor may reach for `need` (see the module's docstring)."""
    if need not in NEEDS:
        raise ValueError(f"Unknown need {need!r}; one of {NEEDS}.")
    quiz = db.session.get(Quiz, quiz_id)
    if quiz is None:
        raise NotFound("No such assessment.")
    if need == "manage":
        access.course_for(quiz.course_id, "manage", actor)
    elif need == "results":
        access.roster_for(quiz.course_id, actor)
    else:
        _require_taker(quiz, need, actor)
    return quiz


def results_scope(quiz_id, actor=current_actor):
    """A quiz whose results the actor may see, and whose: None for every learner's (its managers), or the
    branches whose learners a branch manager follows."""
    quiz = get_quiz(quiz_id, "see", actor)
    _course, branch_ids = access.roster_for(quiz.course_id, actor)
    return quiz, branch_ids


def _require_taker(quiz, need, actor):
    course = access.course_for(quiz.course_id, "see", actor)
    if courses.can_manage(course, actor.principal, actor.scope):
        if need == "take" and actor.kind != "user":
            raise PermissionDenied("An API key cannot take a quiz; a person does.", code="NOT_A_LEARNER")
        return
    if need == "see" and _follows_learners(course, actor):
        return
    if not quiz.published:
        raise NotFound("No such assessment.")
    access.require(course, "lessons", actor)  # enrolled, past the prerequisites (404 / 403 otherwise)


def _follows_learners(course, actor):
    """A branch manager sees the quizzes of a published course open to their branches (their learners')."""
    return bool(actor.scope.branch_ids) and course.status == CourseStatus.PUBLISHED


def quiz_for_item(item_id):
    """The quiz linked to this course item, if any (the player and the learning feature ask)."""
    return db.session.scalar(sa.select(Quiz).where(Quiz.item_id == item_id))


def quizzes_of_course(course_id):
    """A course's quizzes, by title (for pages that already checked the course)."""
    return db.session.scalars(sa.select(Quiz).where(Quiz.course_id == course_id).order_by(Quiz.title, Quiz.id)).all()


def visible_quizzes(actor=current_actor):
    """A select of the quizzes the actor may see: every quiz of the courses they manage, those of the
    published courses whose learners a branch manager follows, the published quizzes of the courses a person
    is enrolled in (and may read)."""
    principal, scope = actor.principal, actor.scope
    stmt = sa.select(Quiz)
    if scope.organization_wide:
        return stmt
    visible = courses.visible_courses(principal, scope).subquery()
    managed = [course.id for course in courses.manageable_courses(principal, scope)]
    conditions = [Quiz.course_id.in_(managed or [-1])]
    if scope.branch_ids:
        conditions.append(Quiz.course_id.in_(sa.select(visible.c.id).where(visible.c.status == CourseStatus.PUBLISHED)))
    if principal.kind == "user":
        conditions.append(
            sa.and_(
                Quiz.published,
                Quiz.course_id.in_(sa.select(visible.c.id)),
                Quiz.course_id.in_(enrollments.enrolled_course_ids(principal.id)),
            )
        )
    return stmt.where(sa.or_(*conditions))


def list_quizzes(query, actor=current_actor):
    """A page of the quizzes the actor may see (the list helper's filters, sorts and paging)."""
    return run_list_query(db.session, visible_quizzes(actor), query, QUIZ_LIST)


# --- settings ----------------------------------------------------------------------------------------------


def _problem(problems, field, message):
    problems.setdefault(field, []).append(message)


def _whole(problems, field, value, low, high, none_means):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        _problem(problems, field, f"A whole number, or nothing for {none_means}.")
    elif not low <= value <= high:
        _problem(problems, field, f"Between {low} and {high}, or nothing for {none_means}.")
    return value


def _choice(problems, field, value, allowed):
    if value not in allowed:
        _problem(problems, field, f"One of {', '.join(allowed)}.")
    return value


def _flag(problems, field, value):
    if not isinstance(value, bool):
        _problem(problems, field, "True or false.")
    return value


def _moment(problems, field, value):
    """A datetime, stored as naive UTC (an aware one is converted)."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        _problem(problems, field, "A date and time.")
        return None
    return as_utc(value).replace(tzinfo=None) if value.tzinfo else value


def _title(problems, field, value):
    title = value.strip() if isinstance(value, str) else ""
    if not title:
        _problem(problems, field, "Give the quiz a title.")
    elif len(title) > 200:
        _problem(problems, field, "At most 200 characters.")
    return title


def _percent(problems, field, value):
    if isinstance(value, bool) or not isinstance(value, int | float):
        _problem(problems, field, "A number from 0 to 100.")
    elif not 0 <= value <= 100:
        _problem(problems, field, "From 0 to 100 (percent of the quiz's points).")
    else:
        return float(value)
    return None


def _description(problems, field, value):
    if not isinstance(value, str | None):
        _problem(problems, field, "Formatted text.")
        return ""
    return rich_text(value, field=field)


CHECKS = {  # setting -> check(problems, field, value) -> the value to store
    "title": _title,
    "description": _description,
    "time_limit_minutes": lambda p, f, v: _whole(p, f, v, 1, MAX_TIME_LIMIT_MINUTES, "no time limit"),
    "attempts_allowed": lambda p, f, v: _whole(p, f, v, 1, MAX_ATTEMPTS, "unlimited attempts"),
    "opens_at": _moment,
    "closes_at": _moment,
    "grading_method": lambda p, f, v: _choice(p, f, v, GradingMethod.ALL),
    "layout": lambda p, f, v: _choice(p, f, v, QuizLayout.ALL),
    "review_score": lambda p, f, v: _choice(p, f, v, ReviewWhen.ALL),
    "review_answers": lambda p, f, v: _choice(p, f, v, ReviewWhen.ALL),
    "review_feedback": lambda p, f, v: _choice(p, f, v, ReviewWhen.ALL),
    "shuffle_questions": _flag,
    "shuffle_options": _flag,
    "published": _flag,
    "pass_percent": _percent,
}
COLUMN_OF = {"description": "description_html"}


def _clean_settings(changes, quiz):
    """The changes checked together with what they keep of the quiz; a ValidationFailed naming every field."""
    problems, clean = {}, {}
    for name, value in changes.items():
        if name not in CHECKS:
            _problem(problems, name, "Not a setting of a quiz.")
            continue
        clean[COLUMN_OF.get(name, name)] = CHECKS[name](problems, name, value)
    opens = clean["opens_at"] if "opens_at" in changes else quiz.opens_at
    closes = clean["closes_at"] if "closes_at" in changes else quiz.closes_at
    if opens and closes and closes <= opens and not {"opens_at", "closes_at"} & set(problems):
        _problem(problems, "closes_at", "After the opening time.")
    if problems:
        raise ValidationFailed("Check the quiz's settings.", problems)
    return clean


def _require_questions_to_publish(quiz, clean):
    if clean.get("published") and not quiz.published and not _slot_count(quiz.id):
        raise ValidationFailed("A quiz without questions cannot be published.", {"published": ["Add questions first."]})


def _slot_count(quiz_id):
    return db.session.scalar(sa.select(sa.func.count(QuizSlot.id)).where(QuizSlot.quiz_id == quiz_id)) or 0


def _split(settings):
    links = {name: settings.pop(name) for name in LINKS if name in settings}
    return settings, links


def create_quiz(course_id, *, title, actor=current_actor, **settings):
    """A new quiz in a course its actor manages (unpublished unless `published` and it has questions, which a
    new one has not). `item_id` links an assessment item of the course; `module_id` or `module_title` makes
    the quiz its own item at the end of that module (a new module for a title), committed together."""
    course = access.course_for(course_id, "manage", actor)
    settings, links = _split(dict(settings))
    quiz = Quiz(course_id=course.id)
    clean = _clean_settings({"title": title, **settings}, quiz)
    _require_questions_to_publish(quiz, clean)
    for name, value in clean.items():
        setattr(quiz, name, value)
    quiz.created_by_id, quiz.created_by_api_key_id = actor_ids(actor.principal)
    try:
        with held_commits():  # a new item commits with its quiz, or neither does
            _link(quiz, course, links, actor)
            db.session.add(quiz)
            db.session.flush()
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise _already_linked(links.get("item_id")) from None
    except Exception:
        db.session.rollback()
        raise
    return quiz


def update_quiz(quiz_id, actor=current_actor, **settings):
    """Change settings and/or the linked item (`item_id`: another assessment item of the course, None to unlink;
    `module_id`/`module_title`: a new item). Attempts already started keep the questions they were given."""
    quiz = get_quiz(quiz_id, "manage", actor)
    if not locked(sa.select(Quiz).where(Quiz.id == quiz.id)):
        raise NotFound("No such assessment.")
    settings, links = _split(dict(settings))
    try:
        clean = _clean_settings(settings, quiz)  # against what the quiz holds now, under its lock
        _require_questions_to_publish(quiz, clean)
        with held_commits():
            timing_before = [getattr(quiz, name) for name in TIMING]
            for name, value in clean.items():
                setattr(quiz, name, value)
            if [getattr(quiz, name) for name in TIMING] != timing_before:
                _timing_changed(quiz)
            if links:
                _link(quiz, access.course_for(quiz.course_id, "manage", actor), links, actor)
            db.session.flush()
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise _already_linked(links.get("item_id")) from None
    except Exception:
        db.session.rollback()
        raise
    return quiz


def _timing_changed(quiz, user_id=None):
    """Announce that the deadlines of the quiz's open attempts (everyone's, or one learner's) are to be worked
    out again; the attempts part moves them and their deadline jobs (`assessment.timing_changed`)."""
    emit_after_commit(
        db.session, "assessment.timing_changed", quiz_id=quiz.id, course_id=quiz.course_id, user_id=user_id
    )


def _already_linked(item_id):
    return Conflict("That item has a quiz already.", {"item_id": [f"Item {item_id} is linked to another quiz."]})


def _link(quiz, course, links, actor):
    if not links:
        return
    if "item_id" in links and ({"module_id", "module_title"} & set(links)):
        raise ValidationFailed(
            "Link an item or make one, not both.", {"item_id": ["Leave it out to make a new item in a module."]}
        )
    if "item_id" in links:
        quiz.item_id = _assessment_item(quiz, links["item_id"])
        return
    module_title = (links.get("module_title") or "").strip()
    if not module_title and not links.get("module_id"):
        raise ValidationFailed(
            "Choose a module or name a new one.", {"module_id": ["Choose a module, or name a new one."]}
        )
    item = content.add_item(
        course,
        {
            "kind": ContentKind.ASSESSMENT,
            "title": quiz.title,
            "module_id": links.get("module_id"),
            "module_title": module_title,
            "change_note": "Made for its quiz",
        },
        actor.principal,
    )
    quiz.item_id = item.id


def _assessment_item(quiz, item_id):
    if item_id is None:
        return None
    if isinstance(item_id, bool) or not isinstance(item_id, int):
        raise ValidationFailed("No such item.", {"item_id": ["An item id."]})
    try:
        item = content.get_item(item_id)
    except NotFound:
        item = None
    if item is None or item.course_id != quiz.course_id:
        raise ValidationFailed("No such item in this course.", {"item_id": ["Not an item of this course."]})
    if item.kind != ContentKind.ASSESSMENT:
        raise ValidationFailed("Only an assessment item takes a quiz.", {"item_id": ["Not an assessment item."]})
    other = quiz_for_item(item.id)
    if other is not None and other.id != quiz.id:
        raise _already_linked(item.id)
    return item.id


def attempt_count(quiz_id):
    return db.session.scalar(sa.select(sa.func.count(QuizAttempt.id)).where(QuizAttempt.quiz_id == quiz_id)) or 0


def delete_quiz(quiz_id, *, force=False, actor=current_actor):
    """Delete a quiz nobody attempted; one with attempts only with `force` (their answers and grades go with
    it: 409 `QUIZ_HAS_ATTEMPTS` otherwise). Its course item stays in the outline, unlinked. Returns how many
    attempts were removed."""
    quiz = get_quiz(quiz_id, "manage", actor)
    if not locked(sa.select(Quiz).where(Quiz.id == quiz.id)):
        raise NotFound("No such assessment.")
    attempts = attempt_count(quiz.id)
    if attempts and not force:
        raise Conflict(
            f"{attempts} attempt{'s' if attempts != 1 else ''} of this quiz would be lost with their grades; "
            "unpublish it to keep them, or delete with force.",
            {"attempts": [str(attempts)]},
            code="QUIZ_HAS_ATTEMPTS",
        )
    if not db.session.execute(sa.delete(Quiz).where(Quiz.id == quiz.id)).rowcount:
        raise NotFound("No such assessment.")
    db.session.commit()
    return attempts


# --- slots -------------------------------------------------------------------------------------------------


def _bank_of(course_id):
    """Questions a quiz of this course may use: the course's bank and the organization's, not archived."""
    return sa.and_(
        sa.or_(Question.course_id == course_id, Question.course_id.is_(None)), Question.archived_at.is_(None)
    )


def tag_counts(course_id, tags=None):
    """{tag: how many questions a draw in this course may pick from} (course bank + organization bank)."""
    stmt = (
        sa.select(question_tags.c.tag, sa.func.count(Question.id))
        .join(Question, Question.id == question_tags.c.question_id)
        .where(_bank_of(course_id))
        .group_by(question_tags.c.tag)
        .order_by(question_tags.c.tag)
    )
    if tags is not None:
        stmt = stmt.where(question_tags.c.tag.in_(list(tags) or [""]))
    return dict(db.session.execute(stmt).all())


def find_questions(course_id, text="", limit=20):
    """Questions of the course's bank and the organization's whose title contains `text` (the builder's picker);
    each with where it lives."""
    stmt = sa.select(Question).where(_bank_of(course_id))
    words = [w.replace("%", "").replace("_", "") for w in str(text or "").split()][:5]
    for word in words:
        if word:
            stmt = stmt.where(Question.title.ilike(f"%{word}%"))
    return db.session.scalars(stmt.order_by(Question.title, Question.id).limit(limit)).all()


def _usable_questions(quiz, slots):
    """The ids among the slots' fixed questions that this quiz may use (one query)."""
    wanted = [s.get("question_id") for s in slots if isinstance(s, dict)]
    ids = [i for i in wanted if isinstance(i, int) and not isinstance(i, bool)]
    return set(db.session.scalars(sa.select(Question.id).where(Question.id.in_(ids or [-1]), _bank_of(quiz.course_id))))


def _clean_points(problems, at, points):
    if points is None:
        return None
    if isinstance(points, bool) or not isinstance(points, int | float) or not 0 < points <= MAX_POINTS:
        _problem(problems, f"{at}.points", f"More than 0, at most {MAX_POINTS:g}; or nothing for the question's own.")
        return None
    return float(points)


def _clean_draw(problems, at, slot):
    tag = bank.normalise_tag(slot["draw_tag"]) if isinstance(slot["draw_tag"], str) else ""
    count = slot.get("draw_count", 1)
    if not tag or len(tag) > 60:
        _problem(problems, f"{at}.draw_tag", "A tag of 1 to 60 characters.")
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_DRAW:
        _problem(problems, f"{at}.draw_count", f"How many questions to draw: 1 to {MAX_DRAW}.")
        count = 0
    return tag, count


def _tagged(course_id, tags):
    """{tag: ids of the questions carrying it} in the course's bank and the organization's, not archived."""
    return {tag: {q.id for q in bank.questions_with_tag(course_id, tag)} for tag in tags if tag}


def draw_pools(course_id, tags, fixed_ids):
    """{tag: ids of the questions a draw by it may pick}: tagged in the course's bank or the organization's, not
    archived, and not a fixed question of the quiz (an attempt never gets a question twice)."""
    return {tag: ids - set(fixed_ids) for tag, ids in _tagged(course_id, tags).items()}


def _check_pools(quiz, problems, draws, fixed_ids):
    """Each tag's draws together take no more questions than its pool holds, and all draws no more than their
    pools together (a question carrying two drawn tags is drawn once)."""
    tagged = _tagged(quiz.course_id, draws)
    pools = {tag: ids - set(fixed_ids) for tag, ids in tagged.items()}
    for tag, wanted in draws.items():
        total, have = sum(count for _index, count in wanted), len(pools.get(tag, ()))
        if tag and total > have:
            others = " besides the quiz's fixed questions" if tagged[tag] & set(fixed_ids) else ""
            _problem(
                problems,
                f"slots[{wanted[-1][0]}].draw_count",
                f"Only {have} question{'s' if have != 1 else ''} tagged “{tag}”{others}; this quiz draws {total}.",
            )
    together = set().union(*pools.values()) if pools else set()
    total = sum(count for wanted in draws.values() for _index, count in wanted)
    if len(draws) > 1 and total > len(together) and not problems:
        last = max(index for wanted in draws.values() for index, _count in wanted)
        _problem(
            problems,
            f"slots[{last}].draw_count",
            f"The draws take {total} questions but their tags hold {len(together)} different ones.",
        )


def _clean_slots(quiz, slots):
    """Each slot checked (field names like `slots[2].draw_count`); the rows to write."""
    if not isinstance(slots, list | tuple):
        raise ValidationFailed("Give a list of slots.", {"slots": ["A list."]})
    if len(slots) > MAX_SLOTS:
        raise ValidationFailed("Too many slots.", {"slots": [f"At most {MAX_SLOTS}."]})
    problems, rows, draws, seen = {}, [], {}, set()
    usable = _usable_questions(quiz, slots)
    for index, slot in enumerate(slots):
        at = f"slots[{index}]"
        if not isinstance(slot, dict) or (slot.get("question_id") is None) == (slot.get("draw_tag") is None):
            _problem(problems, at, "A question (question_id) or a draw by tag (draw_tag and draw_count), one of them.")
            continue
        row = {"position": index, "points": _clean_points(problems, at, slot.get("points"))}
        question_id = slot.get("question_id")
        if question_id is not None:
            if question_id not in usable:
                message = f"No question {question_id} in this course's bank or the organization's."
                _problem(problems, f"{at}.question_id", message)
            elif question_id in seen:
                _problem(problems, f"{at}.question_id", "This question is in the quiz already.")
            seen.add(question_id)
            rows.append({**row, "question_id": question_id, "draw_tag": None, "draw_count": 1})
        else:
            tag, count = _clean_draw(problems, at, slot)
            draws.setdefault(tag, []).append((index, count))
            rows.append({**row, "question_id": None, "draw_tag": tag, "draw_count": count})
    _check_pools(quiz, problems, draws, seen)
    if problems:
        wrong = sorted({int(name[6:].split("]")[0]) + 1 for name in problems if name.startswith("slots[")})
        summary = f"Check slot{'s' if len(wrong) != 1 else ''} {', '.join(map(str, wrong))}."
        raise ValidationFailed("Check the quiz's questions.", {"slots": [summary], **problems})
    return rows


def set_slots(quiz_id, slots, actor=current_actor):
    """Replace the quiz's questions: `[{"question_id" | "draw_tag" + "draw_count", "points"}]`, in order.
    Attempts already started keep what they drew. A published quiz keeps at least one slot."""
    quiz = get_quiz(quiz_id, "manage", actor)
    if not locked(sa.select(Quiz).where(Quiz.id == quiz.id)):
        raise NotFound("No such assessment.")
    try:
        rows = _clean_slots(quiz, slots)
        if quiz.published and not rows:
            raise ValidationFailed(
                "A published quiz needs questions.", {"slots": ["Unpublish the quiz before removing them all."]}
            )
    except ValidationFailed:
        db.session.rollback()
        raise
    db.session.execute(sa.delete(QuizSlot).where(QuizSlot.quiz_id == quiz.id))
    db.session.add_all(QuizSlot(quiz_id=quiz.id, **row) for row in rows)
    quiz.updated_at = utcnow()
    db.session.commit()
    return slots_of(quiz)


@dataclass
class SlotView:
    """A slot as the builder and the API show it to the quiz's managers."""

    id: int
    position: int
    question_id: int | None
    draw_tag: str | None
    draw_count: int
    points: float | None
    title: str | None  # the fixed question's
    kind: str | None
    bank: str | None  # "course" or "organization"
    available: int | None  # a draw: how many questions it may pick from now (its tag's, fixed ones aside)


def slots_of(quiz):
    """The quiz's slots in order, with their questions' titles and the draws' pools (two queries and one per tag)."""
    slots = db.session.scalars(
        sa.select(QuizSlot).where(QuizSlot.quiz_id == quiz.id).order_by(QuizSlot.position, QuizSlot.id)
    ).all()
    ids = [s.question_id for s in slots if s.question_id]
    questions = {q.id: q for q in db.session.scalars(sa.select(Question).where(Question.id.in_(ids or [-1])))}
    pools = draw_pools(quiz.course_id, {s.draw_tag for s in slots if s.draw_tag}, ids)
    views = []
    for slot in slots:
        question = questions.get(slot.question_id)
        views.append(
            SlotView(
                id=slot.id,
                position=slot.position,
                question_id=slot.question_id,
                draw_tag=slot.draw_tag,
                draw_count=slot.draw_count,
                points=slot.points,
                title=question.title if question else None,
                kind=question.kind if question else None,
                bank=None if question is None else ("course" if question.course_id else "organization"),
                available=len(pools.get(slot.draw_tag, ())) if slot.draw_tag else None,
            )
        )
    return views


def slot_specs(quiz):
    """The quiz's slots as `set_slots` takes them (to change one and save them all)."""
    return [
        {"question_id": s.question_id, "points": s.points}
        if s.question_id
        else {"draw_tag": s.draw_tag, "draw_count": s.draw_count, "points": s.points}
        for s in slots_of(quiz)
    ]


# --- accommodations ----------------------------------------------------------------------------------------


def set_accommodation(quiz_id, user_id, extra_minutes=0, extra_attempts=0, actor=current_actor):
    """Extra time and/or attempts for one learner enrolled in the quiz's course; both 0 removes it."""
    quiz = get_quiz(quiz_id, "manage", actor)
    problems = {}
    _whole(problems, "extra_minutes", extra_minutes, 0, MAX_EXTRA_MINUTES, "none")
    _whole(problems, "extra_attempts", extra_attempts, 0, MAX_EXTRA_ATTEMPTS, "none")
    if problems:
        raise ValidationFailed("Check the accommodation.", problems)
    if not enrollments.is_enrolled(quiz.course_id, user_id):
        raise NotFound("This person is not enrolled in this course.", {"user_id": ["Not a learner of this course."]})
    extra_minutes, extra_attempts = extra_minutes or 0, extra_attempts or 0
    found = db.session.scalar(
        sa.select(QuizAccommodation).where(QuizAccommodation.quiz_id == quiz.id, QuizAccommodation.user_id == user_id)
    )
    if extra_minutes != (found.extra_minutes if found is not None else 0):
        _timing_changed(quiz, user_id)
    if not extra_minutes and not extra_attempts:
        if found is not None:
            db.session.delete(found)
            db.session.commit()
        return None
    if found is None:
        found = QuizAccommodation(quiz_id=quiz.id, user_id=user_id)
        db.session.add(found)
    found.extra_minutes, found.extra_attempts = extra_minutes, extra_attempts
    try:
        db.session.commit()
    except IntegrityError:  # the same learner's accommodation, made by a concurrent request: theirs stands
        db.session.rollback()
        raise Conflict("Someone else just set this learner's accommodation; reload.", code="BUSY") from None
    return found


def remove_accommodation(quiz_id, user_id, actor=current_actor):
    """Remove a learner's accommodation (404 when they have none)."""
    quiz = get_quiz(quiz_id, "manage", actor)
    extra_minutes = db.session.scalar(
        sa.delete(QuizAccommodation)
        .where(QuizAccommodation.quiz_id == quiz.id, QuizAccommodation.user_id == user_id)
        .returning(QuizAccommodation.extra_minutes)
    )
    if extra_minutes is None:
        raise NotFound("This learner has no accommodation in this quiz.")
    if extra_minutes:
        _timing_changed(quiz, user_id)
    db.session.commit()


def accommodation_of(quiz_id, user_id):
    """(extra minutes, extra attempts) of a learner in a quiz; (0, 0) without an accommodation."""
    row = db.session.execute(
        sa.select(QuizAccommodation.extra_minutes, QuizAccommodation.extra_attempts).where(
            QuizAccommodation.quiz_id == quiz_id, QuizAccommodation.user_id == user_id
        )
    ).first()
    return (row.extra_minutes, row.extra_attempts) if row else (0, 0)


def extra_minutes_of(quiz_id, user_id=None):
    """{user id: extra minutes} of a quiz's accommodations (one learner's when `user_id` is given)."""
    stmt = sa.select(QuizAccommodation.user_id, QuizAccommodation.extra_minutes).where(
        QuizAccommodation.quiz_id == quiz_id
    )
    if user_id is not None:
        stmt = stmt.where(QuizAccommodation.user_id == user_id)
    return dict(db.session.execute(stmt).all())


def accommodations_of(quiz):
    """The quiz's accommodations, by learner id."""
    return db.session.scalars(
        sa.select(QuizAccommodation).where(QuizAccommodation.quiz_id == quiz.id).order_by(QuizAccommodation.user_id)
    ).all()
