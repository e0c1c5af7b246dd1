"""What the reports feature does when events happen (registered by the feature: see app/features.py)."""

from app.events import subscriber
from blueprints.reports import mailing


@subscriber("report.ready")
def mail_scheduled_report(event):
    """A scheduled report is done: each of its recipients gets its page's link by mail, once per event."""
    if event.schedule_id is not None:
        mailing.mail_report_link(event.report_id, event.event_id)
