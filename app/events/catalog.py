"""The event catalog: every domain event's name, typed payload and emitters, in one place.

An event is a frozen dataclass. Every event carries `event_id`, `tenant` (the slug of the organization it
is about), `occurred_at` and `actor` (who acted: a user id, an API key id or a platform operator id, or
nobody for the system); its own fields are the ids involved. Emitters name the event and give its own
fields; `build` fills in the rest and refuses an unknown name or a payload of the wrong shape, so a typo
fails the emitter's test instead of silently reaching no subscriber.

`scope`: "tenant" events are written to the organization's own outbox, in the transaction of the change;
"platform" events (an organization created or archived) to the control plane's outbox, because their
change is a registry row there and an archived organization's database may be gone.
"""

import types
import typing
import uuid
from dataclasses import MISSING, asdict, dataclass, fields
from datetime import UTC, datetime
from functools import cache
from typing import ClassVar

from app.security.actor_ids import actor_ids


class UnknownEvent(LookupError):
    """No event of this name is in the catalog."""


class InvalidPayload(TypeError):
    """The fields given do not match the event's payload."""


@dataclass(frozen=True)
class Actor:
    """Who acted, as `app.security.actor_ids` tells people and API keys apart; all None: the system."""

    user_id: int | None = None
    api_key_id: int | None = None
    operator_id: int | None = None

    @classmethod
    def of(cls, principal):
        if principal is not None and principal.kind == "operator":
            return cls(operator_id=principal.id)
        user_id, api_key_id = actor_ids(principal)
        return cls(user_id=user_id, api_key_id=api_key_id)


@dataclass(frozen=True, kw_only=True)
class Event:
    name: ClassVar[str]
    scope: ClassVar[str] = "tenant"
    emitted_by: ClassVar[tuple[str, ...]] = ()

    event_id: str
    tenant: str
    occurred_at: datetime
    actor: Actor

    def __getitem__(self, key):
        """Mapping-style reading (`event["user_id"]`; `event["event"]` is the name), as subscribers used to."""
        if key == "event":
            return self.name
        if key not in {f.name for f in fields(self)}:
            raise KeyError(key)
        return getattr(self, key)

    def to_json(self):
        data = asdict(self)
        data["occurred_at"] = self.occurred_at.isoformat()
        return data


BASE_FIELDS = frozenset(f.name for f in fields(Event))
CATALOG: dict[str, type[Event]] = {}


def define(cls):
    """Add an event type to the catalog (a class decorator)."""
    if cls.name in CATALOG and CATALOG[cls.name] is not cls:
        raise ValueError(f"Event {cls.name!r} is defined twice.")
    cls = dataclass(frozen=True, kw_only=True)(cls)
    CATALOG[cls.name] = cls
    return cls


def forget(name):
    """Remove an event type (tests that define their own)."""
    CATALOG.pop(name, None)


def event_type(name):
    try:
        return CATALOG[name]
    except KeyError:
        raise UnknownEvent(f"No event {name!r} in the catalog (app/events/catalog.py).") from None


@cache
def own_fields(cls):
    """The event's own fields (the ids involved): name -> type."""
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in fields(cls) if f.name not in BASE_FIELDS}


@cache
def _required(cls):
    return {f.name for f in fields(cls) if f.default is MISSING and f.default_factory is MISSING} - BASE_FIELDS


def _matches(value, expected):
    origin = typing.get_origin(expected)
    if origin in (typing.Union, types.UnionType):
        return any(_matches(value, option) for option in typing.get_args(expected))
    if expected is type(None):
        return value is None
    if origin is list:
        (item,) = typing.get_args(expected)
        return isinstance(value, list) and all(_matches(v, item) for v in value)
    if expected is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if expected is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, expected)


def _type_name(expected):
    origin = typing.get_origin(expected)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(option) for option in typing.get_args(expected))
    if expected is type(None):
        return "None"
    if origin is None:
        return expected.__name__
    return str(expected).replace("typing.", "")


def build(name, *, tenant, actor=None, event_id=None, occurred_at=None, **payload):
    """The event `name` with these fields, checked against the catalog (raises UnknownEvent, InvalidPayload)."""
    cls = event_type(name)
    expected = own_fields(cls)
    if unknown := sorted(set(payload) - set(expected)):
        raise InvalidPayload(f"{name}: no field(s) {', '.join(unknown)}; it has {', '.join(expected) or 'none'}.")
    if missing := sorted(_required(cls) - set(payload)):
        raise InvalidPayload(f"{name}: missing field(s) {', '.join(missing)}.")
    for field_name, value in payload.items():
        if not _matches(value, expected[field_name]):
            raise InvalidPayload(f"{name}.{field_name}: {value!r} is not {_type_name(expected[field_name])}.")
    if not isinstance(tenant, str) or not tenant:
        raise InvalidPayload(f"{name}: every event names its organization (tenant slug).")
    return cls(
        event_id=event_id or str(uuid.uuid4()),
        tenant=tenant,
        occurred_at=occurred_at or datetime.now(UTC).replace(tzinfo=None),
        actor=actor or Actor(),
        **payload,
    )


def load(name, data):
    """An event back from its JSON form (an outbox row)."""
    data = dict(data)
    return build(
        name,
        tenant=data.pop("tenant"),
        actor=Actor(**data.pop("actor")),
        event_id=data.pop("event_id"),
        occurred_at=datetime.fromisoformat(data.pop("occurred_at")),
        **data,
    )


def catalog_rows(subscribers_of):
    """(name, scope, own fields, emitters, subscribers) of every event; `subscribers_of(name)` -> keys."""
    rows = []
    for name, cls in sorted(CATALOG.items()):
        payload = ", ".join(f"{field}: {_type_name(kind)}" for field, kind in own_fields(cls).items())
        rows.append((name, cls.scope, payload, ", ".join(cls.emitted_by), ", ".join(sorted(subscribers_of(name)))))
    return rows


def catalog_markdown(subscribers_of):
    lines = ["| Event | Outbox | Payload (besides event_id, tenant, occurred_at, actor) | Emitted by | Subscribers |"]
    lines.append("|---|---|---|---|---|")
    for row in catalog_rows(subscribers_of):
        lines.append(
            "| " + " | ".join(f"`{cell}`" if cell and i == 0 else (cell or "—") for i, cell in enumerate(row)) + " |"
        )
    return "\n".join(lines)


# --- the events ----------------------------------------------------------------------------------------


@define
class TenantCreated(Event):
    """An organization was provisioned: its database is migrated, its first admin seeded, it is active."""

    name = "tenant.created"
    scope = "platform"
    emitted_by = ("app.tenancy.provisioning.provision_tenant",)
    tenant_id: int
    slug: str


@define
class TenantArchived(Event):
    """An organization was archived (backed up); `purged`: its database was dropped too."""

    name = "tenant.archived"
    scope = "platform"
    emitted_by = ("app.tenancy.provisioning.archive_tenant",)
    tenant_id: int
    slug: str
    purged: bool


@define
class UserRegistered(Event):
    """Someone created their own student account (self-registration)."""

    name = "user.registered"
    emitted_by = ("blueprints.auth.services.register", "blueprints.auth.services.confirm_registration")
    user_id: int


@define
class RefreshTokenReused(Event):
    """A refresh token came back after it was rotated: the whole sign-in was revoked."""

    name = "auth.refresh_token_reused"
    emitted_by = ("blueprints.auth.services.refresh",)
    user_id: int


@define
class ClassMembersAdded(Event):
    """People became members of a class (one event per class and role, with every new member's id)."""

    name = "class.members_added"
    emitted_by = ("blueprints.classes.services.add_members", "blueprints.imports.engine.apply_batch")
    class_id: int
    user_ids: list[int]
    role: str


@define
class MembershipsChanged(Event):
    """People's branch or class memberships changed: they joined or left a branch or a class, their role in one
    changed, or the branch, class or account went. One event per writer's transaction, naming everyone
    concerned; it says who, not what: a subscriber re-reads those people's memberships."""

    name = "memberships.changed"
    emitted_by = (
        "blueprints.classes.services.add_members",
        "blueprints.classes.services.remove_member",
        "blueprints.branches.services.add_branch_member",
        "blueprints.users.management.add_person",
        "blueprints.users.management.edit_person",
        "blueprints.imports.engine.apply_batch",
        "blueprints.integrations.roster_sync.run_sync",
        "blueprints.classes.demo.seed_school",
        "blueprints.analytics.demo.seed_history",
    )
    user_ids: list[int]


@define
class EnrollmentCreated(Event):
    """A person was enrolled in a course (for the first time)."""

    name = "enrollment.created"
    emitted_by = ("blueprints.learning.services.enroll_users",)
    course_id: int
    user_id: int


@define
class EnrollmentEnded(Event):
    """A person's enrollment ended: staff unenrolled them or they left a course they had joined (history kept)."""

    name = "enrollment.ended"
    emitted_by = ("blueprints.learning.services.unenroll", "blueprints.learning.services.leave")
    course_id: int
    user_id: int


@define
class EnrollmentResumed(Event):
    """An ended enrollment is active again (enrolled once more): its progress history counts again."""

    name = "enrollment.resumed"
    emitted_by = ("blueprints.learning.services.enroll_users",)
    course_id: int
    user_id: int


@define
class TimeReported(Event):
    """The player credited time a learner spent on an item (at most every 30 s while the page is in use)."""

    name = "learning.time_reported"
    emitted_by = ("blueprints.learning.services.record_time",)
    course_id: int
    user_id: int
    item_id: int
    seconds: int


@define
class SignedIn(Event):
    """A person signed in (a browser session or an API login); `kind` is "page" or "api"."""

    name = "auth.signed_in"
    emitted_by = ("blueprints.auth.services.open_sign_in",)
    user_id: int
    kind: str


@define
class ContentCompleted(Event):
    """A learner completed an item of a course (once per item)."""

    name = "content.completed"
    emitted_by = ("blueprints.learning.services.complete_item",)
    course_id: int
    user_id: int
    item_id: int


@define
class CourseCompleted(Event):
    """A learner completed the last item of a course."""

    name = "course.completed"
    emitted_by = ("blueprints.learning.services.complete_item",)
    course_id: int
    user_id: int


@define
class CourseItemsChanged(Event):
    """A course gained or lost content items: what counts for its learners' progress changed (the items' count is
    every item of the course, published or not, so a new version or a move within the course is no change)."""

    name = "course.items_changed"
    emitted_by = (
        "blueprints.courses.content.add_item",
        "blueprints.courses.content.delete_item",
        "blueprints.courses.content.delete_module",
    )
    course_id: int


@define
class AssessmentSubmitted(Event):
    """A learner's quiz attempt was submitted (by them, or by the deadline job with what was saved)."""

    name = "assessment.submitted"
    emitted_by = ("blueprints.assessments.attempts",)
    quiz_id: int
    attempt_id: int
    course_id: int
    user_id: int
    auto_submitted: bool = False


@define
class AssessmentGraded(Event):
    """An attempt has its final score: on submit when a machine can grade all of it, or when a person has
    graded its last essay, or when a regrade changed it."""

    name = "assessment.graded"
    emitted_by = ("blueprints.assessments.attempts",)
    quiz_id: int
    attempt_id: int
    course_id: int
    user_id: int
    score: float
    max_score: float
    percent: float
    passed: bool


@define
class AssessmentTimingChanged(Event):
    """What the deadlines of a quiz's open attempts are made of changed: its time limit or closing time (for
    everyone: `user_id` None) or a learner's extra minutes (`user_id`). Their deadlines are worked out again."""

    name = "assessment.timing_changed"
    emitted_by = ("blueprints.assessments.quizzes",)
    quiz_id: int
    course_id: int
    user_id: int | None = None


@define
class AssessmentPassed(Event):
    """A learner passed a quiz (once per learner and quiz, on the first passing grade). `item_id`: the
    course item the quiz is linked to, if any (passing it completes that item)."""

    name = "assessment.passed"
    emitted_by = ("blueprints.assessments.attempts",)
    item_id: int | None
    user_id: int
    score: float | None = None
    quiz_id: int | None = None
    attempt_id: int | None = None
    course_id: int | None = None
    percent: float | None = None


@define
class CertificateRevoked(Event):
    """A course's manager or an org admin revoked a certificate (with a reason): it verifies as revoked."""

    name = "certificate.revoked"
    emitted_by = ("blueprints.certificates.lifecycle.revoke",)
    certificate_id: int
    course_id: int
    user_id: int


@define
class BadgeAwarded(Event):
    """A learner was given a badge (its criteria met, or by hand): its signed credential is on the award."""

    name = "badge.awarded"
    emitted_by = ("blueprints.badges.awards.award",)
    badge_id: int
    award_id: int
    user_id: int


@define
class BadgeRevoked(Event):
    """A badge award was revoked (with a reason): its assertion answers revoked from now on."""

    name = "badge.revoked"
    emitted_by = ("blueprints.badges.awards.revoke",)
    badge_id: int
    award_id: int
    user_id: int


@define
class CertificateIssued(Event):
    """A certificate was issued to a learner for a course (on completion, or by hand); its PDF follows."""

    name = "certificate.issued"
    emitted_by = ("blueprints.certificates.issuance.issue_certificate",)
    certificate_id: int
    course_id: int
    user_id: int


@define
class ReportReady(Event):
    """A report's file is made and stored (asked for by a person, an API key or a schedule); it expires later."""

    name = "report.ready"
    emitted_by = ("blueprints.reports.generation.generate_report",)
    report_id: int
    kind: str
    requested_by_id: int | None
    schedule_id: int | None


@define
class PasswordChanged(Event):
    """A person's password was set anew: by themselves (knowing the old one) or through a reset or invitation
    link. The person is told whatever their settings (it may warn them of someone else)."""

    name = "auth.password_changed"
    emitted_by = ("blueprints.auth.services.change_password", "blueprints.auth.services.reset_password")
    user_id: int


@define
class RosterSyncFinished(Event):
    """A OneRoster sync ended (docs/integrations.md): `status` "done" (every row handled; a dry run only checked
    them) or "failed" (stopped with an error after its last retry; committed batches stay). `created`,
    `updated`: branches, classes and people; `failed`: rows refused, of every file."""

    name = "roster.sync_finished"
    emitted_by = ("blueprints.integrations.roster_sync.run_sync",)
    sync_id: int
    integration_id: int | None
    mode: str
    created: int
    updated: int
    failed: int
    status: str


@define
class ImportFinished(Event):
    """An import job ended: `status` "done" (every row handled; a dry run only checked them) or "failed" (it
    stopped with an error after its last retry; committed batches stay). `failed`: rows refused."""

    name = "import.finished"
    emitted_by = ("blueprints.imports.services.run_import",)
    import_id: int
    created: int
    updated: int
    failed: int
    status: str


@define
class PersonErased(Event):
    """A person was erased at their request (GDPR art. 17, docs/operations.md part privacy): their row is now a
    pseudonym ("Erased person #<erasure_id>"), deactivated, with no address. Whoever copied their name or
    address outside the organization's database (a webhook receiver, a mail log) should forget it."""

    name = "person.erased"
    emitted_by = ("blueprints.privacy.erasure.erase_person",)
    user_id: int
    erasure_id: int


@define
class ArchivingApplied(Event):
    """The archiving policy ran (docs/operations.md part privacy): these courses were archived and these people
    deactivated for want of activity, all at once. Reversible: `archiving.reversed` names what came back."""

    name = "archiving.applied"
    emitted_by = ("blueprints.privacy.archiving.apply_policy",)
    run_id: int
    course_ids: list[int]
    user_ids: list[int]


@define
class ArchivingReversed(Event):
    """An archiving run was reversed: these courses have their status back and these people are active again."""

    name = "archiving.reversed"
    emitted_by = ("blueprints.privacy.archiving.reverse_run",)
    run_id: int
    course_ids: list[int]
    user_ids: list[int]
