"""Badge jobs on RQ (run inside the tenant that queued them; see app/jobs.py)."""

import sqlalchemy as sa

from app.extensions import db
from blueprints.badges import awards, backfill
from blueprints.badges.criteria import LearnerFacts, strategy_for
from blueprints.badges.models import Badge, BadgeAward, BadgeStatus
from blueprints.users.models import User

BATCH = 200  # learners checked per round: one query per kind of fact the badge names


def backfill_badge(badge_id):
    """Give an active badge to every learner in its reach who meets it and was never given it (a revoked award
    comes back only by hand), in batches; each award is the one events make (signed, logged, `badge.awarded`).
    Stops early when the badge stops being active or its criteria change (that change queued another run)."""
    backfill.started(badge_id)
    try:
        _award_those_who_meet(badge_id)
    except Exception:
        db.session.rollback()
        backfill.ended(badge_id, "failed")
        raise
    backfill.ended(badge_id, "done")


def _award_those_who_meet(badge_id):
    badge = db.session.get(Badge, badge_id)
    if badge is None or badge.status != BadgeStatus.ACTIVE or not strategy_for(badge.criteria_strategy).events:
        return  # archived or a draft again; or given by hand only
    seen = (badge.criteria_strategy, badge.criteria, badge.course_id)
    strategy = strategy_for(badge.criteria_strategy)
    ever_given = sa.select(BadgeAward.user_id).where(BadgeAward.badge_id == badge_id)
    candidates = awards.earning_people(badge).where(User.id.not_in(ever_given)).order_by(User.id).limit(BATCH)
    after = 0
    while True:
        user_ids = db.session.scalars(candidates.where(User.id > after)).all()
        if not user_ids:
            return
        after = user_ids[-1]
        facts = LearnerFacts.of_many(user_ids, [badge])
        met = {}
        for user_id in user_ids:
            progress = strategy.progress(seen[1], facts[user_id])
            if progress.met:
                met[user_id] = progress.to_dict()
        given = 0
        for user_id, progress in met.items():
            if awards.award(badge_id, user_id, evidence={"backfill": True, "progress": progress}) is not None:
                given += 1
        db.session.commit()  # ends the read transaction: the next batch sees the badge as it is now
        backfill.progressed(badge_id, len(user_ids), given)
        badge = db.session.get(Badge, badge_id)
        if badge is None or badge.status != BadgeStatus.ACTIVE:
            return
        if (badge.criteria_strategy, badge.criteria, badge.course_id) != seen:
            return
