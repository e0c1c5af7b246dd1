"""Every kind of notification: its words by default, the variables its templates may use, who may switch it
off, and how it is delivered unless the organization or the person chose otherwise (docs/notifications.md).

The registry is code, not rows: a type exists because something in the app produces it. An organization
overrides a type's subject and body (`NotificationTemplate`), its default cadences and locks
(`NotificationDefault`); a person their own cadences (`NotificationSetting`), within the locks.

Templates are sandboxed Jinja over the type's variables only. Every variable is a string, a number, a boolean
or a dict of those (JSON: a notification keeps the context it was rendered with); dates are already written
out in words. `SAMPLE` gives each variable an example value: the template editor's preview renders with it and
a template using a variable the type does not have is refused.
"""

from dataclasses import dataclass, field

from blueprints.notifications.models import Cadence, Channel

# What every type's templates may use.
COMMON_VARIABLES = {
    "person": "the person told: first_name, last_name, full_name",
    "organization": "the organization: name",
    "url": "the full address of what it is about (empty when nothing to link to)",
}
COMMON_SAMPLE = {
    "person": {"first_name": "Ada", "last_name": "Lovelace", "full_name": "Ada Lovelace"},
    "organization": {"name": "Northwind Academy"},
    "url": "https://northwind.tessera.example/learn",
}


@dataclass(frozen=True)
class NotificationType:
    key: str
    label: str  # what the settings page calls it
    description: str  # when it is sent, in the person's words
    subject: str  # default templates
    body: str
    variables: dict = field(default_factory=dict)  # own variables: name -> what it holds
    sample: dict = field(default_factory=dict)  # own variables: name -> an example value
    mandatory: bool = False  # always in the app and by e-mail, immediately: nobody can switch it off
    in_app: str = Cadence.IMMEDIATELY  # built-in default cadence on each channel
    email: str = Cadence.IMMEDIATELY
    staff_only: bool = False  # shown in the settings of staff only (org admins, branch managers, teachers)

    def default_cadence(self, channel):
        return self.in_app if channel == Channel.IN_APP else self.email

    @property
    def all_variables(self):
        return {**COMMON_VARIABLES, **self.variables}

    @property
    def sample_context(self):
        return {**COMMON_SAMPLE, **self.sample}


COURSE = {"course": "the course: title"}
COURSE_SAMPLE = {"course": {"title": "Fire safety"}}

_TYPES = (
    NotificationType(
        "enrolled",
        "Enrolled in a course",
        "When you are enrolled in a course (by a teacher, a class or an import).",
        "You are enrolled in {{ course.title }}",
        "Hello {{ person.first_name }},\n\nyou are now enrolled in {{ course.title }}."
        "{% if due_date %} Please finish it by {{ due_date }}.{% endif %}\n\n{{ url }}",
        variables={**COURSE, "due_date": "when it is due, in words (empty: no due date)"},
        sample={**COURSE_SAMPLE, "due_date": "Tuesday 1 December 2026"},
    ),
    NotificationType(
        "due_soon",
        "Course due soon",
        "A few days before a course you have not finished is due.",
        "{{ course.title }} is due in {{ days }} day{{ 's' if days != 1 else '' }}",
        "Hello {{ person.first_name }},\n\n{{ course.title }} is due on {{ due_date }}. You have done "
        "{{ progress }} % of it.\n\n{{ url }}",
        variables={**COURSE, "due_date": "when it is due, in words", "days": "days left", "progress": "percent done"},
        sample={**COURSE_SAMPLE, "due_date": "Tuesday 1 December 2026", "days": 3, "progress": 40},
    ),
    NotificationType(
        "overdue",
        "Course overdue",
        "When a course you have not finished is past its due date (once per due date).",
        "{{ course.title }} is overdue",
        "Hello {{ person.first_name }},\n\n{{ course.title }} was due on {{ due_date }} and is not finished yet."
        "\n\n{{ url }}",
        variables={**COURSE, "due_date": "when it was due, in words"},
        sample={**COURSE_SAMPLE, "due_date": "Tuesday 1 December 2026"},
    ),
    NotificationType(
        "course_completed",
        "Course completed",
        "When you complete a course.",
        "You completed {{ course.title }}",
        "Well done, {{ person.first_name }}!\n\nYou completed {{ course.title }}.\n\n{{ url }}",
        variables=COURSE,
        sample=COURSE_SAMPLE,
        email=Cadence.DAILY,
    ),
    NotificationType(
        "assessment_graded",
        "Quiz graded",
        "When a teacher has graded your quiz (quizzes graded at once show their result on screen).",
        "{{ quiz.title }} is graded: {{ percent }} %",
        "Hello {{ person.first_name }},\n\nyour attempt at {{ quiz.title }} ({{ course.title }}) is graded: "
        "{{ percent }} %, {{ 'passed' if passed else 'not passed' }}.\n\n{{ url }}",
        variables={**COURSE, "quiz": "the quiz: title", "percent": "the score in percent", "passed": "true or false"},
        sample={**COURSE_SAMPLE, "quiz": {"title": "Final check"}, "percent": 85.0, "passed": True},
    ),
    NotificationType(
        "badge_earned",
        "Badge earned",
        "When you earn a badge.",
        "You earned the badge {{ badge.name }}",
        "Congratulations, {{ person.first_name }}!\n\nYou earned the badge {{ badge.name }}.\n\n{{ url }}",
        variables={"badge": "the badge: name"},
        sample={"badge": {"name": "Safety first"}},
    ),
    NotificationType(
        "certificate_issued",
        "Certificate issued",
        "When you receive a certificate.",
        "Your certificate for {{ course.title }}",
        "Congratulations, {{ person.first_name }}!\n\nYour certificate for {{ course.title }} is ready."
        "{% if expires_on %} It is valid until {{ expires_on }}.{% endif %}\n\n{{ url }}",
        variables={**COURSE, "expires_on": "when it expires, in words (empty: never)"},
        sample={**COURSE_SAMPLE, "expires_on": "30 November 2027"},
    ),
    NotificationType(
        "certificate_expiring",
        "Certificate about to expire",
        "A month before one of your certificates expires (and again a week before).",
        "Your certificate for {{ course.title }} expires on {{ expires_on }}",
        "Hello {{ person.first_name }},\n\nyour certificate for {{ course.title }} expires on {{ expires_on }}. "
        "Completing the course again renews it.\n\n{{ url }}",
        variables={**COURSE, "expires_on": "when it expires, in words", "days": "days left"},
        sample={**COURSE_SAMPLE, "expires_on": "30 December 2026", "days": 30},
    ),
    NotificationType(
        "import_finished",
        "Import finished",
        "When a CSV import (or its dry run) you started has finished, or stopped with an error.",
        "{{ organization.name }}: your import of {{ import.file_name }} {{ import.outcome }}",
        "Hello {{ person.first_name }},\n\nyour import of {{ import.file_name }} {{ import.outcome }}: "
        "{{ import.created }} created, {{ import.updated }} updated, {{ import.failed }} rows refused."
        "{% if import.status == 'failed' %} It stopped with an error; the rows before it are saved, and starting "
        "the same file again resumes it.{% elif import.dry_run %} Nothing was changed yet: open it to commit it."
        "{% endif %}\n\n{{ url }}",
        variables={
            "import": "the import: file_name, created, updated, failed (rows refused), status (done or failed), "
            "dry_run (true: only checked), outcome (in words: has finished, was checked, failed)"
        },
        sample={
            "import": {
                "file_name": "students.csv",
                "created": 480,
                "updated": 12,
                "failed": 3,
                "status": "done",
                "dry_run": False,
                "outcome": "has finished",
            }
        },
        staff_only=True,
    ),
    NotificationType(
        "report_ready",
        "Report ready",
        "When a report you asked for, or a scheduled report sent to you, is ready.",
        "{{ organization.name }}: your report “{{ report.name }}” is ready",
        "Hello {{ person.first_name }},\n\n{{ report.name }}, a report of {{ organization.name }}, is ready."
        "{% if report.keep_until %} You can download it until {{ report.keep_until }}.{% endif %}\n\n"
        "Open it here (sign in to {{ organization.name }} first if asked):\n{{ url }}",
        variables={"report": "the report: name (its schedule's, or its kind's), keep_until (in words)"},
        sample={"report": {"name": "Course completion (weekly)", "keep_until": "Thursday 3 December 2026"}},
        staff_only=True,
    ),
    NotificationType(
        "password_changed",
        "Password changed",
        "When the password of your account is changed. Always sent: it may warn you of someone else.",
        "Your password was changed",
        "Hello {{ person.first_name }},\n\nthe password of your account was changed on {{ changed_at }}. If this "
        "was not you, reset it now and tell your organization's administrator.\n\n{{ url }}",
        variables={"changed_at": "when, in words"},
        sample={"changed_at": "Thursday 26 November 2026, 09:15 (Europe/Paris)"},
        mandatory=True,
    ),
    NotificationType(
        "announcement",
        "Announcements",
        "Messages from your organization, branch, classes or teachers.",
        "{{ announcement.title }}",
        "{{ announcement.body }}\n\n{{ announcement.author }}",
        variables={"announcement": "the announcement: title, body, author (their name)"},
        sample={
            "announcement": {
                "title": "Campus closed on Friday",
                "body": "The campus is closed on Friday; lessons continue online.",
                "author": "Grace Hopper",
            }
        },
    ),
    NotificationType(  # part "hooks" (issue 16): blueprints/integrations/webhooks.py
        "webhook_disabled",
        "Webhook endpoint disabled",
        "When a webhook endpoint of your organization failed for days and we stopped sending it events.",
        "{{ organization.name }}: webhooks to {{ subscription.url }} are disabled",
        "Hello {{ person.first_name }},\n\nwe stopped sending the events of {{ organization.name }} to "
        "{{ subscription.url }} (integration “{{ integration.name }}”): {{ reason }}\n\nCheck the receiver, send "
        "it a test event, then enable the endpoint again and redeliver what failed:\n{{ url }}",
        variables={
            "integration": "the integration: name",
            "subscription": "the endpoint: url",
            "reason": "why it was disabled, in words",
        },
        sample={
            "integration": {"name": "Student information system"},
            "subscription": {"url": "https://sis.example.org/hooks/tessera"},
            "reason": "Every delivery failed for 5 days.",
        },
        staff_only=True,
    ),
    NotificationType(  # part "roster" (issue 16): blueprints/integrations/roster_sync.py
        "roster_sync_finished",
        "Roster sync finished",
        "When a OneRoster sync (or its dry run) you started has finished, or stopped with an error.",
        "{{ organization.name }}: your roster sync of {{ sync.file_name }} {{ sync.outcome }}",
        "Hello {{ person.first_name }},\n\nyour roster sync of {{ sync.file_name }} ({{ sync.integration }}) "
        "{{ sync.outcome }}: {{ sync.created }} created, {{ sync.updated }} updated, {{ sync.failed }} rows refused."
        "{% if sync.status == 'failed' %} It stopped with an error; what it wrote before is saved, and uploading "
        "the same zip again resumes it.{% elif sync.dry_run %} Nothing was changed yet: open it to sync it."
        "{% endif %}\n\n{{ url }}",
        variables={
            "sync": "the sync: file_name, integration (its name), created, updated, failed (rows refused), status "
            "(done or failed), dry_run (true: only checked), outcome (in words: has finished, was checked, failed)"
        },
        sample={
            "sync": {
                "file_name": "oneroster.zip",
                "integration": "Student information system",
                "created": 1480,
                "updated": 12,
                "failed": 3,
                "status": "done",
                "dry_run": False,
                "outcome": "has finished",
            }
        },
        staff_only=True,
    ),
)

TYPES = {kind.key: kind for kind in _TYPES}


def notification_type(key):
    """The type of this key; KeyError for an unknown one (a programming error, never user input)."""
    return TYPES[key]
