"""Badge definitions: who sees and manages which badge, create, change, archive, delete, and their picture.

Who may do what (docs/credentials.md, "Who may do what"):
- a course's badge (`course_id` set) is managed by whoever may manage the course (`courses.access`);
- an organization badge by org admins, and by branch managers when all of its branches (at least one) are
  theirs; a badge with no branches is the whole organization's, so org admins only;
- learners see the active badges they can earn: those of the courses they see, and organization badges of
  the whole organization or of one of their branches. Managers also see their drafts and archived badges.
What the actor cannot see is a 404; what they see but may not change is a 403 `NOT_BADGE_MANAGER`.
"""

import io

import sqlalchemy as sa

from app.api.listing import ListSpec, run_list_query
from app.errors import NotFound, PermissionDenied, ValidationFailed
from app.extensions import db
from app.security.actor import current_actor
from app.security.actor_ids import actor_ids
from app.storage import media_storage
from app.tenancy.context import require_tenant
from blueprints.badges import artwork, backfill
from blueprints.badges.criteria import STRATEGIES, strategy_for
from blueprints.badges.models import Badge, BadgeAward, BadgeStatus, badge_branches
from blueprints.branches.queries import branches_of, existing_branch_ids
from blueprints.courses import access
from blueprints.courses.services import manageable_courses, visible_courses

FIELDS = (
    "name",
    "description",
    "status",
    "colour",
    "accent",
    "initials",
    "criteria_strategy",
    "criteria",
    "valid_months",
    "branch_ids",
)
MAX_VALID_MONTHS = 1200

BADGE_LIST = ListSpec(
    filters={
        "id": Badge.id,
        "course_id": Badge.course_id,
        "status": Badge.status,
        "criteria_strategy": Badge.criteria_strategy,
        "name": Badge.name,
        "created_at": Badge.created_at,
    },
    sorts={"id": Badge.id, "name": Badge.name, "created_at": Badge.created_at, "status": Badge.status},
    default_sort=("name",),
    fields=frozenset(
        {
            "id",
            "name",
            "description",
            "course_id",
            "status",
            "colour",
            "accent",
            "initials",
            "criteria_strategy",
            "criteria",
            "valid_months",
            "branch_ids",
            "image_url",
            "created_at",
            "updated_at",
        }
    ),
    tiebreaker=Badge.id,
)


# --- scope ------------------------------------------------------------------------------------------------------


def branch_ids_of(badge_ids):
    """{badge id: [branch ids]} (one query)."""
    links = {}
    rows = db.session.execute(
        sa.select(badge_branches.c.badge_id, badge_branches.c.branch_id).where(
            badge_branches.c.badge_id.in_(badge_ids or [-1])
        )
    )
    for badge_id, branch_id in rows:
        links.setdefault(badge_id, []).append(branch_id)
    return {badge_id: sorted(ids) for badge_id, ids in links.items()}


def _managed_condition(actor):
    """SQL: the badges the actor manages (course badges of courses they manage; organization badges all of
    whose branches, at least one, are theirs)."""
    principal, scope = actor.principal, actor.scope
    conditions = []
    course_ids = [course.id for course in manageable_courses(principal, scope)]
    if course_ids:
        conditions.append(Badge.course_id.in_(course_ids))
    if scope.branch_ids:
        ours = sa.select(badge_branches.c.badge_id).where(badge_branches.c.branch_id.in_(scope.branch_ids))
        others = sa.select(badge_branches.c.badge_id).where(badge_branches.c.branch_id.not_in(scope.branch_ids))
        conditions.append(sa.and_(Badge.course_id.is_(None), Badge.id.in_(ours), Badge.id.not_in(others)))
    return sa.or_(*conditions) if conditions else sa.false()


def visible_badges(actor=current_actor):
    """A select of the badges the actor may see (see the module's docstring)."""
    principal, scope = actor.principal, actor.scope
    stmt = sa.select(Badge)
    if scope.organization_wide:
        return stmt
    visible = visible_courses(principal, scope).with_only_columns(sa.literal_column("courses.id"))
    earnable_course_badges = sa.and_(Badge.course_id.is_not(None), Badge.course_id.in_(visible))
    no_branches = ~sa.exists().where(badge_branches.c.badge_id == Badge.id)
    reach = list(scope.branch_ids or ())
    branch_conditions = [badge_branches.c.branch_id.in_(reach or [-1])]
    if principal.kind == "user":
        branch_conditions.append(badge_branches.c.branch_id.in_(branches_of(principal.id)))
    of_my_branches = sa.exists().where(badge_branches.c.badge_id == Badge.id, sa.or_(*branch_conditions))
    earnable_org_badges = sa.and_(Badge.course_id.is_(None), sa.or_(no_branches, of_my_branches))
    active = sa.and_(Badge.status == BadgeStatus.ACTIVE, sa.or_(earnable_course_badges, earnable_org_badges))
    return stmt.where(sa.or_(active, _managed_condition(actor)))


def list_badges(query, actor=current_actor):
    """A page of the badges the actor may see."""
    return run_list_query(db.session, visible_badges(actor), query, BADGE_LIST)


def get_badge(badge_id, need="see", actor=current_actor):
    """A badge the actor sees; `need="manage"`: one they may change (403 otherwise)."""
    badge = db.session.scalar(visible_badges(actor).where(Badge.id == badge_id))
    if badge is None:
        raise NotFound("No such badge.")
    if need == "manage":
        require_manager(badge, actor)
    elif need != "see":
        raise ValueError(f"Unknown need {need!r}.")
    return badge


def can_manage(badge, actor=current_actor):
    if actor.scope.organization_wide:
        return True
    if badge.course_id is not None:
        try:
            access.course_for(badge.course_id, "manage", actor)
        except (NotFound, PermissionDenied):
            return False
        return True
    branches = set(branch_ids_of([badge.id]).get(badge.id, []))
    return bool(branches) and bool(actor.scope.branch_ids) and branches <= actor.scope.branch_ids


def require_manager(badge, actor=current_actor):
    if not can_manage(badge, actor):
        raise PermissionDenied("Only this badge's managers can change it.", code="NOT_BADGE_MANAGER")


def award_count(badge_id):
    return db.session.scalar(sa.select(sa.func.count(BadgeAward.id)).where(BadgeAward.badge_id == badge_id)) or 0


# --- checking what an editor sends ---------------------------------------------------------------------------


def _problem(problems, field, message):
    problems.setdefault(field, []).append(message)


def _text(problems, data, field, limit, required=False):
    value = data.get(field)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        _problem(problems, field, "Required." if required else "Text.")
        return None
    value = value.strip()
    if len(value) > limit:
        _problem(problems, field, f"At most {limit} characters.")
    return value


def _clean_appearance(problems, data, clean):
    for field in ("colour", "accent"):
        if data.get(field) is not None:
            try:
                clean[field] = artwork.check_colour(data[field], field)
            except ValidationFailed as error:
                problems.update(error.details)
    if "initials" in data:
        initials = data["initials"] or ""
        if not isinstance(initials, str) or len(initials.strip()) > 3:
            _problem(problems, "initials", "At most 3 characters.")
        else:
            clean["initials"] = initials.strip().upper()


def _clean_criteria(problems, data, badge, course_id, actor, clean):
    key = data.get("criteria_strategy", None if badge is None else badge.criteria_strategy)
    if key not in STRATEGIES:
        _problem(problems, "criteria_strategy", f"One of {', '.join(STRATEGIES)}.")
        return
    if badge is not None and "criteria" not in data and "criteria_strategy" not in data:
        return
    params = data.get("criteria", {} if badge is None or "criteria_strategy" in data else badge.criteria)
    if not isinstance(params, dict):
        _problem(problems, "criteria", "An object of the strategy's parameters.")
        return
    try:
        clean["criteria"] = strategy_for(key).clean(params, course_id, actor)
        clean["criteria_strategy"] = key
    except ValidationFailed as error:
        problems.update(error.details)


def _clean(data, badge, course_id, actor):
    """The fields of `data` checked (all problems at once: 422 with a message per field)."""
    problems, clean = {}, {}
    for name in sorted(set(data) - set(FIELDS) - {"course_id"}):
        _problem(problems, name, "Unknown field.")
    if badge is None or "name" in data:
        clean["name"] = _text(problems, data, "name", 120, required=True)
    if "description" in data:
        clean["description"] = _text(problems, data, "description", 1000) or ""
    if "status" in data:
        if data["status"] not in BadgeStatus.ALL:
            _problem(problems, "status", f"One of {', '.join(BadgeStatus.ALL)}.")
        clean["status"] = data["status"]
    _clean_appearance(problems, data, clean)
    if "valid_months" in data:
        months = data["valid_months"]
        if months is not None and (isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= 1200):
            _problem(problems, "valid_months", f"A whole number of months from 1 to {MAX_VALID_MONTHS}, or none.")
        clean["valid_months"] = months
    _clean_criteria(problems, data, badge, course_id, actor, clean)
    if "branch_ids" in data or (badge is None and course_id is None):
        clean["branch_ids"] = _clean_branches(problems, data.get("branch_ids"), course_id, actor)
    if problems:
        raise ValidationFailed("The badge is not valid.", problems)
    return clean


def _clean_branches(problems, branch_ids, course_id, actor):
    if branch_ids is None:
        branch_ids = []
    if not isinstance(branch_ids, list) or not all(isinstance(b, int) and not isinstance(b, bool) for b in branch_ids):
        _problem(problems, "branch_ids", "A list of branch ids.")
        return None
    branch_ids = sorted(set(branch_ids))
    if branch_ids and course_id is not None:
        _problem(problems, "branch_ids", "A course's badge reaches the course's learners; branches are for others.")
        return None
    missing = set(branch_ids) - existing_branch_ids(branch_ids)
    for branch_id in sorted(missing):
        _problem(problems, "branch_ids", f"No branch {branch_id}.")
    scope = actor.scope
    if course_id is None and not scope.organization_wide:
        if not branch_ids:
            _problem(
                problems, "branch_ids", "Pick at least one of your branches (the whole organization's are org admins')."
            )
        for branch_id in branch_ids:
            if branch_id not in missing and not scope.allows(branch_id):
                _problem(problems, "branch_ids", f"Branch {branch_id} is not one of yours.")
    return branch_ids


def _set_branches(badge, branch_ids):
    db.session.execute(sa.delete(badge_branches).where(badge_branches.c.badge_id == badge.id))
    if branch_ids:
        db.session.execute(sa.insert(badge_branches), [{"badge_id": badge.id, "branch_id": b} for b in branch_ids])


def _apply(badge, clean):
    for field, value in clean.items():
        if field != "branch_ids":
            setattr(badge, field, value)
    if not badge.initials:
        badge.initials = artwork.initials_of(badge.name)


# --- writing ----------------------------------------------------------------------------------------------------


def create_badge(data, actor=current_actor):
    """A new badge (a draft unless `status` says otherwise). A course's badge needs `manage` on the course;
    an organization badge is the org admins', or a branch manager's for some of their branches."""
    course_id = data.get("course_id")
    if course_id is not None:
        if isinstance(course_id, bool) or not isinstance(course_id, int):
            raise ValidationFailed("The badge is not valid.", {"course_id": ["A course id."]})
        try:
            access.course_for(course_id, "see", actor)
        except NotFound:
            raise ValidationFailed("No such course.", {"course_id": ["No course with this id."]}) from None
        access.course_for(course_id, "manage", actor)
    elif not actor.scope.organization_wide and not actor.scope.branch_ids:
        raise PermissionDenied(
            "Only org admins and branch managers can make organization badges; pick one of your courses.",
            code="NOT_BADGE_MANAGER",
        )
    clean = _clean(data, None, course_id, actor)
    user_id, api_key_id = actor_ids(actor.principal)
    badge = Badge(course_id=course_id, created_by_id=user_id, created_by_api_key_id=api_key_id)
    _apply(badge, clean)
    db.session.add(badge)
    db.session.flush()
    if clean.get("branch_ids"):
        _set_branches(badge, clean["branch_ids"])
    if badge.status == BadgeStatus.ACTIVE:
        backfill.schedule_after_commit(badge.id)  # learners who meet it already are given it
    db.session.commit()
    return badge


def update_badge(badge_id, data, actor=current_actor):
    """Change a badge's fields; its course stays (a badge of another course is another badge)."""
    badge = get_badge(badge_id, "manage", actor)
    if "course_id" in data and data["course_id"] != badge.course_id:
        raise ValidationFailed("A badge stays with its course.", {"course_id": ["Cannot be changed."]})
    data = {k: v for k, v in data.items() if k != "course_id"}
    clean = _clean(data, badge, badge.course_id, actor)
    if clean.get("status") == BadgeStatus.DRAFT and badge.status != BadgeStatus.DRAFT and award_count(badge.id):
        # a draft is not published: its holders' hosted assertions would point to a BadgeClass that is gone
        raise ValidationFailed(
            "The badge is not valid.", {"status": ["A badge that was given stays active or archived, not a draft."]}
        )
    reach_before = (badge.status, badge.criteria_strategy, badge.criteria, branch_ids_of([badge.id]).get(badge.id))
    _apply(badge, clean)
    if "branch_ids" in clean:
        _set_branches(badge, clean["branch_ids"])
    reach_after = (badge.status, badge.criteria_strategy, badge.criteria, branch_ids_of([badge.id]).get(badge.id))
    if badge.status == BadgeStatus.ACTIVE and reach_after != reach_before:
        backfill.schedule_after_commit(badge.id)  # activated, or who meets it changed: give it to those who do
    db.session.commit()
    return badge


def archive_badge(badge_id, actor=current_actor):
    """Archived: no new awards, hidden from learners who do not hold it; its awards stay valid."""
    badge = get_badge(badge_id, "manage", actor)
    badge.status = BadgeStatus.ARCHIVED
    db.session.commit()
    return badge


def delete_badge(badge_id, actor=current_actor):
    """Delete a badge nobody holds; a badge with awards is archived instead (its credentials stay
    verifiable). Returns "deleted" or "archived"."""
    badge = get_badge(badge_id, "manage", actor)
    if award_count(badge.id):
        badge.status = BadgeStatus.ARCHIVED
        db.session.commit()
        return "archived"
    image_key = badge.image_key
    db.session.delete(badge)
    db.session.commit()
    if image_key:
        media_storage().delete(image_key)
    return "deleted"


# --- the picture ------------------------------------------------------------------------------------------------


def set_image(badge_id, data, filename="", actor=current_actor):
    """Upload a PNG or SVG as the badge's picture (cleaned: see `artwork`)."""
    badge = get_badge(badge_id, "manage", actor)
    cleaned, kind = artwork.clean_upload(data, filename)
    storage = media_storage()
    stored = storage.save(require_tenant().slug, io.BytesIO(cleaned), len(cleaned))
    previous = badge.image_key
    badge.image_key = f"{kind}:{stored.key}"  # the kind rides in the key: the storage keeps no content type
    try:
        db.session.commit()
    except BaseException:
        storage.delete(stored.key)
        raise
    if previous:
        storage.delete(image_storage_key(previous))
    return badge


def remove_image(badge_id, actor=current_actor):
    """Back to the picture drawn from the badge's colours and initials."""
    badge = get_badge(badge_id, "manage", actor)
    previous, badge.image_key = badge.image_key, None
    db.session.commit()
    if previous:
        media_storage().delete(image_storage_key(previous))
    return badge


def image_storage_key(image_key):
    return image_key.split(":", 1)[1] if ":" in image_key else image_key


def image_kind(badge):
    """ "svg" or "png" for an uploaded picture, None for a drawn one."""
    if not badge.image_key:
        return None
    return badge.image_key.split(":", 1)[0] if ":" in badge.image_key else "png"


def _stored(badge):
    with media_storage().open(image_storage_key(badge.image_key)) as stream:
        return stream.read()


def badge_svg(badge):
    """The badge's picture as SVG: the uploaded (cleaned) one, or the drawn one; None for an uploaded PNG."""
    kind = image_kind(badge)
    if kind == "svg":
        return _stored(badge)
    if kind is None:
        return artwork.drawn_svg(badge.colour, badge.accent, badge.initials, badge.name)
    return None


def badge_png(badge):
    """The badge's picture as PNG: the uploaded one, or the drawn one (also for an uploaded SVG, which cannot
    be rasterised here)."""
    if image_kind(badge) == "png":
        return _stored(badge)
    return artwork.drawn_png(badge.colour, badge.accent, badge.initials)


def image_version(badge):
    """A short token that changes with the picture (for cache-busting URLs)."""
    if badge.image_key:
        return image_storage_key(badge.image_key).rsplit("/", 1)[-1][:12]
    return f"{badge.colour[1:]}{badge.accent[1:]}{badge.initials}".lower()


def image_path(badge):
    """The picture's public address (SVG when there is one, else PNG)."""
    kind = "png" if image_kind(badge) == "png" else "svg"
    return f"/ob/v2/badges/{badge.id}/image.{kind}?v={image_version(badge)}"
