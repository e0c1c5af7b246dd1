"""The organization-wide figures read the roll-ups (analytics_course_days, analytics_courses, analytics_people);
where a roll-up cannot hold a figure exactly, the figures still equal the per-person path's: here a progress
capped at 100 when a course lost items its learners had completed (no event announces it)."""

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.tenancy.context import tenant_context
from app.tenancy.models import utcnow
from app.tenancy.provisioning import provision_tenant
from blueprints.analytics import figures
from blueprints.analytics.audience import Audience
from blueprints.analytics.definitions import rounded
from blueprints.analytics.filters import Filters
from blueprints.analytics.models import LearnerCourse
from blueprints.courses.models import ContentItem
from blueprints.courses.queries import item_counts
from tests.conftest import PASSWORD, destroy_tenant, unique_slug
from tests.support.analytics_figures import build_district


@pytest.fixture
def district(app):
    with app.app_context():
        tenant = provision_tenant(unique_slug("rollups"), "Roll-ups", "owner@example.org", PASSWORD).tenant.ref()
    try:
        yield build_district(app, app.test_client(), tenant)
    finally:
        destroy_tenant(app, tenant.id)


def _per_person_progress(filters):
    """The average progress over every active enrollment, overall and per course, the per-person way."""
    items, columns = figures.snapshot_columns(filters)
    everyone = Audience(everyone=True)
    overall = db.session.execute(figures.active_enrollments(filters, everyone, items, columns["average_progress"]))
    per_course = db.session.execute(
        figures.active_enrollments(
            filters, everyone, items, LearnerCourse.course_id, columns["average_progress"]
        ).group_by(LearnerCourse.course_id)
    )
    return rounded(overall.scalar()), {course_id: rounded(value) for course_id, value in per_course}


def test_a_course_that_lost_completed_items_caps_its_progress_at_100_in_the_roll_ups_too(app, district):
    d = district
    with tenant_context(d.tenant, app):
        furthest = db.session.execute(
            sa.select(LearnerCourse.course_id, LearnerCourse.items_completed)
            .where(LearnerCourse.active.is_(True), LearnerCourse.completed_at.is_(None))
            .order_by(LearnerCourse.items_completed.desc())
            .limit(1)
        ).one()
        assert furthest.items_completed >= 2
        kept = db.session.scalar(
            sa.select(sa.func.min(ContentItem.id)).where(ContentItem.course_id == furthest.course_id)
        )
        # items deleted behind the read model's back: it still counts what was completed
        db.session.execute(
            sa.delete(ContentItem).where(ContentItem.course_id == furthest.course_id, ContentItem.id != kept)
        )
        db.session.commit()
        assert dict(db.session.execute(item_counts()).all())[furthest.course_id] == 1
        filters = Filters(date_from=d.today, date_to=d.today, now=utcnow())
        overall, per_course = _per_person_progress(filters)
        everyone = Audience(everyone=True)
        assert figures.snapshot(filters, everyone)["average_progress"] == overall
        rows = {row["course_id"]: row["average_progress"] for row in figures.courses(filters, everyone)["courses"]}
        assert rows == per_course
