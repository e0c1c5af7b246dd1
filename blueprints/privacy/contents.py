"""What a person's data export holds: one section per kind of record, each a query of the tenant's tables.

A data export spans every feature, so it reads tables by name from the tenant metadata rather than through
each feature's `queries.py`: that is also how `test_every_person_column_is_exported_or_excluded` proves that
every column pointing at `users.id` is covered. A new table with a person's id fails that test until it is
added to a section here or to EXCLUDED with the reason.
"""

from dataclasses import dataclass, field

import sqlalchemy as sa

from app.tenancy.base import tenant_metadata

# Columns never exported: secrets, or what would let someone act as the person.
SECRET_COLUMNS = {
    ("users", "password_hash"),
    ("sign_ins", "id"),  # the sign-in's id names the open session
}

# Columns pointing at users.id that are not exported, and why. Each is someone's work for the organization or
# a secret, not data about the person the export is for.
EXCLUDED = {
    ("api_keys", "created_by_id"): "keys made for the organization (secrets)",
    ("integrations", "owner_id"): "the organization's integrations (secrets)",
    ("announcements", "author_id"): "announcements written for the organization (the recipients' copies are theirs)",
    ("certificate_templates", "created_by_id"): "the organization's templates",
    ("courses", "created_by_id"): "courses authored for the organization",
    ("notification_defaults", "updated_by_id"): "the organization's settings",
    ("notification_templates", "updated_by_id"): "the organization's settings",
    ("password_reset_tokens", "user_id"): "secrets (digests of reset links)",
    ("refresh_tokens", "user_id"): "secrets (digests of tokens)",
    ("report_schedules", "owner_id"): "staff work: schedules of reports on other people",
    ("roster_syncs", "created_by_id"): "staff work: roster imports",
    ("signing_keys", "created_by_id"): "the organization's signing keys (secrets)",
    ("user_imports", "created_by_id"): "staff work: people imports",
    ("badges", "created_by_id"): "badges authored for the organization",
    ("badge_awards", "awarded_by_id"): "staff work: badges given to others",
    ("badge_awards", "revoked_by_id"): "staff work: badges taken back from others",
    ("certificate_archives", "requested_by_id"): "staff work: ZIPs of others' certificates",
    ("certificates", "issued_by_id"): "staff work: certificates issued to others",
    ("certificates", "revoked_by_id"): "staff work: certificates revoked from others",
    ("questions", "created_by_id"): "questions authored for the organization",
    ("question_versions", "author_id"): "questions authored for the organization",
    ("content_versions", "author_id"): "course content authored for the organization",
    ("media_files", "uploaded_by_id"): "course files uploaded for the organization",
    ("quizzes", "created_by_id"): "quizzes authored for the organization",
    ("reports", "requested_by_id"): "staff work: reports on other people",
    ("attempt_questions", "graded_by_id"): "staff work: others' answers graded",
    ("data_exports", "user_id"): "the exports themselves (this file is one)",
    ("data_exports", "requested_by_id"): "staff work: exports of others' data",
    ("person_erasures", "user_id"): "erasure records (an erased person has nothing left to export)",
    ("person_erasures", "erased_by_id"): "staff work: erasures of others",
    ("archiving_policies", "updated_by_id"): "the organization's settings",
    ("archiving_runs", "ran_by_id"): "staff work: archiving runs",
    ("archiving_runs", "reversed_by_id"): "staff work: archiving runs",
}


@dataclass(frozen=True)
class Section:
    """One file pair (`<name>.csv`, `<name>.json`) of the export."""

    name: str
    description: str
    table: str
    covers: tuple = ()  # the (table, column) pairs pointing at users.id that this section exports
    through: tuple = ()  # joins to reach the person: ((table, its column, parent table, parent column), ...)
    person_column: str = "user_id"  # the column (of the last table joined, or of `table`) holding the person
    extra: dict = field(default_factory=dict)  # computed columns: name -> function(row mapping, context)


def _verification_url(row, context):
    return context["verify_url"](row["code"])


SECTIONS = (
    Section(
        "branch_memberships",
        "Branches the person belongs to, and their role there.",
        "branch_memberships",
        covers=(("branch_memberships", "user_id"),),
    ),
    Section(
        "class_memberships",
        "Classes the person belongs to (as student or teacher).",
        "class_memberships",
        covers=(("class_memberships", "user_id"),),
    ),
    Section(
        "courses_taught", "Courses the person teaches.", "course_teachers", covers=(("course_teachers", "user_id"),)
    ),
    Section(
        "enrollments",
        "Courses the person is or was enrolled in: status, dates, time spent.",
        "enrollments",
        covers=(("enrollments", "user_id"),),
    ),
    Section(
        "progress",
        "Each course item the person completed, and when (one row per item).",
        "item_progress",
        through=(("item_progress", "enrollment_id", "enrollments", "id"),),
    ),
    Section(
        "time_per_item",
        "Time the person spent on each course item, in seconds.",
        "item_time",
        through=(("item_time", "enrollment_id", "enrollments", "id"),),
    ),
    Section(
        "time_per_day",
        "Time the person spent on each course per day, in seconds.",
        "time_by_day",
        through=(("time_by_day", "enrollment_id", "enrollments", "id"),),
    ),
    Section(
        "assessment_attempts",
        "Each attempt at a quiz: when, score, passed.",
        "quiz_attempts",
        covers=(("quiz_attempts", "user_id"),),
    ),
    Section(
        "assessment_answers",
        "The person's answer to each question of each attempt, its score and feedback.",
        "attempt_questions",
        through=(("attempt_questions", "attempt_id", "quiz_attempts", "id"),),
    ),
    Section(
        "assessment_accommodations",
        "Extra time or attempts the person was given on quizzes.",
        "quiz_accommodations",
        covers=(("quiz_accommodations", "user_id"),),
    ),
    Section(
        "certificates",
        "Certificates issued to the person, with the address that verifies each.",
        "certificates",
        covers=(("certificates", "user_id"),),
        extra={"verification_url": _verification_url},
    ),
    Section(
        "badges",
        "Badges awarded to the person, with their signed credentials.",
        "badge_awards",
        covers=(("badge_awards", "user_id"),),
    ),
    Section(
        "notifications",
        "Notifications sent to the person (in the app and by e-mail).",
        "notifications",
        covers=(("notifications", "user_id"),),
    ),
    Section(
        "notification_digests",
        "Digest e-mails sent to the person.",
        "notification_digests",
        covers=(("notification_digests", "user_id"),),
    ),
    Section(
        "notification_settings",
        "The person's notification choices.",
        "notification_settings",
        covers=(("notification_settings", "user_id"),),
    ),
    Section(
        "sign_ins",
        "The person's sign-ins: when, from which browser, when they ended.",
        "sign_ins",
        covers=(("sign_ins", "user_id"),),
    ),
)

PROFILE_COVERS = (("users", "id"),)


def table(name):
    return tenant_metadata().tables[name]


def columns_of(table_name):
    return [c for c in table(table_name).columns if (table_name, c.name) not in SECRET_COLUMNS]


def section_query(section, user_id):
    """SELECT the section's rows about the person, in a stable order."""
    main = table(section.table)
    stmt = sa.select(*columns_of(section.table))
    if not section.through:
        return stmt.where(main.c[section.person_column] == user_id).order_by(*main.primary_key.columns)
    current = main
    for _child, column, parent_name, parent_column in section.through:
        parent = table(parent_name)
        stmt = stmt.join(parent, current.c[column] == parent.c[parent_column])
        current = parent
    return stmt.where(current.c[section.person_column] == user_id).order_by(*main.primary_key.columns)


def audit_query(user_id):
    """The audit entries where the person acted or was acted on (docs/operations.md, "Audit entries")."""
    entries = table("audit_events")
    return (
        sa.select(*entries.columns)
        .where(
            sa.or_(
                sa.and_(entries.c.actor_kind == "user", entries.c.actor_id == user_id),
                entries.c.subject_user_id == user_id,
                sa.and_(entries.c.target_type == "user", entries.c.target_id == str(user_id)),
            )
        )
        .order_by(entries.c.id)
    )


def exported_columns():
    """Every (table, column) pointing at users.id that some section exports (through joins included)."""
    covered = set(PROFILE_COVERS)
    for section in SECTIONS:
        covered.update(section.covers)
    return covered


def person_columns():
    """Every (table, column) of the tenant schema with a foreign key to users.id."""
    return {
        (t.name, c.name)
        for t in tenant_metadata().tables.values()
        for c in t.columns
        for fk in c.foreign_keys
        if fk.column.table.name == "users" and fk.column.name == "id"
    }
