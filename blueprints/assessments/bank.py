"""Question banks: a course's questions and the organization's, versioned, tagged, previewed.

Who reaches what (issue 12, docs/assessments.md):
- a course's questions: whoever may manage the course (`access.course_for(course_id, "manage")`);
- the organization bank (`course_id` NULL): every teacher, branch manager and org admin reads it and draws
  from it; org admins and the question's author edit or archive it; a course manager shares a course
  question into it (it moves, `shared_from_course_id` remembers where from, quizzes keep using it).
A learner never reads a bank. What the actor cannot see is a 404; what they see but may not change, a 403.

Content (stem, answer key, feedback, points, image) lives in immutable versions: a content edit adds
version n + 1; title and tags are the bank's labels and change in place.
"""

import io
from dataclasses import dataclass

import sqlalchemy as sa

from app.api.listing import FilterBy, ListSpec, apply_list_query, clause, run_list_query
from app.errors import BadRequest, Conflict, NotFound, PermissionDenied, ValidationFailed
from app.extensions import db
from app.images import normalise_image
from app.security.actor import current_actor
from app.security.actor_ids import actor_ids
from app.security.permissions import ORGANIZATION_WIDE_ROLES
from app.storage import media_storage
from app.tenancy.context import require_tenant
from app.tenancy.locks import locked
from app.tenancy.models import utcnow
from blueprints.assessments.grading import correct_response, grade, public_view
from blueprints.assessments.models import Question, QuestionKind, QuestionVersion, question_tags
from blueprints.assessments.validation import check_question
from blueprints.courses import access
from blueprints.courses import services as courses
from blueprints.courses.rich_text import rich_text

STAFF_PERMISSION = "courses.manage"  # teachers, branch managers, org admins (and their API keys)
MAX_TAGS = 20
TAG_MAX = 60
CHANGE_NOTE_MAX = 300
IMAGE_MAX_BYTES = 8 * 1024 * 1024
IMAGE_MAX_PIXELS = 40_000_000
IMAGE_BOX = (1600, 1200)
IMAGE_FORMATS = ("PNG", "JPEG", "GIF", "WEBP")
IMAGE_ALT_MAX = 300
CONTENT_FIELDS = ("stem_html", "spec", "general_feedback_html", "default_points", "image_key", "image_alt")
LABEL_FIELDS = ("title", "tags")


# --- tags ----------------------------------------------------------------------------------------


def normalise_tag(tag):
    """Lower case, trimmed, inner whitespace collapsed: "  Week 1 " and "week  1" are one tag."""
    return " ".join(str(tag or "").split()).casefold()


def normalise_tags(tags):
    """Distinct normalised tags, sorted; a string is split on commas (what a form field holds)."""
    if isinstance(tags, str):
        tags = tags.split(",")
    if not isinstance(tags, list | tuple | set | frozenset):
        raise ValidationFailed("Tags must be a list.", {"tags": ["A list of words."]})
    cleaned = sorted({normalise_tag(tag) for tag in tags if isinstance(tag, str) and normalise_tag(tag)})
    if len(cleaned) > MAX_TAGS:
        raise ValidationFailed("Too many tags.", {"tags": [f"At most {MAX_TAGS} tags."]})
    too_long = [tag for tag in cleaned if len(tag) > TAG_MAX]
    if too_long:
        raise ValidationFailed("A tag is too long.", {"tags": [f"At most {TAG_MAX} characters: {too_long[0][:20]}…"]})
    return cleaned


def tags_of(question_ids):
    """question id -> its tags (sorted), in one query."""
    rows = db.session.execute(
        sa.select(question_tags.c.question_id, question_tags.c.tag)
        .where(question_tags.c.question_id.in_(list(question_ids) or [-1]))
        .order_by(question_tags.c.tag)
    )
    found = {}
    for question_id, tag in rows:
        found.setdefault(question_id, []).append(tag)
    return found


def _set_tags(question, tags):
    db.session.execute(question_tags.delete().where(question_tags.c.question_id == question.id))
    if tags:
        db.session.execute(question_tags.insert(), [{"question_id": question.id, "tag": tag} for tag in tags])


# --- who may -------------------------------------------------------------------------------------


def is_staff(actor):
    return actor.principal is not None and actor.principal.can(STAFF_PERMISSION)


def _is_author(question, actor):
    user_id, api_key_id = actor_ids(actor.principal)
    return (user_id is not None and question.created_by_id == user_id) or (
        api_key_id is not None and question.created_by_api_key_id == api_key_id
    )


def _is_org_admin(actor):
    return any(role in ORGANIZATION_WIDE_ROLES for role in actor.principal.roles)


def _require_organization_bank(actor):
    if not is_staff(actor):
        raise NotFound("No such question.")


def get_question(question_id, need="see", actor=current_actor):
    """A question the actor may use (`see`: read, preview, draw from) or change (`manage`)."""
    if need not in ("see", "manage"):
        raise ValueError(f"Unknown need {need!r}.")
    question = db.session.get(Question, question_id) if isinstance(question_id, int) else None
    if question is None:
        raise NotFound("No such question.")
    if question.course_id is not None:
        try:
            access.course_for(question.course_id, "manage", actor)
        except NotFound:
            raise NotFound("No such question.") from None
        return question
    _require_organization_bank(actor)
    if need == "manage" and not (_is_org_admin(actor) or _is_author(question, actor)):
        raise PermissionDenied(
            "Only org admins and its author can change a question of the organization bank.",
            code="NOT_QUESTION_EDITOR",
        )
    return question


def can_edit(question, actor=current_actor):
    """Whether `get_question(question.id, "manage")` would pass, for a question the actor sees."""
    return question.course_id is not None or _is_org_admin(actor) or _is_author(question, actor)


def managed_course_ids(actor=current_actor):
    """Ids of the courses whose banks the actor manages (the same rule as `access.course_for(.., "manage")`)."""
    return [course.id for course in courses.manageable_courses(actor.principal, actor.scope)]


# --- reading -------------------------------------------------------------------------------------


def current_version(question):
    """The version new attempts get."""
    return version_of(question, question.current_version)


def version_of(question, number):
    version = db.session.scalar(
        sa.select(QuestionVersion).where(QuestionVersion.question_id == question.id, QuestionVersion.number == number)
    )
    if version is None:
        raise NotFound("No such version of this question.")
    return version


def versions_of(question_id, actor=current_actor):
    """The question and its versions, newest first."""
    question = get_question(question_id, "see", actor)
    versions = db.session.scalars(
        sa.select(QuestionVersion)
        .where(QuestionVersion.question_id == question.id)
        .order_by(QuestionVersion.number.desc())
    ).all()
    return question, versions


def questions_with_tag(course_id, tag):
    """What a random draw by `tag` picks from: the course's bank and the organization bank, not archived.
    No scope check: the quiz that draws was checked when it was built."""
    stmt = (
        sa.select(Question)
        .join(question_tags, question_tags.c.question_id == Question.id)
        .where(
            question_tags.c.tag == normalise_tag(tag),
            Question.archived_at.is_(None),
            sa.or_(Question.course_id == course_id, Question.course_id.is_(None)),
        )
        .order_by(Question.id)
    )
    return db.session.scalars(stmt).all()


def _bank_condition(op, value):
    organization = Question.course_id.is_(None)
    wanted = set(value) if isinstance(value, tuple) else {value}
    unknown = wanted - {"organization", "course"}
    if unknown:
        raise BadRequest("Unknown bank.", {"filter[bank]": ["organization or course."]})
    matches = sa.or_(*[organization if bank == "organization" else ~organization for bank in wanted])
    return sa.not_(matches) if op in ("ne", "nin") else matches


def _tag_condition(op, value):
    if op in ("like", "ilike"):
        value = value.casefold()
    elif isinstance(value, tuple):
        value = tuple(normalise_tag(v) for v in value)
    else:
        value = normalise_tag(value)
    negated = {"ne": "eq", "nin": "in"}
    tagged = sa.select(question_tags.c.question_id).where(clause(question_tags.c.tag, negated.get(op, op), value))
    return Question.id.not_in(tagged) if op in negated else Question.id.in_(tagged)


def _escape_like(text):
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _search_condition(_op, value):
    """Words of the title or of the current version's text, in any case."""
    words = [word for word in str(value).split() if word][:10]
    stems = sa.select(QuestionVersion.question_id).where(
        QuestionVersion.question_id == Question.id, QuestionVersion.number == Question.current_version
    )
    conditions = []
    for word in words:
        pattern = f"%{_escape_like(word[:100])}%"
        in_stem = stems.where(QuestionVersion.stem_html.ilike(pattern, escape="\\")).exists()
        conditions.append(sa.or_(Question.title.ilike(pattern, escape="\\"), in_stem))
    return sa.and_(sa.true(), *conditions)


def _archived_condition(op, value):
    archived = Question.archived_at.is_not(None)
    wanted = bool(value[0]) if isinstance(value, tuple) and value else bool(value)
    condition = archived if wanted else Question.archived_at.is_(None)
    return sa.not_(condition) if op in ("ne", "nin") else condition


QUESTION_LIST = ListSpec(
    filters={
        "id": Question.id,
        "course_id": Question.course_id,
        "kind": Question.kind,
        "title": Question.title,
        "created_at": Question.created_at,
        "updated_at": Question.updated_at,
        "tag": FilterBy(question_tags.c.tag, _tag_condition),
        "bank": FilterBy(Question.kind, _bank_condition),
        "q": FilterBy(Question.title, _search_condition),
        "archived": FilterBy(sa.Column("archived", sa.Boolean), _archived_condition),
    },
    sorts={
        "id": Question.id,
        "title": Question.title,
        "kind": Question.kind,
        "created_at": Question.created_at,
        "updated_at": Question.updated_at,
    },
    default_sort=("-updated_at",),
    fields=frozenset(
        {
            "id",
            "course_id",
            "bank",
            "kind",
            "title",
            "tags",
            "current_version",
            "archived_at",
            "shared_from_course_id",
            "can_edit",
            "created_at",
            "updated_at",
            "version",
        }
    ),
    tiebreaker=Question.id,
)


def _visible_questions(actor, course_id=None, organization=False):
    stmt = sa.select(Question)
    if course_id is not None:
        access.course_for(course_id, "manage", actor)
        return stmt.where(Question.course_id == course_id)
    if not is_staff(actor):
        return stmt.where(sa.false())
    org_bank = Question.course_id.is_(None)
    if organization:
        return stmt.where(org_bank)
    return stmt.where(sa.or_(org_bank, Question.course_id.in_(managed_course_ids(actor) or [-1])))


def list_questions(query, *, course_id=None, organization=False, actor=current_actor):
    """A page of the questions the actor may use (a course's bank, the organization's, or all theirs),
    not archived unless `filter[archived]` says so; each as `question_views` shows it."""
    stmt = _visible_questions(actor, course_id, organization)
    if not any(condition.field == "archived" for condition in query.conditions):
        stmt = stmt.where(Question.archived_at.is_(None))
    page = run_list_query(db.session, stmt, query, QUESTION_LIST)
    return page, question_views(page.items, actor)


def count_questions(query, *, course_id=None, organization=False, actor=current_actor):
    stmt = apply_list_query(_visible_questions(actor, course_id, organization), query, QUESTION_LIST)
    return db.session.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery()))


@dataclass
class QuestionView:
    """A question as the bank shows it: its labels, its current version's content, what the actor may do."""

    question: Question
    tags: list
    version: QuestionVersion
    can_edit: bool

    def __getattr__(self, name):
        return getattr(self.question, name)

    @property
    def bank(self):
        return "organization" if self.question.course_id is None else "course"


def question_views(questions, actor=current_actor):
    """Views of many questions in two queries (tags, current versions)."""
    ids = [question.id for question in questions]
    tags = tags_of(ids)
    wanted = [(question.id, question.current_version) for question in questions]
    versions = {}
    if wanted:
        rows = db.session.scalars(
            sa.select(QuestionVersion).where(sa.tuple_(QuestionVersion.question_id, QuestionVersion.number).in_(wanted))
        )
        versions = {version.question_id: version for version in rows}
    return [
        QuestionView(question, tags.get(question.id, []), versions.get(question.id), can_edit(question, actor))
        for question in questions
    ]


def question_view(question, actor=current_actor):
    return question_views([question], actor)[0]


# --- writing -------------------------------------------------------------------------------------


def _clean_content(kind, title, content):
    """The content sanitised and checked (ValidationFailed with every field's messages)."""
    problems = {}
    clean = dict(content)
    for field in ("stem_html", "general_feedback_html"):
        if not isinstance(clean.get(field) or "", str):
            problems[field] = ["Must be text."]
            clean[field] = ""
            continue
        try:
            clean[field] = rich_text(clean.get(field) or "", field=field)
        except ValidationFailed as error:
            problems.update(error.details)
            clean[field] = ""
    alt = clean.get("image_alt") or ""
    if not isinstance(alt, str):
        problems["image_alt"] = ["Must be text."]
        alt = ""
    clean["image_alt"] = " ".join(alt.split())
    if len(clean["image_alt"]) > IMAGE_ALT_MAX:
        problems["image_alt"] = [f"At most {IMAGE_ALT_MAX} characters: say what the image shows, briefly."]
    points = clean.get("default_points")
    if isinstance(points, int) and not isinstance(points, bool):
        clean["default_points"] = points = float(points)
    found = check_question(kind, title, clean["stem_html"], clean.get("spec"), points)
    for field, messages in found.items():
        if field not in problems:
            problems[field] = messages
    if problems:
        raise ValidationFailed("This question cannot be saved as it is.", problems)
    return clean


def _require_alt(has_image, clean):
    """A question's image is part of what it asks, so it needs its text alternative (WCAG 1.1.1: a learner
    who cannot see it reads or hears the description). Without an image there is nothing to describe."""
    if not has_image:
        clean["image_alt"] = ""
    elif not clean["image_alt"]:
        raise ValidationFailed(
            "Describe the question's image.",
            {"image_alt": ["Describe what the image shows, for learners who cannot see it."]},
        )


def _change_note(note):
    if not isinstance(note, str) or len(note) > CHANGE_NOTE_MAX:
        raise ValidationFailed(
            "The change note is too long.", {"change_note": [f"At most {CHANGE_NOTE_MAX} characters."]}
        )
    return note.strip()


def store_image(stream):
    """An uploaded stem image re-encoded (a bounded JPEG without metadata) into the media storage; its key."""
    data = stream.read(IMAGE_MAX_BYTES + 1)
    if not data:
        raise ValidationFailed("The file is empty.", {"image": ["The file is empty."]})
    if len(data) > IMAGE_MAX_BYTES:
        message = f"An image may be at most {IMAGE_MAX_BYTES // (1024 * 1024)} MB."
        raise ValidationFailed(message, {"image": [message]})
    jpeg = normalise_image(
        data,
        accepted=IMAGE_FORMATS,
        box=IMAGE_BOX,
        max_pixels=IMAGE_MAX_PIXELS,
        output="JPEG",
        purpose="a question's image",
        field="image",
    )
    return media_storage().save(require_tenant().slug, io.BytesIO(jpeg), len(jpeg)).key


def serve_image(question_id, number=None, actor=current_actor):
    """A version's image (the current one by default) for staff who see the question."""
    question = get_question(question_id, "see", actor)
    version = current_version(question) if number is None else version_of(question, number)
    if not version.image_key:
        raise NotFound("This question has no image.")
    return image_response(version)


def image_response(version):
    """The image of a version, for a caller that checked who asks (the bank, an attempt's page)."""
    return media_storage().serve(version.image_key, "image/jpeg", f"question-{version.question_id}.jpg")


def _with_stored_image(image, write):
    """Run `write(image_key)` with an uploaded image stored first; the file is deleted if the write fails."""
    if image is None:
        return write(None)
    key = store_image(image)
    try:
        return write(key)
    except BaseException:
        db.session.rollback()
        media_storage().delete(key)
        raise


@dataclass
class QuestionDraft:
    """A new question's content as `create_questions` takes it; `change_note` overrides the call's note."""

    kind: str
    title: str
    stem_html: str
    spec: dict
    tags: object = ()
    general_feedback_html: str = ""
    default_points: float = 1.0
    image_key: str | None = None
    change_note: str | None = None
    image_alt: str = ""  # the image's text alternative: required with an image


def create_question(
    course_id,
    kind,
    title,
    stem_html,
    spec,
    *,
    tags=(),
    general_feedback_html="",
    default_points=1.0,
    image_key=None,
    image=None,
    image_alt="",
    change_note="",
    actor=current_actor,
):
    """A new question (version 1) in a course's bank, or in the organization bank when `course_id` is None.
    `image`: an uploaded file to re-encode and store (`image_key`: a stored image, for trusted callers), with
    `image_alt`, its text alternative (required with an image)."""
    draft = QuestionDraft(kind, title, stem_html, spec, tags, general_feedback_html, default_points, image_key)
    draft.image_alt = image_alt
    if image is not None:
        _check_destination(course_id, actor)  # before the upload is stored
        _cleaned(draft, change_note, has_image=True)  # the content's own messages before the image's

    def write(stored_key):
        draft.image_key = stored_key or image_key
        return create_questions(course_id, [draft], actor=actor, change_note=change_note)[0]

    return _with_stored_image(image, write)


def _check_destination(course_id, actor):
    if course_id is None:
        _require_organization_bank(actor)
    else:
        access.course_for(course_id, "manage", actor)


def _cleaned(draft, change_note, has_image=None):
    """(content, tags, note) of a draft, sanitised and checked like every question the bank saves."""
    content = {
        "stem_html": draft.stem_html,
        "spec": draft.spec,
        "general_feedback_html": draft.general_feedback_html,
        "default_points": draft.default_points,
        "image_alt": draft.image_alt,
    }
    clean = _clean_content(draft.kind, draft.title, content)
    _require_alt(bool(draft.image_key) if has_image is None else has_image, clean)
    note = _change_note(change_note if draft.change_note is None else draft.change_note)
    return clean, normalise_tags(draft.tags), note


def create_questions(course_id, drafts, *, actor=current_actor, change_note=""):
    """New questions (version 1 each) from `QuestionDraft`s in a course's bank (the organization bank when
    `course_id` is None): the bank checked once, every draft sanitised and checked, all written in one
    transaction or none (ValidationFailed with the first bad draft's fields; its position in the message).
    Returns the questions, in the drafts' order."""
    _check_destination(course_id, actor)
    drafts = list(drafts)
    cleaned = []
    for position, draft in enumerate(drafts):
        try:
            cleaned.append(_cleaned(draft, change_note))
        except ValidationFailed as error:
            if len(drafts) > 1:
                error.message = f"Question {position + 1}: {error.message}"
            raise
    user_id, api_key_id = actor_ids(actor.principal)
    questions = [
        Question(
            course_id=course_id,
            kind=draft.kind,
            title=draft.title.strip(),
            current_version=1,
            created_by_id=user_id,
            created_by_api_key_id=api_key_id,
        )
        for draft in drafts
    ]
    try:
        db.session.add_all(questions)
        db.session.flush()
        db.session.add_all(
            [
                _version(question, 1, clean, draft.image_key, note, actor)
                for question, draft, (clean, _tags, note) in zip(questions, drafts, cleaned, strict=True)
            ]
        )
        tags = [
            {"question_id": question.id, "tag": tag}
            for question, (_clean, names, _note) in zip(questions, cleaned, strict=True)
            for tag in names
        ]
        if tags:
            db.session.execute(question_tags.insert(), tags)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return questions


def _version(question, number, content, image_key, note, actor):
    user_id, api_key_id = actor_ids(actor.principal)
    return QuestionVersion(
        question_id=question.id,
        number=number,
        stem_html=content["stem_html"],
        spec=content["spec"],
        general_feedback_html=content["general_feedback_html"],
        default_points=content["default_points"],
        image_key=image_key,
        image_alt=content["image_alt"],
        change_note=note,
        author_id=user_id,
        author_api_key_id=api_key_id,
    )


def _content_of(version):
    return {
        "stem_html": version.stem_html,
        "spec": version.spec,
        "general_feedback_html": version.general_feedback_html,
        "default_points": version.default_points,
        "image_key": version.image_key,
        "image_alt": version.image_alt,
    }


def update_question(question_id, *, actor=current_actor, **changes):
    """Change a question: `title`, `tags` in place; content (`stem_html`, `spec`, `general_feedback_html`,
    `default_points`, `image` an upload, `remove_image`, `image_alt`) as a new version with `change_note`. A
    change that changes nothing adds no version; one that does needs `image_alt` when the version has an image
    (a version saved before alt texts existed keeps its empty one until then)."""
    image, remove_image = changes.pop("image", None), bool(changes.pop("remove_image", False))
    note = _change_note(changes.pop("change_note", "") or "")
    unknown = set(changes) - set(CONTENT_FIELDS) - set(LABEL_FIELDS) - {"kind"}
    if unknown:
        raise BadRequest(f"Unknown question fields: {', '.join(sorted(unknown))}.")
    question = get_question(question_id, "manage", actor)
    if changes.get("kind", question.kind) != question.kind:
        raise ValidationFailed(
            "A question's kind cannot change.", {"kind": ["Make a new question of the other kind instead."]}
        )
    if question.archived_at is not None:
        raise Conflict("Restore this question before changing it.", code="QUESTION_ARCHIVED")
    title = changes["title"].strip() if isinstance(changes.get("title"), str) else changes.get("title", question.title)
    latest = current_version(question)
    content = _content_of(latest) | {field: changes[field] for field in CONTENT_FIELDS if field in changes}
    if remove_image:
        content["image_key"] = None
    clean = _clean_content(question.kind, title, content)
    if image is not None or clean != _content_of(latest):
        _require_alt(image is not None or bool(clean["image_key"]), clean)
    tags = normalise_tags(changes["tags"]) if "tags" in changes else None

    def write(stored_key):
        if stored_key:
            clean["image_key"] = stored_key
        locked(sa.select(Question).where(Question.id == question.id))
        version = current_version(question)  # as the lock left it: another edit may have come first
        if clean != _content_of(version):
            db.session.add(_version(question, version.number + 1, clean, clean["image_key"], note, actor))
            question.current_version = version.number + 1
        question.title = title
        if tags is not None:
            _set_tags(question, tags)
        question.updated_at = utcnow()
        db.session.commit()
        return question

    return _with_stored_image(image, write)


def archive_question(question_id, actor=current_actor):
    """Out of the bank and of new draws; quizzes and attempts that use it keep it."""
    question = get_question(question_id, "manage", actor)
    if question.archived_at is None:
        question.archived_at = utcnow()
        db.session.commit()
    return question


def restore_question(question_id, actor=current_actor):
    question = get_question(question_id, "manage", actor)
    if question.archived_at is not None:
        question.archived_at = None
        db.session.commit()
    return question


def share_question(question_id, actor=current_actor):
    """Move a course question into the organization bank; its course's quizzes keep using it."""
    question = get_question(question_id, "manage", actor)
    if question.course_id is None:
        raise Conflict("This question is in the organization bank already.", code="ALREADY_SHARED")
    locked(sa.select(Question).where(Question.id == question.id))
    question.shared_from_course_id, question.course_id = question.course_id, None
    question.updated_at = utcnow()
    db.session.commit()
    return question


# --- preview -------------------------------------------------------------------------------------

PREVIEW_SEED = 1  # a fixed shuffle, so that a preview does not jump as the teacher types


@dataclass
class Preview:
    stem_html: str
    view: dict
    grade: object  # grading.Grade, or None without a sample response
    correct_response: dict | None


def preview(
    kind,
    stem_html,
    spec,
    *,
    general_feedback_html="",
    default_points=1.0,
    response=None,
    title="Preview",
    seed=PREVIEW_SEED,
    actor=current_actor,
):
    """What a learner would see of this content, and the grade of a sample `response`: nothing is saved.
    ValidationFailed (field details) while the content is not a valid question yet."""
    if not is_staff(actor):
        raise PermissionDenied("Only teachers and managers preview questions.")
    content = {
        "stem_html": stem_html,
        "spec": spec,
        "general_feedback_html": general_feedback_html,
        "default_points": default_points,
    }
    clean = _clean_content(kind, title or "Preview", content)
    result = None
    if response is not None:
        if not isinstance(response, dict):
            raise ValidationFailed(
                "A response is an object.", {"response": ["An object, as docs/assessments.md shows."]}
            )
        result = grade(kind, clean["spec"], response)
    return Preview(
        clean["stem_html"],
        public_view(kind, clean["spec"], seed),
        result,
        correct_response(kind, clean["spec"]) if kind != QuestionKind.ESSAY else None,
    )


def preview_question(question_id, number=None, response=None, actor=current_actor):
    """The learner's view of a stored question's version (the current one by default) and a sample's grade."""
    question = get_question(question_id, "see", actor)
    version = current_version(question) if number is None else version_of(question, number)
    result = grade(question.kind, version.spec, response) if isinstance(response, dict) else None
    return Preview(
        version.stem_html,
        public_view(question.kind, version.spec, PREVIEW_SEED),
        result,
        correct_response(question.kind, version.spec),
    )
