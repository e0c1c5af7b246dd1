"""What earns a badge: one strategy class per kind of criteria, in one registry.

A strategy
- checks its parameters (`clean`): the courses and quizzes it names exist in the organization and the editor
  sees them; problems are reported on `criteria.<field>` for the 422;
- reports a learner's progress (`progress`): met or not, each requirement met or missing, a percent; it reads
  the learner's facts (`LearnerFacts`), which load each kind of fact once for all of a learner's badges;
- names the events it reacts to (`events`) and, for an event, whether it concerns this badge (`concerns`).

Adding a strategy is one class here decorated with `@strategy` (see docs/credentials.md, "Badges").
"""

from dataclasses import dataclass, field
from functools import cached_property

import sqlalchemy as sa

from app.errors import ValidationFailed
from app.extensions import db
from app.security.actor import current_actor
from blueprints.assessments import queries as assessments
from blueprints.courses.models import Course
from blueprints.courses.services import manageable_courses, visible_courses
from blueprints.learning import queries as learning

STRATEGIES = {}
MAX_COURSES = 50


def strategy(cls):
    """Add a strategy to the registry under its `key`."""
    STRATEGIES[cls.key] = cls()
    return cls


def strategy_for(key):
    return STRATEGIES[key]


@dataclass
class Requirement:
    """One thing a learner must do: "Complete Algebra", and whether they did."""

    kind: str  # course, quiz, manual
    id: int | None
    label: str
    met: bool

    def to_dict(self):
        return {"kind": self.kind, "id": self.id, "label": self.label, "met": self.met}


@dataclass
class Progress:
    met: bool
    requirements: list = field(default_factory=list)
    needed: int = 0  # how many requirements must be met (n of them)
    summary: str = ""

    @property
    def done(self):
        return sum(1 for r in self.requirements if r.met)

    @property
    def percent(self):
        if self.met:
            return 100
        if not self.needed:
            return 0
        return int(100 * min(self.done, self.needed) / self.needed)

    def to_dict(self):
        return {
            "met": self.met,
            "percent": self.percent,
            "summary": self.summary,
            "needed": self.needed,
            "met_items": [r.to_dict() for r in self.requirements if r.met],
            "missing_items": [r.to_dict() for r in self.requirements if not r.met],
        }


def _references_of(badges):
    course_ids, quiz_ids = set(), set()
    for badge in badges:
        refs = strategy_for(badge.criteria_strategy).references(badge.criteria or {})
        course_ids |= refs.get("course", set())
        quiz_ids |= refs.get("quiz", set())
    return course_ids, quiz_ids


class LearnerFacts:
    """What one learner has done, each kind read once (one query) for every badge that asks, with the names
    of the courses and quizzes the badges name (`prefetch` them in one query each)."""

    def __init__(self, user_id):
        self.user_id = user_id
        self._course_titles = {}
        self._quizzes = {}

    @classmethod
    def of_many(cls, user_ids, badges):
        """{user id: their facts} for these badges, read for all of them at once (a backfill's batch): one query
        per kind of fact the badges name, restricted to the courses and quizzes they name, and their names once."""
        course_ids, quiz_ids = _references_of(badges)
        completed = learning.completed_courses_of(user_ids, course_ids) if course_ids else {}
        passed = assessments.passed_quizzes_of(user_ids, quiz_ids) if quiz_ids else {}
        best = assessments.best_percents_of(user_ids, quiz_ids) if quiz_ids else {}
        names = cls(None)
        names.prefetch(badges)
        facts = {}
        for user_id in user_ids:
            one = facts[user_id] = cls(user_id)
            one._course_titles, one._quizzes = names._course_titles, names._quizzes
            one.__dict__.update(  # the cached properties, filled
                completed_courses=completed.get(user_id, set()),
                passed_quizzes=passed.get(user_id, set()),
                best_percents=best.get(user_id, {}),
            )
        return facts

    def prefetch(self, badges):
        course_ids, quiz_ids = _references_of(badges)
        self.course_titles(course_ids)
        self.quizzes(quiz_ids)

    def course_titles(self, course_ids):
        missing = set(course_ids) - set(self._course_titles)
        if missing:
            rows = db.session.execute(sa.select(Course.id, Course.title).where(Course.id.in_(missing)))
            self._course_titles.update(dict(rows.all()))
        return {course_id: self._course_titles.get(course_id) for course_id in course_ids}

    def quizzes(self, quiz_ids):
        missing = set(quiz_ids) - set(self._quizzes)
        if missing:
            self._quizzes.update(assessments.quiz_summaries(missing))
        return {quiz_id: self._quizzes.get(quiz_id) for quiz_id in quiz_ids}

    # No learner (a badge's criteria in words, for its pages and credentials): nothing done, nothing to read.
    @cached_property
    def completed_courses(self):
        return learning.completed_course_ids(self.user_id) if self.user_id is not None else set()

    @cached_property
    def passed_quizzes(self):
        return assessments.passed_quiz_ids(self.user_id) if self.user_id is not None else set()

    @cached_property
    def best_percents(self):
        return assessments.best_percents(self.user_id) if self.user_id is not None else {}

    def course_label(self, course_id):
        title = self.course_titles([course_id])[course_id]
        return f"Complete {title}" if title else f"Complete course {course_id} (removed)"

    def quiz_title(self, quiz_id):
        summary = self.quizzes([quiz_id])[quiz_id]
        return summary[0] if summary else f"quiz {quiz_id} (removed)"


# --- checking parameters ---------------------------------------------------------------------------------------


class Problems(dict):
    def add(self, name, message):
        self.setdefault(f"criteria.{name}", []).append(message)

    def raise_if_any(self):
        if self:
            raise ValidationFailed("The badge's criteria are not valid.", dict(self))


def _whole(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _course_id(problems, params, name, actor, course_badge):
    value = params.get(name)
    if not _whole(value) or value < 1:
        problems.add(name, "Pick a course.")
        return None
    _require_courses(problems, name, [value], actor, course_badge)
    return value


def _require_courses(problems, name, course_ids, actor, course_badge):
    """The courses must exist and be seen by the editor; a course's badge may name only courses its editor
    manages: its progress is read by the course's staff, who must not learn through it who finished (or how
    someone scored in) a course they do not teach."""
    visible = visible_courses(actor.principal, actor.scope).where(Course.id.in_(course_ids or [-1]))
    seen = set(db.session.scalars(visible.with_only_columns(Course.id)))
    managed = {course.id for course in manageable_courses(actor.principal, actor.scope)} if course_badge else seen
    for course_id in course_ids:
        if course_id not in seen:
            problems.add(name, f"No course {course_id} that you can see.")
        elif course_id not in managed:
            problems.add(name, f"A course's badge names only courses you manage; course {course_id} is not one.")


def _quiz_id(problems, params, name, actor, course_badge):
    value = params.get(name)
    if not _whole(value) or value < 1:
        problems.add(name, "Pick an assessment.")
        return None
    if value not in assessments.quiz_ids_seen_by([value], actor):
        problems.add(name, f"No assessment {value} that you can see.")
    elif course_badge:
        quiz_course = assessments.quiz_summaries([value])[value][1]
        if quiz_course not in {course.id for course in manageable_courses(actor.principal, actor.scope)}:
            problems.add(name, "A course's badge names only assessments of courses you manage.")
    return value


def _unknown(problems, params, allowed):
    for name in sorted(set(params) - set(allowed)):
        problems.add(name, "Unknown field.")


# --- the strategies ---------------------------------------------------------------------------------------------


class Strategy:
    key = ""
    label = ""
    events = ()  # the events after which a learner may have met it

    def clean(self, params, course_id=None, actor=current_actor):
        """The parameters, checked; `course_id`: the badge's course (None: an organization badge)."""
        raise NotImplementedError

    def references(self, params):
        """{"course": ids, "quiz": ids} this badge names (to load their names at once)."""
        return {}

    def concerns(self, event, params):
        """Whether this event (one of `events`) may have changed a learner's progress towards this badge."""
        return False

    def progress(self, params, facts):
        raise NotImplementedError

    def narrative(self, params, facts):
        """The criteria in words (Open Badges' `criteria.narrative`)."""
        return self.progress(params, facts).summary


@strategy
class CourseCompleted(Strategy):
    key = "course_completed"
    label = "Complete a course"
    events = ("course.completed",)

    def clean(self, params, course_id=None, actor=current_actor):
        params = dict(params or {})
        if course_id is not None and "course_id" not in params:
            params["course_id"] = course_id  # a course's badge: that course, unless another is named
        problems = Problems()
        _unknown(problems, params, ("course_id",))
        chosen = _course_id(problems, params, "course_id", actor, course_id is not None)
        problems.raise_if_any()
        return {"course_id": chosen}

    def references(self, params):
        return {"course": {params["course_id"]}}

    def concerns(self, event, params):
        return event.course_id == params["course_id"]

    def progress(self, params, facts):
        course_id = params["course_id"]
        label = facts.course_label(course_id)
        met = course_id in facts.completed_courses
        return Progress(met, [Requirement("course", course_id, label, met)], 1, f"{label}.")


@strategy
class Courses(Strategy):
    key = "courses"
    label = "Complete some courses (all, any, or a number of them)"
    events = ("course.completed",)
    MODES = ("all", "any", "n_of")

    def clean(self, params, course_id=None, actor=current_actor):
        params = dict(params or {})
        problems = Problems()
        _unknown(problems, params, ("course_ids", "mode", "n"))
        ids = params.get("course_ids")
        if not isinstance(ids, list) or not ids or not all(_whole(i) and i > 0 for i in ids):
            problems.add("course_ids", "Pick at least one course.")
            ids = []
        elif len(set(ids)) > MAX_COURSES:
            problems.add("course_ids", f"At most {MAX_COURSES} courses.")
        else:
            ids = sorted(set(ids))
            _require_courses(problems, "course_ids", ids, actor, course_id is not None)
        mode = params.get("mode", "all")
        if mode not in self.MODES:
            problems.add("mode", f"One of {', '.join(self.MODES)}.")
        n = params.get("n")
        if mode == "n_of":
            if not _whole(n) or n < 1:
                problems.add("n", "How many of the courses: a whole number from 1.")
            elif ids and n > len(ids):
                problems.add("n", f"At most the {len(ids)} courses picked.")
        else:
            n = None
        problems.raise_if_any()
        return {"course_ids": ids, "mode": mode, "n": n}

    def needed(self, params):
        return {"all": len(params["course_ids"]), "any": 1}.get(params["mode"], params.get("n") or 1)

    def references(self, params):
        return {"course": set(params["course_ids"])}

    def concerns(self, event, params):
        return event.course_id in params["course_ids"]

    def progress(self, params, facts):
        facts.course_titles(params["course_ids"])
        requirements = [
            Requirement("course", c, facts.course_label(c), c in facts.completed_courses) for c in params["course_ids"]
        ]
        needed = self.needed(params)
        done = sum(1 for r in requirements if r.met)
        names = ", ".join(r.label.removeprefix("Complete ") for r in requirements)
        if params["mode"] == "all":
            summary = f"Complete all of: {names}."
        elif params["mode"] == "any":
            summary = f"Complete any of: {names}."
        else:
            summary = f"Complete {needed} of: {names}."
        return Progress(done >= needed, requirements, needed, summary)


@strategy
class AssessmentPassed(Strategy):
    key = "assessment_passed"
    label = "Pass an assessment"
    events = ("assessment.passed",)

    def clean(self, params, course_id=None, actor=current_actor):
        params = dict(params or {})
        problems = Problems()
        _unknown(problems, params, ("quiz_id",))
        quiz_id = _quiz_id(problems, params, "quiz_id", actor, course_id is not None)
        problems.raise_if_any()
        return {"quiz_id": quiz_id}

    def references(self, params):
        return {"quiz": {params["quiz_id"]}}

    def concerns(self, event, params):
        return event.quiz_id == params["quiz_id"]

    def progress(self, params, facts):
        quiz_id = params["quiz_id"]
        label = f"Pass {facts.quiz_title(quiz_id)}"
        met = quiz_id in facts.passed_quizzes
        return Progress(met, [Requirement("quiz", quiz_id, label, met)], 1, f"{label}.")


@strategy
class AssessmentScore(Strategy):
    key = "assessment_score"
    label = "Score at least a percent in an assessment"
    events = ("assessment.graded",)

    def clean(self, params, course_id=None, actor=current_actor):
        params = dict(params or {})
        problems = Problems()
        _unknown(problems, params, ("quiz_id", "min_percent"))
        quiz_id = _quiz_id(problems, params, "quiz_id", actor, course_id is not None)
        minimum = params.get("min_percent")
        if isinstance(minimum, bool) or not isinstance(minimum, int | float) or not 0 < minimum <= 100:
            problems.add("min_percent", "A percent above 0, at most 100.")
        problems.raise_if_any()
        return {"quiz_id": quiz_id, "min_percent": float(minimum)}

    def references(self, params):
        return {"quiz": {params["quiz_id"]}}

    def concerns(self, event, params):
        return event.quiz_id == params["quiz_id"] and event.percent >= params["min_percent"] - 1e-9

    def progress(self, params, facts):
        quiz_id, minimum = params["quiz_id"], params["min_percent"]
        best = facts.best_percents.get(quiz_id)
        met = best is not None and best >= minimum - 1e-9
        label = f"Score at least {minimum:g} % in {facts.quiz_title(quiz_id)}"
        if best is not None and not met:
            label += f" (best so far {best:g} %)"
        return Progress(met, [Requirement("quiz", quiz_id, label, met)], 1, f"{label}.")


@strategy
class Manual(Strategy):
    key = "manual"
    label = "Given by hand only"

    def clean(self, params, course_id=None, actor=current_actor):
        problems = Problems()
        _unknown(problems, dict(params or {}), ())
        problems.raise_if_any()
        return {}

    def progress(self, params, facts):
        return Progress(
            False, [Requirement("manual", None, "Given by the badge's managers", False)], 1, "Given by hand."
        )
