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


# What a person is told when they lack a permission: who may do it, in their words. The permission's name
# stays in the error's details (`{"permission": [...]}`) for integrators.
PERMISSION_DENIALS = {
    "self.read": "Only signed-in people can see their own account.",
    "organizations.read": "Only members of an organization and platform operators can see it.",
    "organizations.update": "Only org admins and platform operators can rename an organization.",
    "organizations.manage": "Only platform operators can create, suspend or archive organizations.",
    "outbox.read": "Only platform operators can see the outbox.",
    "settings.manage": "Only org admins can change the organization's settings.",
    "users.read": "Only org admins and branch managers can see the people list.",
    "users.manage": "Only org admins and branch managers can add or change people.",
    "api_keys.manage": "Only org admins can manage API keys.",
    "branches.read": "Only staff of the organization can see its branches.",
    "branches.manage": "Only org admins can create or change branches.",
    "classes.read": "Only staff of the organization can see its classes.",
    "classes.manage": "Only org admins and branch managers can create or change classes.",
    "imports.manage": "Only org admins and branch managers can import people.",
    "courses.read": "Only members of the organization can see its courses.",
    "courses.manage": "Only teachers, branch managers and org admins can manage courses.",
    "courses.learn": "Only people can take courses; an API key cannot learn.",
}


def denial_message(permission):
    """The sentence shown when `permission` is missing (every permission a role grants has one)."""
    return PERMISSION_DENIALS.get(permission, "You are not allowed to do this.")
