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
        "platform_audit.read",
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
        "analytics.read",
        "reports.manage",
        "notifications.receive",
        "notifications.announce",
        "notifications.manage",
        "integrations.manage",
        "privacy.manage",  # a person's data export, erasure, archiving by policy (blueprints/privacy)
        "audit.read",
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
        "analytics.read",
        "reports.manage",
        "notifications.receive",
        "notifications.announce",
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
        "analytics.read",
        "reports.manage",
        "notifications.receive",
        "notifications.announce",
    },
    STUDENT: {"self.read", "organizations.read", "courses.read", "courses.learn", "notifications.receive"},
}

# Roles whose permissions reach the whole organization; every other role is narrowed to branches.
ORGANIZATION_WIDE_ROLES = {ORG_ADMIN}


# What only a person can do: an API key acting with a role never gets these.
PERSONAL_PERMISSIONS = frozenset({"courses.learn", "notifications.receive"})


def permissions_of(roles, kind="user"):
    granted = set()
    for role in roles:
        granted |= ROLE_PERMISSIONS.get(role, set())
    if kind == "api_key":
        granted -= PERSONAL_PERMISSIONS
    return granted


# What a person is told when they lack a permission: who may do it, in their words, computed from the table
# above so that it stays true when roles change. The permission's name stays in the error's details
# (`{"permission": [...]}`) for integrators.
PERMISSION_ACTIONS = {
    "self.read": "see their own account",
    "organizations.read": "see this organization",
    "organizations.update": "rename an organization",
    "organizations.manage": "create, suspend or archive organizations",
    "outbox.read": "see the outbox",
    "platform_audit.read": "read the platform's audit trail",
    "settings.manage": "change the organization's settings",
    "users.read": "see the people list",
    "users.manage": "add or change people",
    "api_keys.manage": "manage API keys",
    "branches.read": "see the branches",
    "branches.manage": "create or change branches",
    "classes.read": "see the classes",
    "classes.manage": "create or change classes",
    "imports.manage": "import people",
    "courses.read": "see courses",
    "courses.manage": "manage courses",
    "courses.learn": "take courses",
    "analytics.read": "see analytics",
    "reports.manage": "make and schedule reports",
    "notifications.receive": "receive notifications",
    "notifications.announce": "send announcements",
    "notifications.manage": "set the organization's notification defaults and templates",
    "integrations.manage": "manage the organization's integrations (webhooks, roster syncs)",
    "privacy.manage": "export or erase a person's data and set the archiving policy",
    "audit.read": "read the audit trail",
}
ROLE_NAMES = {
    PLATFORM_OPERATOR: "platform operators",
    ORG_ADMIN: "org admins",
    BRANCH_MANAGER: "branch managers",
    TEACHER: "teachers",
    STUDENT: "students",
}


def _who_may(permission):
    roles = [role for role in ROLE_NAMES if permission in ROLE_PERMISSIONS[role]]
    if set(TENANT_ROLES) <= set(roles):
        return "signed-in people" if PLATFORM_OPERATOR in roles else "members of the organization"
    names = [ROLE_NAMES[role] for role in roles]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def denial_message(permission):
    """The sentence shown when `permission` is missing: "Only platform operators can see the outbox."."""
    action = PERMISSION_ACTIONS.get(permission)
    if action is None or not any(permission in granted for granted in ROLE_PERMISSIONS.values()):
        return "You are not allowed to do this."
    keys = " (an API key cannot)" if permission in PERSONAL_PERMISSIONS else ""
    return f"Only {_who_may(permission)} can {action}{keys}."
