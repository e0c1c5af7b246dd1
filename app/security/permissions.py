"""Roles and the permissions they grant.

Every API route declares the permission it needs with `@requires(...)` or says `@public`; a test
walks the URL map to keep it so.
"""

PLATFORM_OPERATOR = "platform_operator"
ORG_ADMIN = "org_admin"
BRANCH_MANAGER = "branch_manager"
TEACHER = "teacher"
STUDENT = "student"
TENANT_ROLES = (ORG_ADMIN, BRANCH_MANAGER, TEACHER, STUDENT)

ROLE_PERMISSIONS = {
    PLATFORM_OPERATOR: {
        "self.read",
        "organizations.read",
        "organizations.update",
        "organizations.manage",
        "outbox.read",
    },
    ORG_ADMIN: {
        "self.read",
        "organizations.read",
        "organizations.update",
        "settings.manage",
        "users.read",
        "users.manage",
        "api_keys.manage",
        "branches.read",
        "branches.manage",
        "classes.read",
        "classes.manage",
        "imports.manage",
        "courses.read",
        "courses.manage",
        "courses.learn",
    },
    # Branch managers act inside their own branches only: the services narrow every query to them.
    BRANCH_MANAGER: {
        "self.read",
        "organizations.read",
        "users.read",
        "users.manage",
        "branches.read",
        "classes.read",
        "classes.manage",
        "imports.manage",
        "courses.read",
        "courses.manage",
        "courses.learn",
    },
    # Teachers manage the courses they teach; the services check which.
    TEACHER: {
        "self.read",
        "organizations.read",
        "branches.read",
        "classes.read",
        "courses.read",
        "courses.manage",
        "courses.learn",
    },
    STUDENT: {"self.read", "organizations.read", "courses.read", "courses.learn"},
}

# Roles whose permissions reach the whole organization; every other role is narrowed to branches.
ORGANIZATION_WIDE_ROLES = {ORG_ADMIN}


# What only a person can do: an API key acting with a role never gets these.
PERSONAL_PERMISSIONS = frozenset({"courses.learn"})


def permissions_of(roles, kind="user"):
    granted = set()
    for role in roles:
        granted |= ROLE_PERMISSIONS.get(role, set())
    if kind == "api_key":
        granted -= PERSONAL_PERMISSIONS
    return granted
