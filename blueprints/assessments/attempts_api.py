"""Taking a quiz through the API (start or resume, save answers, submit), its results, the grading queue and
regrading. A learner reads their own attempts as the review options allow; staff read everything."""

import marshmallow as ma
from flask import request
from flask.views import MethodView
from marshmallow import validate

from app.api.blueprint import ApiBlueprint
from app.api.listing import list_parameters, page_response, parse_list_query
from app.api.types import Boolean, Id, Integer, UtcDateTime
from app.errors import Conflict
from app.security.actor import current_actor
from app.security.principal import requires
from blueprints.assessments import attempts, bank, grading_queue, results, review
from blueprints.assessments.models import AttemptStatus

blp = ApiBlueprint("attempts", __name__, url_prefix="/api/v1", description="Taking assessments, results, grading.")
BEARER = [{"bearerAuth": []}]


class ReviewSchema(ma.Schema):
    score = ma.fields.Boolean()
    answers = ma.fields.Boolean(metadata={"description": "correct answers are shown"})
    feedback = ma.fields.Boolean()


class AttemptQuestionSchema(ma.Schema):
    position = ma.fields.Integer()
    kind = ma.fields.String()
    stem_html = ma.fields.String(metadata={"description": "fill_blanks: `[[id]]` marks each blank"})
    image_url = ma.fields.String(allow_none=True, metadata={"description": "the image shown under the stem, if any"})
    image_alt = ma.fields.String(allow_none=True, metadata={"description": "the image's text alternative"})
    points = ma.fields.Float()
    view = ma.fields.Dict(metadata={"description": "options, items, prompts and answers, blanks: no key"})
    response = ma.fields.Dict(allow_none=True, metadata={"description": "the saved answer"})
    saved_at = UtcDateTime(allow_none=True)
    fraction = ma.fields.Float(allow_none=True, metadata={"description": "when the review shows the score"})
    score = ma.fields.Float(allow_none=True)
    awaiting_grading = ma.fields.Boolean()
    feedback = ma.fields.List(ma.fields.String(), metadata={"description": "when the review shows feedback"})
    general_feedback_html = ma.fields.String()
    grader_comment = ma.fields.String()
    correct_response = ma.fields.Raw(allow_none=True, metadata={"description": "when the review shows answers"})
    question_id = ma.fields.Integer(metadata={"description": "staff only"})
    version_id = ma.fields.Integer(metadata={"description": "staff only"})
    spec = ma.fields.Dict(metadata={"description": "staff only: the answer key"})


class AttemptSchema(ma.Schema):
    id = ma.fields.Integer()
    quiz_id = ma.fields.Integer()
    user_id = ma.fields.Integer()
    number = ma.fields.Integer()
    status = ma.fields.String(metadata={"description": " | ".join(AttemptStatus.ALL)})
    started_at = UtcDateTime()
    deadline_at = UtcDateTime(allow_none=True)
    seconds_left = ma.fields.Integer(allow_none=True, metadata={"description": "the server's timer"})
    submitted_at = UtcDateTime(allow_none=True)
    auto_submitted = ma.fields.Boolean()
    max_score = ma.fields.Float()
    score = ma.fields.Float(allow_none=True)
    percent = ma.fields.Float(allow_none=True)
    passed = ma.fields.Boolean(allow_none=True)
    review = ma.fields.Nested(ReviewSchema)
    review_more_at = UtcDateTime(allow_none=True, metadata={"description": "when more of the review opens"})
    questions = ma.fields.List(ma.fields.Nested(AttemptQuestionSchema))


class AnswerSchema(ma.Schema):
    response = ma.fields.Dict(
        required=True, metadata={"description": "per kind, see docs/assessments.md; `{}` clears the answer"}
    )


class SavedAnswerSchema(ma.Schema):
    position = ma.fields.Integer()
    response = ma.fields.Dict(allow_none=True)
    saved_at = UtcDateTime(allow_none=True)


class PositionedAnswerSchema(AnswerSchema):
    position = Integer(required=True, minimum=1, maximum=10_000)


class SubmitSchema(ma.Schema):
    answers = ma.fields.List(
        ma.fields.Nested(PositionedAnswerSchema),
        load_default=list,
        validate=validate.Length(max=500),
        metadata={"description": "saved before submitting, while time allows"},
    )


class LearnerResultSchema(ma.Schema):
    user_id = ma.fields.Integer()
    email = ma.fields.String()
    name = ma.fields.String()
    attempts = ma.fields.Integer()
    best_percent = ma.fields.Float(allow_none=True)
    grade_percent = ma.fields.Float(allow_none=True, metadata={"description": "by the quiz's grading method"})
    passed = ma.fields.Boolean(allow_none=True)
    in_progress = ma.fields.Boolean()
    awaiting_grading = ma.fields.Integer()
    last_submitted_at = UtcDateTime(allow_none=True)
    last_attempt_id = ma.fields.Integer()


class QuestionResultSchema(ma.Schema):
    question_id = ma.fields.Integer()
    title = ma.fields.String()
    kind = ma.fields.String()
    first_position = ma.fields.Integer()
    attempts = ma.fields.Integer()
    answered = ma.fields.Integer()
    mean_fraction = ma.fields.Float(allow_none=True)
    awaiting_grading = ma.fields.Integer()


class PendingAnswerSchema(ma.Schema):
    attempt_id = ma.fields.Integer()
    position = ma.fields.Integer()
    quiz_id = ma.fields.Integer()
    quiz_title = ma.fields.String()
    user_id = ma.fields.Integer()
    learner = ma.fields.String()
    submitted_at = UtcDateTime(allow_none=True)
    points = ma.fields.Float()
    stem_html = ma.fields.String()
    response = ma.fields.Dict(allow_none=True)
    grader_info = ma.fields.String()


class ManualGradeSchema(ma.Schema):
    score = ma.fields.Float(required=True, allow_nan=False, validate=validate.Range(min=0, max=10_000))
    comment = ma.fields.String(load_default="", validate=validate.Length(max=grading_queue.MAX_COMMENT))


class RegradeSchema(ma.Schema):
    question_id = Id(required=True)
    use_current_version = Boolean(
        load_default=False, metadata={"description": "regrade with the question's current version"}
    )


class RegradeQuerySchema(ma.Schema):
    question_id = Id(required=True, strict=False)
    use_current_version = Boolean(load_default=False, strict=False)


class RegradeChangeSchema(ma.Schema):
    attempt_id = ma.fields.Integer()
    user_id = ma.fields.Integer()
    learner = ma.fields.String()
    number = ma.fields.Integer()
    old_score = ma.fields.Float(allow_none=True)
    new_score = ma.fields.Float(allow_none=True)
    max_score = ma.fields.Float()
    old_percent = ma.fields.Float(allow_none=True)
    new_percent = ma.fields.Float(allow_none=True)
    old_passed = ma.fields.Boolean(allow_none=True)
    new_passed = ma.fields.Boolean(allow_none=True)


def _view(attempt, staff=False):
    return review.attempt_view(attempt, attempts.quiz_of(attempt), staff=staff)


@blp.route("/assessments/<int:quiz_id>/attempts")
class QuizAttempts(MethodView):
    @requires("courses.learn")
    @blp.doc(security=BEARER)
    @blp.response(200, AttemptSchema(many=True))
    def get(self, quiz_id):
        """Your attempts at an assessment, as its review options let you see them."""
        quiz = attempts.quiz_to_take(quiz_id)
        return [review.attempt_view(a, quiz) for a in attempts.attempts_of(quiz.id, current_actor.id)]

    @requires("courses.learn")
    @blp.doc(security=BEARER)
    @blp.response(201, AttemptSchema)
    def post(self, quiz_id):
        """Start an attempt, or resume your open one (its questions, their order and your saved answers)."""
        return _view(attempts.start_attempt(quiz_id))


@blp.route("/attempts/<int:attempt_id>")
class AttemptById(MethodView):
    @requires("courses.read")
    @blp.doc(security=BEARER)
    @blp.response(200, AttemptSchema)
    def get(self, attempt_id):
        """An attempt: yours (as the review options allow), or a learner's in your results reach (everything)."""
        attempt, staff = attempts.attempt_to_read(attempt_id)
        return _view(attempt, staff)


@blp.route("/attempts/<int:attempt_id>/questions/<int:position>/image")
class AttemptQuestionImage(MethodView):
    @requires("courses.read")
    @blp.doc(security=BEARER)
    @blp.response(200, content_type="image/jpeg")
    def get(self, attempt_id, position):
        """The image under a question's stem, as the attempt has it (a JPEG): your attempt's, or a learner's in
        your results reach; 404 when the question has none."""
        attempt, _staff = attempts.attempt_to_read(attempt_id)
        return bank.image_response(attempts.question_image(attempt, position))


@blp.route("/attempts/<int:attempt_id>/answers/<int:position>")
class AttemptAnswer(MethodView):
    @requires("courses.learn")
    @blp.doc(security=BEARER)
    @blp.arguments(AnswerSchema)
    @blp.response(200, SavedAnswerSchema)
    def put(self, data, attempt_id, position):
        """Save your answer to one question (autosave); 409 ATTEMPT_CLOSED once submitted or out of time."""
        return attempts.save_answer(attempt_id, position, data["response"])


@blp.route("/attempts/<int:attempt_id>/submit")
class AttemptSubmit(MethodView):
    @requires("courses.learn")
    @blp.doc(security=BEARER)
    @blp.arguments(SubmitSchema)
    @blp.response(200, AttemptSchema)
    def post(self, data, attempt_id):
        """Submit your attempt (answers in the body are saved first); submitting again returns the same result."""
        answers = {answer["position"]: answer["response"] for answer in data["answers"]}
        return _view(attempts.submit_attempt(attempt_id, answers=answers))


@blp.route("/assessments/<int:quiz_id>/submit")
class QuizSubmit(MethodView):
    @requires("courses.learn")
    @blp.doc(security=BEARER)
    @blp.arguments(SubmitSchema)
    @blp.response(200, AttemptSchema)
    def post(self, data, quiz_id):
        """Submit your open attempt at an assessment, optionally with answers; with none open, your last
        attempt's result (409 NO_OPEN_ATTEMPT when you never started one)."""
        attempt = attempts.attempt_to_submit(quiz_id)
        answers = {answer["position"]: answer["response"] for answer in data["answers"]}
        if attempt.status != AttemptStatus.IN_PROGRESS and answers:
            raise Conflict("This attempt is submitted: answers can no longer change.", code="ATTEMPT_CLOSED")
        return _view(attempts.submit_attempt(attempt.id, answers=answers))


@blp.route("/assessments/<int:quiz_id>/results")
class QuizResults(MethodView):
    @requires("courses.read")
    @blp.doc(parameters=list_parameters(results.LEARNER_RESULTS), security=BEARER)
    @blp.response(200, LearnerResultSchema(many=True))
    def get(self, quiz_id):
        """Results per learner (staff: a course's managers see everyone, a branch manager their branches' people)."""
        query = parse_list_query(request.args, results.LEARNER_RESULTS)
        _quiz, page = results.learner_results(quiz_id, query)
        return page_response(page, query)


@blp.route("/assessments/<int:quiz_id>/results/questions")
class QuizQuestionResults(MethodView):
    @requires("courses.read")
    @blp.doc(parameters=list_parameters(results.QUESTION_RESULTS), security=BEARER)
    @blp.response(200, QuestionResultSchema(many=True))
    def get(self, quiz_id):
        """Results per question over submitted attempts, in your results reach."""
        query = parse_list_query(request.args, results.QUESTION_RESULTS)
        _quiz, page = results.question_results(quiz_id, query)
        return page_response(page, query)


@blp.route("/assessments/<int:quiz_id>/grading")
class QuizGradingQueue(MethodView):
    @requires("courses.manage")
    @blp.doc(security=BEARER)
    @blp.response(200, PendingAnswerSchema(many=True))
    def get(self, quiz_id):
        """Answers waiting for a person (essays), oldest submission first."""
        return grading_queue.pending_for_quiz(quiz_id)


@blp.route("/courses/<int:course_id>/grading")
class CourseGradingQueue(MethodView):
    @requires("courses.manage")
    @blp.doc(security=BEARER)
    @blp.response(200, PendingAnswerSchema(many=True))
    def get(self, course_id):
        """Answers of every assessment of a course waiting for a person."""
        return grading_queue.pending_for_course(course_id)


@blp.route("/attempts/<int:attempt_id>/answers/<int:position>/grade")
class AnswerGrade(MethodView):
    @requires("courses.manage")
    @blp.doc(security=BEARER)
    @blp.arguments(ManualGradeSchema)
    @blp.response(200, AttemptSchema)
    def put(self, data, attempt_id, position):
        """Grade one answer (0 to its points) with a comment; the attempt is re-totalled."""
        attempt = grading_queue.grade_answer(attempt_id, position, data["score"], data["comment"])
        return _view(attempt, staff=True)


@blp.route("/assessments/<int:quiz_id>/regrade")
class QuizRegrade(MethodView):
    @requires("courses.manage")
    @blp.doc(security=BEARER)
    @blp.arguments(RegradeQuerySchema, location="query")
    @blp.response(200, RegradeChangeSchema(many=True))
    def get(self, args, quiz_id):
        """Preview a regrade of one question: whose attempts change, old -> new (nothing is written)."""
        return grading_queue.regrade_preview(quiz_id, args["question_id"], args["use_current_version"])

    @requires("courses.manage")
    @blp.doc(security=BEARER)
    @blp.arguments(RegradeSchema)
    @blp.response(200, RegradeChangeSchema(many=True))
    def post(self, data, quiz_id):
        """Regrade one question in every submitted attempt (with the version each had, or the current one)."""
        return grading_queue.regrade(quiz_id, data["question_id"], data["use_current_version"])
