"""The one way pages and the API load a course, an item or a file for the acting person.

What the actor needs decides the rule (`need`):
- "see": the course is visible to them (the catalogue, a course's page, its outline, its cover);
- "lessons": read its lessons and files: its managers, and learners enrolled in it who have completed its
  prerequisites (403 `PREREQUISITES_NOT_MET` before that), as in the player;
- "manage": change it: its teachers, the managers of all its branches, org admins (403 `NOT_COURSE_MANAGER`
  for someone who sees it but may not change it).
Whatever the need, what the actor cannot see is a 404: nobody learns that a course of another branch exists.
`actor` is the request's (`current_actor`) unless a caller acts for someone else.
"""

from app.errors import NotFound
from app.security.actor import current_actor
from blueprints.courses import services
from blueprints.courses.content import get_item
from blueprints.courses.media import get_media
from blueprints.learning import queries as enrollments

NEEDS = ("see", "lessons", "manage")


def course_for(course_id, need="see", actor=current_actor):
    """A course the actor sees, checked for `need`."""
    course = services.get_course(course_id, actor.principal, actor.scope)
    require(course, need, actor)
    return course


def course_view_for(course_id, actor=current_actor):
    """A course the actor sees, with its links (`services.CourseView`), in one statement: the API's course read."""
    return services.get_course_view(course_id, actor.principal, actor.scope)


def require(course, need, actor=current_actor):
    """Check a course the actor sees for `need` (raises PermissionDenied or NotFound)."""
    if need == "see":
        return
    if need == "manage":
        services.require_manager(course, actor.principal, actor.scope)
    elif need == "lessons":
        _require_reader(course, actor)
    else:
        raise ValueError(f"Unknown need {need!r}; one of {NEEDS}.")


def _require_reader(course, actor):
    if services.can_manage(course, actor.principal, actor.scope):
        return
    if actor.kind != "user":  # an API key takes no course: its id is no learner's
        raise NotFound("No such item.")
    if not enrollments.is_enrolled(course.id, actor.id):
        raise NotFound("You are not enrolled in this course.")
    enrollments.refuse_unmet_prerequisites(course.id, actor.id)


def item_for(item_id, need="see", actor=current_actor):
    """A content item, by what its course lets the actor do."""
    item = get_item(item_id)
    course_for(item.course_id, need, actor)
    return item


def course_item_for(course_id, item_id, need="see", actor=current_actor):
    """A course and one of its items (a page's URL names both): the course is checked first, and an item of
    another course is not found here."""
    course = course_for(course_id, need, actor)
    item = get_item(item_id)
    if item.course_id != course.id:
        raise NotFound("No such content.")
    return course, item


def media_for(media_id, need="lessons", actor=current_actor):
    """A file of an item, by what the item's course lets the actor do; a file the actor may not read is not
    found, whoever sees its course."""
    file = get_media(media_id)
    try:
        item_for(file.item_id, need, actor)
    except NotFound:
        raise NotFound("No such file.") from None
    return file


def roster_for(course_id, actor=current_actor):
    """A visible course and whose enrollments the actor handles in it: None for everyone's (its managers),
    or the actor's branches (a branch manager in a published course open to them); 403 for anyone else."""
    return services.course_roster(course_id, actor.principal, actor.scope)
