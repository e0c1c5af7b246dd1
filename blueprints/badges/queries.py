"""What other features may read of badges: a learner's badges and their progress towards the others (the
"My achievements" page)."""

import sqlalchemy as sa

from app.extensions import db
from blueprints.badges import badges as badge_services
from blueprints.badges.awards import awards_with_badges, progress_report
from blueprints.badges.criteria import LearnerFacts
from blueprints.badges.models import Badge, BadgeAward, BadgeStatus, badge_branches
from blueprints.branches.queries import branches_of
from blueprints.learning import queries as learning


def public_urls(award):
    """The addresses of an award anyone may open: its Open Badges 2.0 assertion and baked images, and its
    page (the learner's, public-ish: what the assertion shows)."""
    base = f"/ob/v2/assertions/{award.public_id}"
    return {
        "page": f"/badges/awards/{award.public_id}",
        "assertion": base,
        "baked_png": f"{base}/baked.png",
        "baked_svg": f"{base}/baked.svg",
        "credential": f"/api/v1/badge-awards/{award.public_id}/credential",
    }


def badges_of(user_id):
    """The person's badges, newest first: badge id, name, image URL, awarded_at, expires_at, revoked, public
    URLs (two queries)."""
    return [
        {
            "id": badge.id,  # the badge's (as `badge_id`)
            "badge_id": badge.id,
            "award_id": award.id,
            "public_id": award.public_id,
            "name": badge.name,
            "description": badge.description,
            "image_url": badge_services.image_path(badge),
            "awarded_at": award.awarded_at,
            "expires_at": award.expires_at,
            "revoked": award.revoked_at is not None,
            "revoked_at": award.revoked_at,
            "urls": public_urls(award),
        }
        for award, badge in awards_with_badges(user_id)
    ]


def earnable_badges(user_id):
    """The active badges this person may still earn (never given to them): those of the courses they take
    or took, and organization badges of the whole organization or of one of their branches."""
    given = sa.select(BadgeAward.badge_id).where(BadgeAward.user_id == user_id)
    mine = sa.or_(
        Badge.course_id.in_(learning.enrolled_course_ids(user_id)),
        Badge.course_id.in_(learning.completed_course_ids(user_id) or [-1]),
    )
    no_branches = ~sa.exists().where(badge_branches.c.badge_id == Badge.id)
    of_my_branches = sa.exists().where(
        badge_branches.c.badge_id == Badge.id, badge_branches.c.branch_id.in_(branches_of(user_id))
    )
    organization = sa.and_(Badge.course_id.is_(None), sa.or_(no_branches, of_my_branches))
    return db.session.scalars(
        sa.select(Badge)
        .where(Badge.status == BadgeStatus.ACTIVE, Badge.id.not_in(given), sa.or_(mine, organization))
        .order_by(Badge.name, Badge.id)
    ).all()


def progress_of(user_id):
    """The badges the person can still earn with their progress: badge id, name, image URL, met, met and
    missing items, percent (a handful of queries whatever the number of badges)."""
    badges = earnable_badges(user_id)
    facts = LearnerFacts(user_id)
    facts.prefetch(badges)
    rows = []
    for badge in badges:
        report = progress_report(badge, user_id, facts, held=None)  # none: earnable ones are not held
        rows.append(
            {
                "id": badge.id,  # the badge's (as `badge_id`)
                "badge_id": badge.id,
                "name": badge.name,
                "description": badge.description,
                "image_url": badge_services.image_path(badge),
                "met": report["met"],
                "percent": report["percent"],
                "summary": report["summary"],
                "met_items": report["met_items"],
                "missing": report["missing_items"],
            }
        )
    return rows


def badge_names(badge_ids):
    """{badge id: name} of these badges (one query)."""
    return dict(db.session.execute(sa.select(Badge.id, Badge.name).where(Badge.id.in_(badge_ids or [-1]))).all())
