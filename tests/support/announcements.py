"""Announcements for tests: a campus of two branches with everyone an announcement may or may not reach, the
people an announcement told, and the demo's announcements (the crawler's page ids).

    North: branch manager `bm_north`, teacher `t1` (class N1, course C1), students `s_n1` (N1, C1), `s_n2`
           (no class, enrolled in C_org) and `s_gone` (N1, C1, deactivated).
    South: teacher `t2` (class S1, course C2), student `s_s1` (S1, C2, C_org).
    Org admin `admin` (no branch). C_org: organization-wide, taught by nobody.
"""

from datetime import timedelta

import sqlalchemy as sa

from app.extensions import db
from app.security.actor import Actor
from app.security.principal import Principal
from app.tenancy.context import tenant_context
from app.tenancy.models import utcnow
from blueprints.branches import services as branches
from blueprints.branches.scope import BranchScope
from blueprints.classes import services as classes
from blueprints.courses import services as courses
from blueprints.learning import services as learning
from blueprints.notifications.models import Announcement, Notification
from blueprints.users.models import User
from blueprints.users.services import create_user
from tests.conftest import PASSWORD

ROLES = {
    "admin": "org_admin",
    "bm_north": "branch_manager",
    "t1": "teacher",
    "t2": "teacher",
    "s_n1": "student",
    "s_n2": "student",
    "s_gone": "student",
    "s_s1": "student",
}


def build_campus(app, tenant):
    """The campus above, through the services; returns {key: id} (people, branches, classes, courses)."""
    everywhere = BranchScope(None)
    ids = {}
    with tenant_context(tenant, app):
        admin = db.session.scalar(sa.select(User).where(User.role == "org_admin"))
        ids["admin"] = admin.id
        north = branches.create_branch({"code": "north", "name": "North"})
        south = branches.create_branch({"code": "south", "name": "South"})
        ids.update(north=north.id, south=south.id)
        for key, role in ROLES.items():
            if key == "admin":
                continue
            email = f"{key.replace('_', '-')}@example.org"
            user = create_user(email, role, key.title(), "Campus", PASSWORD)
            ids[key] = user.id
            branch = south if key in ("t2", "s_s1") else north
            branches.add_branch_member(branch, user.id, role, scope=everywhere)
        n1 = classes.create_class({"branch_id": north.id, "name": "N1"}, everywhere)
        s1 = classes.create_class({"branch_id": south.id, "name": "S1"}, everywhere)
        classes.add_members(n1, [ids["t1"]], "teacher", scope=everywhere)
        classes.add_members(n1, [ids["s_n1"], ids["s_gone"]], "student", scope=everywhere)
        classes.add_members(s1, [ids["t2"]], "teacher", scope=everywhere)
        classes.add_members(s1, [ids["s_s1"]], "student", scope=everywhere)
        ids.update(n1=n1.id, s1=s1.id)
        acting = Principal("user", admin.id, admin.email, ("org_admin",), tenant.id)

        def course(title, branch_ids, teacher_ids):
            data = {"title": title, "status": "published", "branch_ids": branch_ids, "teacher_ids": teacher_ids}
            return courses.create_course(data, acting, everywhere).course

        c1 = course("Course One", [north.id], [ids["t1"]])
        c2 = course("Course Two", [south.id], [ids["t2"]])
        c_org = course("Everyone's course", [], [])
        ids.update(c1=c1.id, c2=c2.id, c_org=c_org.id)
        learning.enroll_users(c1, [ids["s_n1"], ids["s_gone"]])
        learning.enroll_users(c2, [ids["s_s1"]])
        learning.enroll_users(c_org, [ids["s_n2"], ids["s_s1"]])
        db.session.get(User, ids["s_gone"]).is_active = False
        db.session.commit()
    return ids


def actor_of(app, tenant, user_id):
    """The person as an actor (inside the tenant: their scope is worked out from the database)."""
    user = db.session.get(User, user_id)
    return Actor(Principal("user", user.id, user.email, (user.role,), tenant.id))


def told(app, tenant, announcement_id):
    """The ids of the people an announcement told (its notification rows), sorted."""
    with tenant_context(tenant, app):
        return sorted(
            db.session.scalars(sa.select(Notification.user_id).where(Notification.announcement_id == announcement_id))
        )


def announcement_row(app, tenant, announcement_id):
    with tenant_context(tenant, app):
        row = db.session.get(Announcement, announcement_id)
        return {"status": row.status, "recipients": row.recipients, "send_at": row.send_at, "sent_at": row.sent_at}


def demo_announcement_ids():
    """The demo's scheduled announcement (inside the demo tenant): its page shows the cancel button."""
    return {
        "announcement_id": db.session.scalar(
            sa.select(Announcement.id).where(Announcement.status == "scheduled").order_by(Announcement.id)
        )
    }


def scheduled_announcement_row(author_id, title, audience="organization", audience_ids=()):
    """A scheduled announcement of `author_id` a day ahead (inside the tenant), made straight from the model: no
    job queued."""
    announcement = Announcement(
        title=title,
        body="Scheduled for tomorrow.",
        audience=audience,
        audience_ids=list(audience_ids),
        author_id=author_id,
        send_at=utcnow() + timedelta(days=1),
        status="scheduled",
    )
    db.session.add(announcement)
    db.session.commit()
    return announcement.id
