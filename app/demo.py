"""The demo organization that `make run` seeds, with one login per role."""

from pathlib import Path

from flask import current_app
from werkzeug.datastructures import FileStorage

from app.errors import NotFound
from app.security.operators import create_operator, find_operator
from app.tenancy import provisioning
from app.tenancy.context import tenant_context

DEMO_SLUG = "demo"
DEMO_PEOPLE = [
    ("admin@demo.example", "org_admin", "Ada", "Admin"),
    ("manager@demo.example", "branch_manager", "Mona", "Manager"),
    ("teacher@demo.example", "teacher", "Tom", "Teacher"),
    ("student@demo.example", "student", "Sam", "Student"),
    ("student2@demo.example", "student", "Sasha", "Learner"),
]


def seed_demo(password):
    """Idempotent: creates what is missing, keeps what exists. Yields lines to print."""
    from blueprints.users.services import create_user, find_user_by_email

    operator_email = current_app.config["OPERATOR_EMAIL"]
    if find_operator(operator_email) is None:
        create_operator(operator_email, password, "Platform Operator")
        yield f"created operator {operator_email}"
    try:
        tenant = provisioning.get_tenant_by_slug(DEMO_SLUG)
    except NotFound:
        admin_email, _role, first, last = DEMO_PEOPLE[0]
        tenant = provisioning.provision_tenant(
            DEMO_SLUG, "Demo Academy", admin_email, password, f"{first} {last}"
        ).tenant
        yield f"created organization {DEMO_SLUG}"
    with tenant_context(tenant.ref()):
        for email, role, first, last in DEMO_PEOPLE:
            if find_user_by_email(email) is None:
                create_user(email, role, first, last, password)
                yield f"created {role} {email}"
        yield from _seed_school()
        yield from _seed_course()


DEMO_BRANCHES = [("north", "North Campus"), ("south", "South Campus")]
DEMO_CLASSES = [("north", "Algebra 1"), ("north", "Physics"), ("south", "Biology")]
DEMO_MEMBERSHIPS = [  # e-mail, branch, branch role, classes
    ("manager@demo.example", "north", "branch_manager", []),
    ("teacher@demo.example", "north", "teacher", ["Algebra 1", "Physics"]),
    ("student@demo.example", "north", "student", ["Algebra 1", "Physics"]),
    ("student2@demo.example", "south", "student", ["Biology"]),
]


def _seed_school():
    """Branches, classes and memberships, so that scoping and imports have something to show."""
    import sqlalchemy as sa

    from app.extensions import db
    from blueprints.branches.models import Branch, BranchMembership
    from blueprints.classes.models import ClassMembership, SchoolClass
    from blueprints.users.services import find_user_by_email

    branches = {b.code: b for b in db.session.scalars(sa.select(Branch))}
    for code, name in DEMO_BRANCHES:
        if code not in branches:
            branches[code] = Branch(code=code, name=name, settings={})
            db.session.add(branches[code])
            yield f"created branch {name}"
    db.session.flush()
    classes = {(c.branch_id, c.name): c for c in db.session.scalars(sa.select(SchoolClass))}
    for code, name in DEMO_CLASSES:
        key = (branches[code].id, name)
        if key not in classes:
            classes[key] = SchoolClass(branch_id=branches[code].id, name=name)
            db.session.add(classes[key])
            yield f"created class {name}"
    db.session.flush()
    for email, code, role, class_names in DEMO_MEMBERSHIPS:
        user, branch = find_user_by_email(email), branches[code]
        if (
            db.session.scalar(
                sa.select(BranchMembership.id).where(
                    BranchMembership.user_id == user.id, BranchMembership.branch_id == branch.id
                )
            )
            is None
        ):
            db.session.add(BranchMembership(user_id=user.id, branch_id=branch.id, role=role))
        for class_name in class_names:
            school_class = classes[(branch.id, class_name)]
            if (
                db.session.scalar(
                    sa.select(ClassMembership.id).where(
                        ClassMembership.user_id == user.id, ClassMembership.class_id == school_class.id
                    )
                )
                is None
            ):
                db.session.add(
                    ClassMembership(
                        user_id=user.id, class_id=school_class.id, role="teacher" if role == "teacher" else "student"
                    )
                )
    db.session.commit()


DEMO_LESSONS = [
    (
        "text",
        "Welcome",
        "<p>Welcome to Demo Academy. This short course shows how lessons, progress and resuming work.</p>",
    ),
    (
        "text",
        "Finding your way",
        "<p>Your courses are under <strong>My learning</strong>; the catalogue lists the rest.</p>",
    ),
    ("video", "A short video", ""),  # the file below; watching 90 % of it completes the lesson
    ("text", "Finishing", "<p>Mark this lesson complete to finish the course.</p>"),
]
DEMO_VIDEO = Path(__file__).parent / "assets" / "demo-lesson.webm"


def _seed_course():
    """A published course taught by the demo teacher, with the Algebra 1 class enrolled."""
    import sqlalchemy as sa

    from app.extensions import db
    from blueprints.classes.models import SchoolClass
    from blueprints.courses.content import add_item, new_version
    from blueprints.courses.covers import set_cover
    from blueprints.courses.learning import enroll_class
    from blueprints.courses.media import upload
    from blueprints.courses.models import Course, CourseStatus, course_teachers
    from blueprints.users.services import find_user_by_email, principal_for_user

    if db.session.scalar(sa.select(Course.id).where(Course.slug == "getting-started")):
        return
    teacher = find_user_by_email("teacher@demo.example")
    acting = principal_for_user(teacher.id)
    course = Course(
        title="Getting started",
        slug="getting-started",
        summary="A tour of Tessera in four short lessons.",
        status=CourseStatus.PUBLISHED,
        created_by_id=teacher.id,
        estimated_minutes=10,
        due_days=14,
    )
    db.session.add(course)
    db.session.flush()
    db.session.execute(sa.insert(course_teachers).values(course_id=course.id, user_id=teacher.id))
    db.session.commit()
    module_id = None
    items = {}
    for kind, title, body in DEMO_LESSONS:
        where = {"module_id": module_id} if module_id else {"module_title": "Start here"}
        item = items[title] = add_item(course, {"kind": kind, "title": title, "body": body, **where}, acting)
        module_id = item.module_id
        if kind == "video":
            with DEMO_VIDEO.open("rb") as stream:
                upload(item, FileStorage(stream, filename=DEMO_VIDEO.name), acting)
    # A revision the teacher has not published yet: the course page marks it "draft", the item page compares it.
    new_version(
        items["Finding your way"],
        "<p>Your courses are under <strong>My learning</strong>, due soonest first; the <em>catalogue</em> "
        "lists the courses you may join yourself.</p>",
        "Clearer wording",
        acting,
        publish=False,
    )
    set_cover(course, _demo_cover())
    algebra = db.session.scalar(sa.select(SchoolClass.id).where(SchoolClass.name == "Algebra 1"))
    enroll_class(course, algebra)
    yield "created course Getting started"


def _demo_cover():
    """A calm two-colour gradient, drawn here rather than shipped as a binary."""
    import io

    from PIL import Image

    ramp = Image.linear_gradient("L").rotate(90).resize((1600, 900))
    picture = Image.composite(Image.new("RGB", ramp.size, "#1d4ed8"), Image.new("RGB", ramp.size, "#0f766e"), ramp)
    out = io.BytesIO()
    picture.save(out, "PNG")
    out.seek(0)
    return out
