"""The mail a schedule's recipients get when its report is done: a link to the report's page (signing in is
needed to open it; the file is never attached), in HTML and text, with the organization's name."""

from flask import current_app, render_template
from redis import RedisError

from app.extensions import db
from app.jobs import redis_connection
from app.mail import send_mail_later
from app.tenancy.context import require_tenant
from blueprints.reports.models import Report, ReportSchedule, ReportStatus
from blueprints.reports.schedules import RECIPIENT_ROLES, cadence_in_words
from blueprints.users import queries as people

MAILED_KEY_SECONDS = 14 * 24 * 3600  # longer than any redelivery of an event


def report_page_url(report_id):
    config = current_app.config
    return f"{config['LMS_URL_SCHEME']}://{require_tenant().slug}.{config['LMS_BASE_DOMAIN']}/reports/{report_id}"


def mail_report_link(report_id, event_id):
    """Mail each recipient of a scheduled report (still active staff) its page's link, once per event and person:
    a redelivered event finds the mail queued already. Returns how many mails were queued."""
    report = db.session.get(Report, report_id)
    if report is None or report.status != ReportStatus.DONE or not report.recipient_ids:
        return 0
    tenant = require_tenant()
    schedule = db.session.get(ReportSchedule, report.schedule_id) if report.schedule_id else None
    context = {
        "organization": tenant.name,
        "report": report,
        "schedule_name": schedule.name if schedule else "A scheduled report",
        "cadence": cadence_in_words(schedule) if schedule else "",
        "url": report_page_url(report.id),
        "keep_until": report.expires_at,
    }
    subject = f"{tenant.name}: your report “{context['schedule_name']}” is ready"
    queued = 0
    for person in people.active_people_with_roles(RECIPIENT_ROLES, None, user_ids=list(report.recipient_ids)):
        if not _first_time(tenant.slug, event_id, person.id):
            continue
        text = render_template("reports/mail/report_ready.txt", person=person, **context)
        html = render_template("reports/mail/report_ready.html", person=person, **context)
        try:
            send_mail_later(tenant, person.notification_email or person.email, subject, text, html)
        except RedisError:
            _forget(tenant.slug, event_id, person.id)
            raise  # the delivery is retried; the people mailed already are not mailed again
        queued += 1
    return queued


def _key(slug, event_id, user_id):
    return f"tessera:report-mail:{slug}:{event_id}:{user_id}"


def _first_time(slug, event_id, user_id):
    return bool(redis_connection().set(_key(slug, event_id, user_id), 1, nx=True, ex=MAILED_KEY_SECONDS))


def _forget(slug, event_id, user_id):
    redis_connection().delete(_key(slug, event_id, user_id))
