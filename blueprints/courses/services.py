"""Courses and their outline: who sees which course, who may change it, and what is in it."""

import re
import secrets
from dataclasses import dataclass, replace
from types import SimpleNamespace

import sqlalchemy as sa
from anyascii import anyascii
from sqlalchemy.exc import IntegrityError

from app.api.listing import FilterBy, ListSpec, clause, run_list_query
from app.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from app.extensions import db
from app.security.actor_ids import actor_ids
from app.security.permissions import ORGANIZATION_WIDE_ROLES, TEACHER
from app.tenancy.locks import locked
from blueprints.branches.queries import branch_choices, branches_of, existing_branch_ids, people_of
from blueprints.courses.media import discard_files, file_keys
from blueprints.courses.models import (
    ContentItem,
    Course,
    CourseModule,
    CourseStatus,
    course_branches,
    course_prerequisites,
    course_teachers,
)
from blueprints.courses.rich_text import rich_text
from blueprints.learning import queries as enrollments
from blueprints.users.queries import existing_user_ids, user_ids_by_email
from blueprints.users.services import unmanageable_ids


def _in_teachers(op, value):
    return Course.id.in_(sa.select(course_teachers.c.course_id).where(clause(course_teachers.c.user_id, op, value)))


def _in_branch(op, value):
    return Course.id.in_(sa.select(course_branches.c.course_id).where(clause(course_branches.c.branch_id, op, value)))


COURSE_LIST = ListSpec(
    filters={
        "id": Course.id,
        "title": Course.title,
        "slug": Course.slug,
        "status": Course.status,
        "created_at": Course.created_at,
        "teacher": FilterBy(course_teachers.c.user_id, _in_teachers),
        "branch": FilterBy(course_branches.c.branch_id, _in_branch),
    },
    sorts={"id": Course.id, "title": Course.title, "created_at": Course.created_at},
    default_sort=("title",),
    fields=frozenset(
        {
            "id",
            "title",
            "slug",
            "summary",
            "status",
            "self_enrollment",
            "due_days",
            "estimated_minutes",
            "branch_ids",
            "teacher_ids",
            "prerequisite_ids",
            "created_at",
        }
    ),
    tiebreaker=Course.id,
)


def slugify(text):
    """A URL-safe name from a title in any script: "Основы алгебры" -> "osnovy-algebry", "数学" -> "shuxue"."""
    words = re.sub(r"[^a-z0-9]+", "-", anyascii(text).lower()).strip("-")
    return words[:110].strip("-") or "course"  # room for a "-2" when it is taken


def _free_slug(base):
    """`base`, else `base-2`, `base-3`...: the first that no course has."""
    taken = set(
        db.session.scalars(sa.select(Course.slug).where(sa.or_(Course.slug == base, Course.slug.like(f"{base}-%"))))
    )
    number = 1
    while (slug := base if number == 1 else f"{base}-{number}") in taken:
        number += 1
    return slug


def _add_with_slug(course, chosen_slug, title):
    """Insert the course under the slug its author chose (409 when taken) or under one made from its
    title, which never fails: numbered when taken, and given a random suffix if a concurrent request
    took that number first."""
    base = slugify(title)
    course.slug = chosen_slug or _free_slug(base)
    for _attempt in range(3):
        db.session.add(course)
        try:
            db.session.flush()
            return
        except IntegrityError:
            db.session.rollback()
            if chosen_slug:
                break
            course.slug = f"{base}-{secrets.token_hex(3)}"
    raise Conflict("A course with this slug exists already.", {"slug": ["Must be unique."]})


_COURSES = Course.__table__


def _organization_wide(principal):
    """Org admins (and the other organization-wide roles) see and manage every course."""
    return any(role in ORGANIZATION_WIDE_ROLES for role in principal.roles)


def visible_courses(principal, scope):
    """The courses a principal may see: all (org admins), their branches' and their own (managers,
    teachers), published ones open to their branches (everyone)."""
    stmt = sa.select(Course)
    if _organization_wide(principal):
        return stmt
    return stmt.where(_visible(principal, scope))


def _visible(principal, scope):
    """`visible_courses`' condition for someone who is not organization-wide, on the table's columns (so that a
    Core select of them stays Core)."""
    org_wide = ~sa.exists().where(course_branches.c.course_id == _COURSES.c.id)
    if principal.kind == "user":
        mine = sa.exists().where(
            course_branches.c.course_id == _COURSES.c.id,
            course_branches.c.branch_id.in_(branches_of(principal.id)),
        )
        published = sa.and_(_COURSES.c.status == CourseStatus.PUBLISHED, sa.or_(org_wide, mine))
    else:  # an API key has no branches of its own (its id is not a user id)
        published = sa.and_(_COURSES.c.status == CourseStatus.PUBLISHED, org_wide)
    conditions = [published]
    if scope.branch_ids:
        conditions.append(
            sa.exists().where(
                course_branches.c.course_id == _COURSES.c.id, course_branches.c.branch_id.in_(scope.branch_ids)
            )
        )
    if principal.kind == "user":  # anyone listed as a course's teacher sees it, in any state
        conditions.append(
            _COURSES.c.id.in_(sa.select(course_teachers.c.course_id).where(course_teachers.c.user_id == principal.id))
        )
    return sa.or_(*conditions)


def visible_course_ids(principal, scope):
    """A select of the ids of the courses the principal may see (for `IN` conditions)."""
    visible = visible_courses(principal, scope).subquery()
    return sa.select(visible.c.id)


def list_courses(query, principal, scope):
    """A page of visible courses, each with its branches, teachers and prerequisites."""
    page = run_list_query(db.session, visible_courses(principal, scope), query, COURSE_LIST)
    return replace(page, items=views_of(page.items))


def get_course(course_id, principal, scope):
    if _organization_wide(principal):  # they see every course
        course = db.session.get(Course, course_id)  # the mapper's own statement: not built on each request
    else:
        course = db.session.scalar(visible_courses(principal, scope).where(Course.id == course_id))
    if course is None:
        raise NotFound("No such course.")
    return course


def can_manage(course, principal, scope):
    if _organization_wide(principal):
        return True
    teachers = set(
        db.session.scalars(sa.select(course_teachers.c.user_id).where(course_teachers.c.course_id == course.id))
    )
    if principal.kind == "user" and principal.id in teachers:
        return True
    branches = set(branch_ids_of([course.id]).get(course.id, []))
    return bool(scope.branch_ids) and bool(branches) and branches <= scope.branch_ids


def course_roster(course_id, principal, scope):
    """A visible course, and whose enrollments the principal handles in it: None for everyone's (its
    teachers and managers), or a set of branches: a branch manager enrolls and follows the people of their
    branches in any published course open to those branches (an organization-wide course, say)."""
    course = get_course(course_id, principal, scope)
    if can_manage(course, principal, scope):
        return course, None
    if scope.branch_ids and course.status == CourseStatus.PUBLISHED:
        return course, scope.branch_ids
    _require_still_there(course)
    raise PermissionDenied("Only this course's teachers and managers can enroll people.", code="NOT_COURSE_MANAGER")


def _require_still_there(course):
    """A course removed between finding it and reading its teachers lost its teachers with it: that is a
    404 (the course is gone), not a 403 (you are not its teacher)."""
    if db.session.scalar(sa.select(Course.id).where(Course.id == course.id)) is None:
        raise NotFound("No such course.")


def require_manager(course, principal, scope):
    if not can_manage(course, principal, scope):
        _require_still_there(course)
        raise PermissionDenied("Only this course's teachers and managers can change it.", code="NOT_COURSE_MANAGER")


def _links(table, column, course_ids):
    rows = db.session.execute(sa.select(table.c.course_id, column).where(table.c.course_id.in_(course_ids)))
    links = {}
    for course_id, other in rows:
        links.setdefault(course_id, []).append(other)
    return links


def branch_ids_of(course_ids):
    return _links(course_branches, course_branches.c.branch_id, course_ids)


@dataclass
class CourseView:
    """A course with its links, loaded for a whole page at once (one query, not three per course)."""

    course: Course
    branch_ids: list
    teacher_ids: list
    prerequisite_ids: list

    def __getattr__(self, name):
        return getattr(self.course, name)


_LINK_TABLES = (
    ("branch_ids", course_branches, course_branches.c.branch_id),
    ("teacher_ids", course_teachers, course_teachers.c.user_id),
    ("prerequisite_ids", course_prerequisites, course_prerequisites.c.prerequisite_id),
)
# Built once: building three selects per call cost more than running them. `ids` expands to the page's ids.
_LINKS_OF_COURSES = sa.union_all(
    *(
        sa.select(sa.literal(name).label("link"), table.c.course_id, column.label("other")).where(
            table.c.course_id.in_(sa.bindparam("ids", expanding=True))
        )
        for name, table, column in _LINK_TABLES
    )
)


# A course's columns with its links' ids as comma-separated lists: one statement for a course's own read (on every
# request path of the API; its links in a second statement were a tenth of that request's time). Core, not the
# ORM: the API dumps the row's columns and changes nothing, and loading an entity cost a fifth of the request.
_LINK_LISTS = tuple(
    # the separator as SQL text: as a string it is a bind rendered into the SQL at every execution
    sa.select(sa.func.aggregate_strings(sa.cast(column, sa.String), sa.literal_column("','")))
    .where(table.c.course_id == _COURSES.c.id)
    .scalar_subquery()
    .label(name)
    for name, table, column in _LINK_TABLES
)
_COURSE_VIEW = sa.select(*_COURSES.c, *_LINK_LISTS).where(_COURSES.c.id == sa.bindparam("course_id"))


def get_course_view(course_id, principal, scope):
    """A course the principal sees, with its branches, teachers and prerequisites (the attributes of a
    `CourseView`), read-only: its columns and link lists as attributes of a plain namespace, which a schema reads
    without `CourseView`'s delegation."""
    stmt = _COURSE_VIEW if _organization_wide(principal) else _COURSE_VIEW.where(_visible(principal, scope))
    row = db.session.execute(stmt, {"course_id": course_id}, bind_arguments={"mapper": Course}).first()
    if row is None:
        raise NotFound("No such course.")
    view = row._asdict()
    for name, _table, _column in _LINK_TABLES:
        view[name] = sorted(int(i) for i in (view[name] or "").split(",") if i)
    return SimpleNamespace(**view)


def views_of(courses):
    """The courses with their branches, teachers and prerequisites: one UNION ALL statement for the three links
    (a course's API read is on every request path; three round trips were a sixth of its cost)."""
    ids = [course.id for course in courses]
    links = {course_id: {name: [] for name, _table, _column in _LINK_TABLES} for course_id in ids}
    if ids:
        for link, course_id, other in db.session.execute(_LINKS_OF_COURSES, {"ids": ids}):
            links[course_id][link].append(other)
    return [CourseView(c, **{name: sorted(values) for name, values in links[c.id].items()}) for c in courses]


def _existing_course_ids(course_ids):
    return set(db.session.scalars(sa.select(Course.id).where(Course.id.in_(course_ids or [-1]))))


def _replace_links(course, table, column, ids, existing_ids, field, noun):
    """Set a course's links in `table` to exactly `ids`, which `existing_ids(ids)` must all know."""
    known = existing_ids(ids)
    if missing := [i for i in ids if i not in known]:
        raise ValidationFailed(f"Unknown {noun}.", {field: [f"No {noun.rstrip('s')} {i}." for i in missing]})
    db.session.execute(sa.delete(table).where(table.c.course_id == course.id))
    if ids:
        db.session.execute(sa.insert(table), [{"course_id": course.id, column: i} for i in ids])


def _check_branch_change(course, branch_ids, scope):
    """Only org admins open a course wider: others move it between their own branches, never to everyone.

    An empty list means the whole organization, so emptying a branch course would reach past the actor's
    branches as surely as naming another branch would.
    """
    if scope.organization_wide:
        return
    before = set(branch_ids_of([course.id]).get(course.id, [])) if course.id else set()
    if before == set(branch_ids):
        return
    for branch_id in set(branch_ids) ^ before:
        scope.require(branch_id)
    if not branch_ids:
        raise PermissionDenied(
            "Only an org admin can open a course to the whole organization.",
            {"branch_ids": ["Choose at least one of your branches."]},
            code="OUT_OF_SCOPE",
        )


def _check_new_teachers(course, teacher_ids, principal, scope):
    """A course's teachers manage it: below an org admin, only the actor or people they manage join them."""
    if scope.organization_wide:
        return
    before = set(_links(course_teachers, course_teachers.c.user_id, [course.id]).get(course.id, []))
    added = set(teacher_ids) - before - {principal.id if principal.kind == "user" else None}
    if refused := sorted(unmanageable_ids(added, scope)):
        raise ValidationFailed(
            "Unknown teachers.", {"teacher_ids": [f"No teacher {i} that you manage." for i in refused]}
        )


def _check_prerequisites(course, prerequisite_ids, principal, scope):
    """A prerequisite must be a course the actor sees: learners cannot be sent to a course nobody shows them."""
    before = set(_links(course_prerequisites, course_prerequisites.c.prerequisite_id, [course.id]).get(course.id, []))
    added = set(prerequisite_ids) - before
    if not added:
        return
    visible = visible_courses(principal, scope).where(Course.id.in_(added)).with_only_columns(Course.id)
    seen = set(db.session.scalars(visible))
    if hidden := sorted(added - seen):
        raise ValidationFailed("Unknown courses.", {"prerequisite_ids": [f"No course {i}." for i in hidden]})


def _set_links(course, data, principal, scope):
    if "branch_ids" in data:
        branch_ids = sorted(set(data["branch_ids"] or []))
        _check_branch_change(course, branch_ids, scope)
        _replace_links(course, course_branches, "branch_id", branch_ids, existing_branch_ids, "branch_ids", "branches")
    if "teacher_ids" in data:
        teacher_ids = sorted(set(data["teacher_ids"] or []))
        _check_new_teachers(course, teacher_ids, principal, scope)
        _replace_links(course, course_teachers, "user_id", teacher_ids, existing_user_ids, "teacher_ids", "teachers")
    if "prerequisite_ids" in data:
        prerequisite_ids = sorted(set(data["prerequisite_ids"] or []) - {course.id})
        _check_prerequisites(course, prerequisite_ids, principal, scope)
        _replace_links(
            course,
            course_prerequisites,
            "prerequisite_id",
            prerequisite_ids,
            _existing_course_ids,
            "prerequisite_ids",
            "courses",
        )


def _apply_fields(course, data):
    for key in ("title", "summary", "status", "self_enrollment", "due_days", "estimated_minutes"):
        if key in data:
            setattr(course, key, data[key])
    if "description" in data:
        course.description_html = rich_text(data["description"], field="description")


def create_course(data, principal, scope):
    course = Course()
    course.created_by_id, course.created_by_api_key_id = actor_ids(principal)
    _apply_fields(course, {"status": CourseStatus.DRAFT, **data})
    _add_with_slug(course, data.get("slug"), data["title"])
    if principal.kind == "user" and TEACHER in principal.roles:
        data = {**data, "teacher_ids": sorted({*data.get("teacher_ids", []), principal.id})}
    if not scope.organization_wide and not data.get("branch_ids") and TEACHER not in principal.roles:
        raise ValidationFailed(
            "Choose branches.", {"branch_ids": ["A branch manager's course belongs to their branches."]}
        )
    _set_links(course, data, principal, scope)
    db.session.commit()
    return views_of([course])[0]


def update_course(course, data, principal, scope):
    """Change a course; a refused link (a branch, teacher or prerequisite) leaves nothing changed."""
    try:
        _apply_fields(course, data)
        _set_links(course, data, principal, scope)
    except DomainError:
        db.session.rollback()
        raise
    db.session.commit()
    return views_of([course])[0]


def remove_course(course):
    """Delete a course nobody took (its files and cover too); archive one with enrollments (their history
    stays). The course is locked first: an enrollment arriving meanwhile makes it an archive, not a loss."""
    if not locked(sa.select(Course).where(Course.id == course.id)):
        raise NotFound("No such course.")
    if enrollments.was_ever_taken(course.id):
        course.status = CourseStatus.ARCHIVED
        db.session.commit()
        return "archived"
    keys = file_keys(sa.select(ContentItem.id).where(ContentItem.course_id == course.id))
    keys += [course.cover_key] if course.cover_key else []
    db.session.execute(sa.delete(Course).where(Course.id == course.id))
    db.session.commit()
    discard_files(keys)
    return "deleted"


def outline(course):
    """Modules in order, each with its items in order: two queries whatever the size."""
    modules = db.session.scalars(
        sa.select(CourseModule)
        .where(CourseModule.course_id == course.id)
        .order_by(CourseModule.position, CourseModule.id)
    ).all()
    items = db.session.scalars(
        sa.select(ContentItem).where(ContentItem.course_id == course.id).order_by(ContentItem.position, ContentItem.id)
    ).all()
    by_module = {}
    for item in items:
        by_module.setdefault(item.module_id, []).append(item)
    return [{"id": m.id, "title": m.title, "position": m.position, "items": by_module.get(m.id, [])} for m in modules]


def manageable_courses(principal, scope):
    """The courses a principal may change, by `can_manage`'s rule in SQL: all (org admins), those a person
    teaches, and those all of whose branches (at least one) the principal manages."""
    stmt = sa.select(Course).order_by(Course.title, Course.id)
    if _organization_wide(principal):
        return db.session.scalars(stmt).all()
    conditions = []
    if principal.kind == "user":  # an API key's id is no teacher's
        conditions.append(
            Course.id.in_(sa.select(course_teachers.c.course_id).where(course_teachers.c.user_id == principal.id))
        )
    if scope.branch_ids:
        in_scope = sa.select(course_branches.c.course_id).where(course_branches.c.branch_id.in_(scope.branch_ids))
        outside = sa.select(course_branches.c.course_id).where(course_branches.c.branch_id.not_in(scope.branch_ids))
        conditions.append(sa.and_(Course.id.in_(in_scope), Course.id.not_in(outside)))
    if not conditions:
        return []
    return db.session.scalars(stmt.where(sa.or_(*conditions))).all()


def course_overview(principal, scope):
    """The courses page of teachers and managers: the courses they manage and, for branch managers, the
    published courses open to their branches (to enroll their people in), each with how many of the
    people they follow are enrolled and have completed it. Four queries, whatever the number of courses."""
    managed = manageable_courses(principal, scope)
    managed_ids = {course.id for course in managed}
    enrollable = []
    if scope.branch_ids:
        enrollable = db.session.scalars(
            visible_courses(principal, scope)
            .where(Course.status == CourseStatus.PUBLISHED, Course.id.not_in(managed_ids or [-1]))
            .order_by(Course.title, Course.id)
        ).all()

    tallies = {
        **enrollments.enrollment_tallies(managed_ids),
        **enrollments.enrollment_tallies([c.id for c in enrollable], people_of(scope.branch_ids)),
    }
    return [
        {"course": course, "can_edit": course.id in managed_ids, "enrolled": n, "completed": done}
        for course in [*managed, *enrollable]
        for n, done in [tallies.get(course.id, (0, 0))]
    ]


@dataclass
class SettingsChoices:
    """What the course page's settings offer: the courses that may come first and the branches the actor
    may open the course to (each list keeps the course's current links, so that saving keeps them)."""

    prerequisites: list  # (id, title)
    branches: list  # (id, name)
    prerequisite_ids: list
    branch_ids: list
    branches_editable: bool


def settings_choices(course, principal, scope):
    """Four queries, whatever the number of courses and branches."""
    view = views_of([course])[0]
    prerequisites = db.session.execute(
        sa.select(Course.id, Course.title)
        .where(
            sa.or_(Course.id.in_(visible_course_ids(principal, scope)), Course.id.in_(view.prerequisite_ids or [-1])),
            Course.id != course.id,
        )
        .order_by(Course.title, Course.id)
    ).all()
    return SettingsChoices(
        prerequisites=[tuple(row) for row in prerequisites],
        branches=[tuple(row) for row in branch_choices(scope, keeping=view.branch_ids)],
        prerequisite_ids=view.prerequisite_ids,
        branch_ids=view.branch_ids,
        branches_editable=scope.organization_wide or bool(scope.branch_ids),
    )


def user_ids_for_emails(emails):
    """The ids of the people with these addresses, and the addresses nobody has."""
    found = user_ids_by_email(emails)
    wanted = {email.strip().lower() for email in emails if email.strip()}
    return list(found.values()), sorted(wanted - set(found))
