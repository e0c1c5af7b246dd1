"""Question banks (versioned questions with tags), quizzes, attempts and their statistics.

The shapes of `QuestionVersion.spec` and `AttemptQuestion.response` are in docs/assessments.md.
"""

import sqlalchemy as sa

from app.tenancy.base import TenantModel
from app.tenancy.models import utcnow


class QuestionKind:
    SINGLE, MULTIPLE, TRUE_FALSE, SHORT, NUMERIC = (
        "single_choice",
        "multiple_choice",
        "true_false",
        "short_answer",
        "numeric",
    )
    ORDERING, MATCHING, BLANKS, ESSAY = "ordering", "matching", "fill_blanks", "essay"
    ALL = (SINGLE, MULTIPLE, TRUE_FALSE, SHORT, NUMERIC, ORDERING, MATCHING, BLANKS, ESSAY)


class Question(TenantModel):
    """A question in a course's bank, or in the organization bank (`course_id` NULL)."""

    __tablename__ = "questions"

    id = sa.Column(sa.Integer, primary_key=True)
    course_id = sa.Column(sa.Integer, sa.ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    kind = sa.Column(sa.String(20), nullable=False)
    title = sa.Column(sa.String(200), nullable=False)  # the bank's name for it; learners see the stem
    current_version = sa.Column(sa.Integer, nullable=False, default=1)
    archived_at = sa.Column(sa.DateTime)  # out of the bank and of new draws; attempts keep their history
    shared_from_course_id = sa.Column(sa.Integer, sa.ForeignKey("courses.id", ondelete="SET NULL"))
    created_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_by_api_key_id = sa.Column(sa.Integer, sa.ForeignKey("api_keys.id", ondelete="SET NULL"))
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(sa.DateTime, nullable=False, default=utcnow, onupdate=utcnow)


question_tags = sa.Table(
    "question_tags",
    Question.metadata,  # the tenant bind's metadata
    sa.Column("question_id", sa.ForeignKey("questions.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("tag", sa.String(60), primary_key=True, index=True),  # lower case, trimmed
)


class QuestionVersion(TenantModel):
    """Immutable: an edit is a new version; attempts point at the version they were given."""

    __tablename__ = "question_versions"
    __table_args__ = (sa.UniqueConstraint("question_id", "number"),)

    id = sa.Column(sa.Integer, primary_key=True)
    question_id = sa.Column(sa.Integer, sa.ForeignKey("questions.id", ondelete="CASCADE"), nullable=False)
    number = sa.Column(sa.Integer, nullable=False)
    stem_html = sa.Column(sa.Text, nullable=False, default="")  # sanitised on save
    image_key = sa.Column(sa.String(300))  # an image in the media storage, shown with the stem
    image_alt = sa.Column(sa.String(300), nullable=False, default="", server_default="")  # its text alternative
    general_feedback_html = sa.Column(sa.Text, nullable=False, default="")
    default_points = sa.Column(sa.Float, nullable=False, default=1.0)
    spec = sa.Column(sa.JSON, nullable=False)  # the answer key: never sent to a learner before review
    change_note = sa.Column(sa.String(300), nullable=False, default="")
    author_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"))
    author_api_key_id = sa.Column(sa.Integer, sa.ForeignKey("api_keys.id", ondelete="SET NULL"))
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)


class GradingMethod:
    HIGHEST, LAST, AVERAGE = "highest", "last", "average"
    ALL = (HIGHEST, LAST, AVERAGE)


class ReviewWhen:
    IMMEDIATELY, AFTER_CLOSE, NEVER = "immediately", "after_close", "never"
    ALL = (IMMEDIATELY, AFTER_CLOSE, NEVER)


class QuizLayout:
    ONE_PER_PAGE, ALL_ON_ONE = "one_per_page", "all_on_one"
    ALL = (ONE_PER_PAGE, ALL_ON_ONE)


class Quiz(TenantModel):
    """What the brief and the API call an assessment."""

    __tablename__ = "quizzes"

    id = sa.Column(sa.Integer, primary_key=True)
    course_id = sa.Column(sa.Integer, sa.ForeignKey("courses.id", ondelete="CASCADE"), nullable=False, index=True)
    item_id = sa.Column(sa.Integer, sa.ForeignKey("content_items.id", ondelete="SET NULL"), unique=True)
    title = sa.Column(sa.String(200), nullable=False)
    description_html = sa.Column(sa.Text, nullable=False, default="")
    time_limit_minutes = sa.Column(sa.Integer)  # none: untimed
    opens_at = sa.Column(sa.DateTime)
    closes_at = sa.Column(sa.DateTime)
    attempts_allowed = sa.Column(sa.Integer)  # none: unlimited
    grading_method = sa.Column(sa.String(10), nullable=False, default=GradingMethod.HIGHEST)
    pass_percent = sa.Column(sa.Float, nullable=False, default=50.0)
    shuffle_questions = sa.Column(sa.Boolean, nullable=False, default=False)
    shuffle_options = sa.Column(sa.Boolean, nullable=False, default=True)
    layout = sa.Column(sa.String(20), nullable=False, default=QuizLayout.ALL_ON_ONE)
    review_score = sa.Column(sa.String(12), nullable=False, default=ReviewWhen.IMMEDIATELY)
    review_answers = sa.Column(sa.String(12), nullable=False, default=ReviewWhen.AFTER_CLOSE)
    review_feedback = sa.Column(sa.String(12), nullable=False, default=ReviewWhen.IMMEDIATELY)
    published = sa.Column(sa.Boolean, nullable=False, default=False)  # learners may start attempts
    created_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_by_api_key_id = sa.Column(sa.Integer, sa.ForeignKey("api_keys.id", ondelete="SET NULL"))
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(sa.DateTime, nullable=False, default=utcnow, onupdate=utcnow)


class QuizSlot(TenantModel):
    """One place in a quiz: a fixed question, or `draw_count` questions drawn at random by tag."""

    __tablename__ = "quiz_slots"

    id = sa.Column(sa.Integer, primary_key=True)
    quiz_id = sa.Column(sa.Integer, sa.ForeignKey("quizzes.id", ondelete="CASCADE"), nullable=False, index=True)
    position = sa.Column(sa.Integer, nullable=False, default=0)
    # a fixed question. Checked at commit, not RESTRICT: a course's deletion cascades to its questions and its
    # quizzes together, in no fixed order (migration 0014)
    question_id = sa.Column(sa.Integer, sa.ForeignKey("questions.id", deferrable=True, initially="DEFERRED"))
    draw_tag = sa.Column(sa.String(60))  # or a random draw
    draw_count = sa.Column(sa.Integer, nullable=False, default=1)
    points = sa.Column(sa.Float)  # per question; none: each question's default points


class QuizAccommodation(TenantModel):
    __tablename__ = "quiz_accommodations"
    __table_args__ = (sa.UniqueConstraint("quiz_id", "user_id"),)

    id = sa.Column(sa.Integer, primary_key=True)
    quiz_id = sa.Column(sa.Integer, sa.ForeignKey("quizzes.id", ondelete="CASCADE"), nullable=False)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    extra_minutes = sa.Column(sa.Integer, nullable=False, default=0)
    extra_attempts = sa.Column(sa.Integer, nullable=False, default=0)


class AttemptStatus:
    IN_PROGRESS, SUBMITTED, GRADED = "in_progress", "submitted", "graded"  # submitted: an essay awaits a person
    ALL = (IN_PROGRESS, SUBMITTED, GRADED)


class QuizAttempt(TenantModel):
    __tablename__ = "quiz_attempts"
    __table_args__ = (sa.UniqueConstraint("quiz_id", "user_id", "number"),)

    id = sa.Column(sa.Integer, primary_key=True)
    quiz_id = sa.Column(sa.Integer, sa.ForeignKey("quizzes.id", ondelete="CASCADE"), nullable=False, index=True)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    number = sa.Column(sa.Integer, nullable=False)  # 1, 2, ... per learner and quiz
    status = sa.Column(sa.String(12), nullable=False, default=AttemptStatus.IN_PROGRESS, index=True)
    seed = sa.Column(sa.Integer, nullable=False)  # fixes the shuffles of this attempt
    started_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    deadline_at = sa.Column(sa.DateTime, index=True)  # none: untimed and no closing date
    submitted_at = sa.Column(sa.DateTime)
    auto_submitted = sa.Column(sa.Boolean, nullable=False, default=False)  # by the deadline job
    score = sa.Column(sa.Float)  # points, once graded
    max_score = sa.Column(sa.Float, nullable=False, default=0.0)
    percent = sa.Column(sa.Float)
    passed = sa.Column(sa.Boolean)
    # This attempt first brought the learner's quiz grade to the pass mark: `assessment.passed` went out once.
    passed_quiz_at = sa.Column(sa.DateTime)


class AttemptQuestion(TenantModel):
    """A question as one attempt got it: the version, its place, the option order, the saved answer."""

    __tablename__ = "attempt_questions"
    __table_args__ = (sa.UniqueConstraint("attempt_id", "position"),)

    id = sa.Column(sa.Integer, primary_key=True)
    attempt_id = sa.Column(sa.Integer, sa.ForeignKey("quiz_attempts.id", ondelete="CASCADE"), nullable=False)
    position = sa.Column(sa.Integer, nullable=False)
    # checked at commit (migration 0014), so that deleting a course cascades to its questions and attempts together
    question_id = sa.Column(
        sa.Integer, sa.ForeignKey("questions.id", deferrable=True, initially="DEFERRED"), nullable=False, index=True
    )
    version_id = sa.Column(
        sa.Integer, sa.ForeignKey("question_versions.id", deferrable=True, initially="DEFERRED"), nullable=False
    )
    points = sa.Column(sa.Float, nullable=False)
    response = sa.Column(sa.JSON)  # none: not answered
    saved_at = sa.Column(sa.DateTime)
    fraction = sa.Column(sa.Float)  # none: not graded yet (an essay waits for a person)
    score = sa.Column(sa.Float)
    grader_comment = sa.Column(sa.Text, nullable=False, default="")
    graded_by_id = sa.Column(sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"))
    # a person's grade stands (re-totals and regrades skip it), whoever gave it: a user, an API key, one deleted since
    graded_manually = sa.Column(sa.Boolean, nullable=False, default=False, server_default=sa.false())
    graded_at = sa.Column(sa.DateTime)


class QuestionStatistics(TenantModel):
    """Item analysis of one question in one quiz, refreshed after each submitted attempt."""

    __tablename__ = "question_statistics"
    __table_args__ = (sa.UniqueConstraint("quiz_id", "question_id"),)

    id = sa.Column(sa.Integer, primary_key=True)
    quiz_id = sa.Column(sa.Integer, sa.ForeignKey("quizzes.id", ondelete="CASCADE"), nullable=False)
    question_id = sa.Column(sa.Integer, sa.ForeignKey("questions.id", ondelete="CASCADE"), nullable=False)
    attempts = sa.Column(sa.Integer, nullable=False, default=0)
    facility = sa.Column(sa.Float)
    standard_deviation = sa.Column(sa.Float)
    discrimination_index = sa.Column(sa.Float)
    discriminative_efficiency = sa.Column(sa.Float)
    responses = sa.Column(sa.JSON, nullable=False, default=dict)  # option id -> share who chose it
    computed_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)


class QuizStatistics(TenantModel):
    __tablename__ = "quiz_statistics"

    quiz_id = sa.Column(sa.Integer, sa.ForeignKey("quizzes.id", ondelete="CASCADE"), primary_key=True)
    attempts = sa.Column(sa.Integer, nullable=False, default=0)
    mean = sa.Column(sa.Float)
    median = sa.Column(sa.Float)
    standard_deviation = sa.Column(sa.Float)
    skewness = sa.Column(sa.Float)
    kurtosis = sa.Column(sa.Float)
    cronbach_alpha = sa.Column(sa.Float)
    standard_error = sa.Column(sa.Float)
    computed_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)


MODELS = (
    Question,
    QuestionVersion,
    Quiz,
    QuizSlot,
    QuizAccommodation,
    QuizAttempt,
    AttemptQuestion,
    QuestionStatistics,
    QuizStatistics,
)
