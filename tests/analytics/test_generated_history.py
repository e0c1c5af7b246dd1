"""The analytics benchmark's generator (scripts/analytics_data.py) writes a history the app itself could have
written: consistent time, completions and dates, people who can sign in, sequences that go on after it."""

from datetime import timedelta

import sqlalchemy as sa

from app.extensions import db
from app.tenancy.context import tenant_context
from app.tenancy.models import utcnow
from blueprints.auth.models import SignIn
from blueprints.branches.models import BranchMembership
from blueprints.courses.models import ContentItem
from blueprints.learning.models import Enrollment, ItemProgress, ItemTime, TimeByDay
from blueprints.users.models import User
from blueprints.users.services import create_user
from scripts.analytics_data import HISTORY_DAYS, PASSWORD, SIGN_IN_DAYS, generate


def test_a_small_organization_is_consistent_and_usable(app, tenant, api):
    now = utcnow()
    with tenant_context(tenant, app):
        data = generate(learners=300, progress=3000, courses=12, branches=3, classes=9, now=now)
        assert data.counts["users"] == 300 + 3 + 3 * 5 and data.counts["enrollments"] > 300
        assert 2400 <= data.counts["item_progress"] <= 3600  # about the size asked for

        seconds = dict(db.session.execute(sa.select(Enrollment.id, Enrollment.seconds_spent)).all())
        by_day = dict(
            db.session.execute(
                sa.select(TimeByDay.enrollment_id, sa.func.sum(TimeByDay.seconds)).group_by(TimeByDay.enrollment_id)
            ).all()
        )
        by_item = dict(
            db.session.execute(
                sa.select(ItemTime.enrollment_id, sa.func.sum(ItemTime.seconds)).group_by(ItemTime.enrollment_id)
            ).all()
        )
        assert {e: s for e, s in seconds.items() if s} == by_day == by_item

        items_of = dict(
            db.session.execute(
                sa.select(ContentItem.course_id, sa.func.count(ContentItem.id)).group_by(ContentItem.course_id)
            ).all()
        )
        done = dict(
            db.session.execute(
                sa.select(ItemProgress.enrollment_id, sa.func.count(ItemProgress.id)).group_by(
                    ItemProgress.enrollment_id
                )
            ).all()
        )
        completed = overdue = 0
        for enrollment in db.session.scalars(sa.select(Enrollment)):
            finished = done.get(enrollment.id, 0) == items_of[enrollment.course_id]
            assert (enrollment.completed_at is not None) == finished
            assert now - timedelta(days=HISTORY_DAYS) <= enrollment.enrolled_at <= now
            completed += finished
            overdue += not finished and enrollment.due_at is not None and enrollment.due_at < now
        assert completed and overdue  # the dashboards have completions and overdue learners to show

        first, last = db.session.execute(
            sa.select(sa.func.min(ItemProgress.completed_at), sa.func.max(ItemProgress.completed_at))
        ).one()
        assert now - timedelta(days=HISTORY_DAYS) <= first and last <= now
        oldest_sign_in = db.session.scalar(
            sa.select(sa.func.min(SignIn.created_at)).where(SignIn.user_agent == "generated")
        )
        assert oldest_sign_in >= now - timedelta(days=SIGN_IN_DAYS)
        assert db.session.scalar(
            sa.select(sa.func.count(BranchMembership.id)).where(BranchMembership.user_id.in_(data.learner_ids))
        ) == len(data.learner_ids)

        learner = db.session.get(User, data.learner_ids[-1])
        assert learner.last_login_at is not None or not db.session.scalar(
            sa.select(sa.func.count(SignIn.id)).where(SignIn.user_id == learner.id)
        )
        # ids were given explicitly: the app's own inserts still get fresh ones (PostgreSQL's sequences moved)
        later = create_user("after@example.org", "student", "After", "Generation")
        assert later.id > data.learner_ids[-1]
        email = learner.email

    signed_in = api(tenant).post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert signed_in.status_code == 200, signed_in.get_json()
