"""Every audit action, with what it means: the page's filter and the API's `filter[action]` offer these.

`record()` refuses an action not listed here (tests fail loudly, like the event catalog). Part audit records the
first block across the features; parts data and privacy record theirs.
"""

ACTIONS = {
    # identity
    "auth.signed_in": "Signed in",
    "auth.sign_in_failed": "Sign-in refused (wrong password, unknown or inactive account, locked out)",
    "auth.signed_out": "Signed out",
    "auth.refresh_refused": "Token refresh refused (unknown, revoked, expired or reused refresh token)",
    "auth.password_changed": "Changed a password (own, or reset by link)",
    # people, roles and memberships
    "user.created": "Added a person",
    "user.updated": "Changed a person's profile",
    "user.roles_changed": "Changed a person's roles",
    "user.deactivated": "Deactivated a person",
    "user.reactivated": "Reactivated a person",
    "branch.managers_changed": "Changed a branch's managers",
    "class.members_changed": "Added or removed class members or teachers",
    "import.finished": "Imported people from a file",
    "roster.synced": "Synced people and classes from a roster (OneRoster)",
    # organization
    "organization.settings_changed": "Changed the organization's settings",
    "organization.branding_changed": "Changed the organization's branding",
    "api_key.created": "Created an API key",
    "api_key.revoked": "Revoked an API key",
    "integration.changed": "Created, changed, paused or deleted an integration or webhook subscription",
    "integration.secret_rotated": "Rotated an integration's secret",
    # records leaving the system
    "report.downloaded": "Downloaded a report",
    "audit.exported": "Exported the audit trail",
    "certificate.revoked": "Revoked a certificate",
    # part privacy
    "person.exported": "Exported everything about a person",
    "person.erased": "Erased (pseudonymised) a person",
    "archiving.policy_changed": "Changed the archiving policy",
    "archiving.applied": "Archived courses or deactivated people by policy",
    "archiving.reversed": "Restored what the policy archived",
}
