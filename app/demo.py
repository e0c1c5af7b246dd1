"""The demo organization that `make run` seeds, with one login per role."""

from flask import current_app

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
