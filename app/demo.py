"""The demo organization that `make run` seeds, with one login per role.

This module makes the operator and the organization; each feature adds its part (its `demo.py`, registered
by its `feature.py` through `register_demo_part`), and the parts run here in order inside the demo tenant.
"""

from flask import current_app

from app.errors import NotFound
from app.features import demo_parts
from app.security.operators import create_operator, find_operator
from app.tenancy import provisioning
from app.tenancy.context import tenant_context

DEMO_SLUG = "demo"
DEMO_ADMIN = ("admin@demo.example", "Ada Admin")  # the users part makes the other logins


def seed_demo(password):
    """Idempotent: creates what is missing, keeps what exists. Yields lines to print."""
    operator_email = current_app.config["OPERATOR_EMAIL"]
    if find_operator(operator_email) is None:
        create_operator(operator_email, password, "Platform Operator")
        yield f"created operator {operator_email}"
    try:
        tenant = provisioning.get_tenant_by_slug(DEMO_SLUG)
    except NotFound:
        admin_email, admin_name = DEMO_ADMIN
        tenant = provisioning.provision_tenant(DEMO_SLUG, "Demo Academy", admin_email, password, admin_name).tenant
        provisioning.update_tenant(tenant, settings={"self_registration": True})  # the sign-up page shows
        yield f"created organization {DEMO_SLUG}"
    with tenant_context(tenant.ref()):
        for part in demo_parts(current_app):
            yield from part(password)
