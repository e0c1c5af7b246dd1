"""The notifications' scheduled work, every minute in every active organization (`flask notifications sweep`,
docs/notifications.md, "Scheduled work"). Every step is idempotent: a sweep run twice, or two sweeps at once,
tell nobody twice and send nothing twice."""

import logging
from dataclasses import dataclass, field

from app.tenancy.context import tenant_context
from app.tenancy.resolution import active_tenants
from blueprints.notifications import announcements, delivery, digests, reminders

log = logging.getLogger(__name__)


@dataclass
class Swept:
    """What one sweep did, added up over organizations."""

    reminders: int = 0  # notifications written (due soon, overdue, certificates expiring)
    digests: int = 0  # digests composed
    queued: int = 0  # e-mails (notifications and digests) queued again
    failed: list = field(default_factory=list)  # slugs of the organizations whose sweep failed

    def add(self, other):
        self.reminders += other.reminders
        self.digests += other.digests
        self.queued += other.queued
        self.failed += other.failed


def sweep_organization():
    """Every step, in the current organization: reminders, digests due, e-mails to queue again (pending and due,
    or claimed by a worker that died)."""
    swept = Swept()
    swept.reminders = reminders.send_reminders()
    swept.digests = digests.compose_due_digests()
    swept.queued = delivery.requeue_notifications() + digests.requeue_digests()
    announcements.send_due_announcements()  # part "announcements": queue again those whose sending job was lost
    return swept


def sweep_all(app):
    """`sweep_organization` in every active organization; one organization's failure is logged and the others
    are swept all the same."""
    with app.app_context():
        tenants = active_tenants()
    total = Swept()
    for tenant in tenants:
        try:
            with tenant_context(tenant, app):
                total.add(sweep_organization())
        except Exception:  # one organization's trouble (its database down, a bug in its data) stops only its sweep
            log.exception("Sweeping the notifications of %s failed", tenant.slug)
            total.failed.append(tenant.slug)
    return total
