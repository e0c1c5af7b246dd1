"""Events -> notifications (docs/notifications.md, "Triggers"): one subscriber per event, each telling the right
person once. `notify`'s unique key (person, type, `source_key` = the event's id) makes a redelivered event tell
nobody twice; the delivery commits what `notify` wrote (and then its e-mails are queued and bells refreshed).

Each notification links to the page where its person sees the thing, a page that opens for them."""

from app.events import subscriber
from app.extensions import db
from app.tenancy.models import utcnow
from blueprints.assessments import queries as assessments
from blueprints.badges import queries as badges
from blueprints.certificates import queries as certificates
from blueprints.courses import queries as courses
from blueprints.imports import queries as imports
from blueprints.learning import queries as learning
from blueprints.notifications.producing import notify
from blueprints.notifications.words import date_in_words, time_in_words
from blueprints.reports import queries as reports
from blueprints.users.queries import time_zone_of, time_zones_of

IMPORT_OUTCOMES = {"failed": "failed", "dry_run": "was checked (dry run)", "done": "has finished"}


def _tell(type_key, user_ids, event, context, link):
    notify(type_key, user_ids, source_key=event.event_id, context=context, link=link)
    db.session.commit()


def _course(course_id):
    return {"title": courses.course_titles([course_id]).get(course_id, "a course")}


@subscriber("enrollment.created")
def tell_enrolled(event):
    """A learner was enrolled in a course: they are told, with its due date if it has one."""
    due_at = learning.due_at_of(event.course_id, event.user_id)
    context = {"course": _course(event.course_id), "due_date": date_in_words(due_at, time_zone_of(event.user_id))}
    _tell("enrolled", [event.user_id], event, context, f"/learn/{event.course_id}")


@subscriber("course.completed")
def tell_course_completed(event):
    """A learner completed a course: they are told (its end page says what next)."""
    _tell(
        "course_completed",
        [event.user_id],
        event,
        {"course": _course(event.course_id)},
        f"/learn/{event.course_id}/finished",
    )


@subscriber("assessment.graded")
def tell_assessment_graded(event):
    """A person graded a learner's attempt after it was submitted (an essay, an override): the learner is told.
    An attempt a machine graded on submit shows its result on screen; nobody is told of it again."""
    if not assessments.graded_by_a_person(event.attempt_id):
        return
    quiz_title = assessments.quiz_summaries([event.quiz_id]).get(event.quiz_id, ("a quiz", None))[0]
    context = {
        "course": _course(event.course_id),
        "quiz": {"title": quiz_title},
        "percent": round(event.percent, 1),
        "passed": event.passed,
    }
    _tell(
        "assessment_graded",
        [event.user_id],
        event,
        context,
        f"/courses/{event.course_id}/attempts/{event.attempt_id}",
    )


@subscriber("badge.awarded")
def tell_badge_earned(event):
    """A learner was given a badge: they are told; their achievements show it."""
    name = badges.badge_names([event.badge_id]).get(event.badge_id, "a badge")
    _tell("badge_earned", [event.user_id], event, {"badge": {"name": name}}, "/achievements")


@subscriber("certificate.issued")
def tell_certificate_issued(event):
    """A learner got a certificate: they are told, with its expiry; their achievements hold it."""
    summary = certificates.certificate_summary(event.certificate_id)
    if summary is None:
        return
    course_title, expires_at = summary
    context = {"course": {"title": course_title}, "expires_on": date_in_words(expires_at, time_zone_of(event.user_id))}
    link = f"/achievements#certificate-{event.certificate_id}"
    _tell("certificate_issued", [event.user_id], event, context, link)


@subscriber("report.ready")
def tell_report_ready(event):
    """A report is made: the person who asked for it is told, or, for a schedule's run, its recipients (its
    owner only if they are one of them: the schedule says who gets it). Replaces the reports feature's own mail."""
    report = reports.ready_report(event.report_id)
    if report is None:
        return
    people = list(report.recipient_ids) if report.scheduled else [report.requested_by_id]
    people = [user_id for user_id in people if user_id is not None]
    if not people:
        return
    zones = time_zones_of(people)
    contexts = {
        user_id: {"report": {"name": report.name, "keep_until": date_in_words(report.expires_at, zones[user_id])}}
        for user_id in people
    }
    notify("report_ready", people, source_key=event.event_id, contexts=contexts, link=f"/reports/{report.id}")
    db.session.commit()


@subscriber("import.finished")
def tell_import_finished(event):
    """An import ended (or stopped with an error): the person who started it is told (an API key is nobody)."""
    summary = imports.import_summary(event.import_id)
    if summary is None or summary[3] is None:
        return
    file_name, mode, _status, started_by = summary
    dry_run = mode == "dry_run"
    outcome = IMPORT_OUTCOMES["failed" if event.status == "failed" else "dry_run" if dry_run else "done"]
    context = {
        "import": {
            "file_name": file_name,
            "created": event.created,
            "updated": event.updated,
            "failed": event.failed,
            "status": event.status,
            "dry_run": dry_run,
            "outcome": outcome,
        }
    }
    _tell("import_finished", [started_by], event, context, f"/people/import/{event.import_id}")


@subscriber("auth.password_changed")
def tell_password_changed(event):
    """A person's password changed: they are told, in the app and by e-mail, whatever their settings."""
    when = time_in_words(event.occurred_at or utcnow(), time_zone_of(event.user_id))
    _tell("password_changed", [event.user_id], event, {"changed_at": when}, "/profile")
