"""What the analytics filter form offers a person: only the branches, classes and courses they reach (a branch
manager their branches and their classes, a teacher the classes they teach and their branches, an org admin
all): the same reach `filters.filters_from` checks, so a choice never answers "no such branch"."""

from app.api.listing import parse_list_query
from app.extensions import db
from blueprints.branches.queries import branch_choices
from blueprints.classes import services as classes
from blueprints.classes.queries import branches_of_classes
from blueprints.courses.services import visible_courses

MOST = 500  # choices per list: past that, a list box is no way to choose


def filter_choices(actor):
    """{"branches", "classes", "courses"}: (id, name) pairs by name."""
    scope = actor.scope
    courses = visible_courses(actor.principal, scope).order_by("title").limit(MOST)
    class_page = classes.list_classes(parse_list_query({"per_page": "100", "sort": "name"}, classes.CLASS_LIST), scope)
    return {
        "branches": [(row.id, row.name) for row in branch_choices(scope, branches_of_classes(scope.taught_class_ids))],
        "classes": [(row.id, row.name) for row in class_page.items],
        "courses": [(course.id, course.title) for course in db.session.scalars(courses)],
    }
