"""Awards: a badge given to a learner once (automatically when its criteria are met, or by hand), signed as an
Open Badges 3.0 credential, written to the issuance log, announced by `badge.awarded`; and revoked.

Two awards of the same badge to the same learner at once (two deliveries, a manager's click and an event)
take turns on the badge's row lock and the second finds the first's award: one award, one credential, one
log entry. The unique (badge, learner) row backs that up.
"""

import calendar
import hashlib
import re
import secrets
import uuid

import sqlalchemy as sa

from app.api.listing import FilterBy, ListSpec, run_list_query
from app.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from app.events import emit_after_commit
from app.extensions import db
from app.security.actor import current_actor
from app.security.actor_ids import NOBODY, actor_ids
from app.tenancy.locks import locked
from app.tenancy.models import utcnow
from blueprints.badges import badges as badge_services
from blueprints.badges import status
from blueprints.badges.criteria import LearnerFacts, strategy_for
from blueprints.badges.models import Badge, BadgeAward, BadgeStatus
from blueprints.branches.queries import branches_of, people_of
from blueprints.courses import access
from blueprints.credentials import ledger, signing
from blueprints.learning import queries as learning
from blueprints.privacy.queries import withheld_if_erased
from blueprints.users.models import User  # awards lists filter and sort on people's names; their e-mail is hashed
from blueprints.users.services import get_user

OB3_CONTEXT = ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
MAX_REASON = 500
PUBLIC_ID = re.compile(r"[0-9a-f]{32}")


def _search(_op, value):
    words = [w.replace("%", "").replace("_", "") for w in str(value).split()][:5]
    return sa.and_(
        sa.true(),
        *(
            sa.or_(User.email.ilike(f"%{w}%"), User.first_name.ilike(f"%{w}%"), User.last_name.ilike(f"%{w}%"))
            for w in words
            if w
        ),
    )


def _revoked_clause(op, value):
    wanted = str(value).lower() in ("1", "true", "yes")
    condition = BadgeAward.revoked_at.is_not(None) if wanted else BadgeAward.revoked_at.is_(None)
    return condition if op == "eq" else ~condition


AWARD_LIST = ListSpec(
    filters={
        "user_id": BadgeAward.user_id,
        "revoked": FilterBy(BadgeAward.revoked_at.is_not(None), _revoked_clause),
        "awarded_at": BadgeAward.awarded_at,
        "q": FilterBy(User.email, _search),
    },
    sorts={"awarded_at": BadgeAward.awarded_at, "last_name": User.last_name, "id": BadgeAward.id},
    default_sort=("-awarded_at",),
    tiebreaker=BadgeAward.id,
)


def add_months(moment, months):
    """`moment` plus whole months, on the same day or the month's last (31 January + 1: 28 or 29 February)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


def recipient_hash(email, salt):
    """Open Badges' hashed recipient: `sha256$` + hex SHA-256 of the e-mail (lower case) followed by the salt."""
    return "sha256$" + hashlib.sha256((email.strip().lower() + salt).encode("utf-8")).hexdigest()


def subject_id(user_id):
    """The learner as the credential names them: a stable opaque URN (no e-mail, no database id in clear)."""
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, signing.issuer_id() + f'#learner-{user_id}')}"


def _iso(moment):
    return moment.replace(microsecond=0).isoformat() + "Z"


def achievement_of(badge, facts=None):
    """The badge as an Open Badges 3.0 `Achievement`."""
    facts = facts or LearnerFacts(None)
    return {
        "id": signing.absolute_url(f"/ob/v2/badges/{badge.id}"),
        "type": ["Achievement"],
        "name": badge.name,
        "description": badge.description or badge.name,
        "criteria": {"narrative": strategy_for(badge.criteria_strategy).narrative(badge.criteria, facts)},
        "image": {"id": signing.absolute_url(badge_services.image_path(badge)), "type": "Image"},
    }


def open_badge_credential(badge, award, email, credential_status=None):
    """The OpenBadgeCredential of an award (claims `sign` completes with iss, jti, sub, nbf, exp);
    `credential_status`: its bit of the revocation list (`status.new_entry`)."""
    credential_id = f"urn:uuid:{uuid.uuid4()}"
    subject = {
        "id": subject_id(award.user_id),
        "type": ["AchievementSubject"],
        "identifier": [
            {
                "type": "IdentityObject",
                "identityHash": recipient_hash(email, award.recipient_salt),
                "identityType": "emailAddress",
                "hashed": True,
                "salt": award.recipient_salt,
            }
        ],
        "achievement": achievement_of(badge),
    }
    credential = {
        "@context": OB3_CONTEXT,
        "id": credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": badge.name,
        "issuer": signing.issuer_profile(),
        "validFrom": _iso(award.awarded_at),
        "credentialSubject": subject,
    }
    if award.expires_at:
        credential["validUntil"] = _iso(award.expires_at)
    if credential_status:
        credential["credentialStatus"] = credential_status
    return credential, credential_id


def _sign(badge, award, email):
    credential, credential_id = open_badge_credential(badge, award, email, status.new_entry(award.id))
    return signing.sign(
        credential,
        subject_id=credential["credentialSubject"]["id"],
        credential_id=credential_id,
        valid_from=award.awarded_at,
        valid_until=award.expires_at,
    ), credential_id


def award(badge_id, user_id, *, manual=False, by=NOBODY, reason="", evidence=None):
    """Give the badge to the learner (once): the award row, its signed credential, a log entry and the event,
    committed. None when they hold it already (unrevoked, unexpired). A revoked or expired award is given again
    (renewed) on the same row, with a new credential, by hand only (`manual`): an automatic award (its criteria
    were met) finds it under the lock and gives nothing, even when its event read the learner's awards before
    the revocation. `by`: the (user id, API key id) that gave it by hand; neither for an automatic award."""
    badge = locked(sa.select(Badge).where(Badge.id == badge_id))
    if not badge:
        raise NotFound("No such badge.")
    badge = badge[0]
    held = db.session.scalar(
        sa.select(BadgeAward).where(BadgeAward.badge_id == badge.id, BadgeAward.user_id == user_id)
    )
    now = utcnow().replace(microsecond=0)
    current = held is not None and held.revoked_at is None and (held.expires_at is None or held.expires_at > now)
    if held is not None and (current or not manual):
        return None  # held; or revoked or expired, which only a manager gives again (renewal after a revoke)
    email = db.session.scalar(sa.select(User.email).where(User.id == user_id))
    if email is None:
        raise NotFound("No such person.")
    row = held or BadgeAward(badge_id=badge.id, user_id=user_id, public_id=secrets.token_hex(16))
    row.awarded_at = now
    row.expires_at = add_months(now, badge.valid_months) if badge.valid_months else None
    row.awarded_by_id, row.awarded_by_api_key_id = by
    row.reason = reason or ""
    row.evidence = evidence or {}
    row.recipient_salt = secrets.token_hex(16)
    row.revoked_at = row.revoked_by_id = row.revoked_by_api_key_id = row.revocation_reason = None
    if held is None:
        db.session.add(row)
    db.session.flush()
    row.credential_jwt, credential_id = _sign(badge, row, email)
    ledger.append(
        "awarded",
        "badge_award",
        row.id,
        {
            "badge_id": badge.id,
            "user_id": user_id,
            "public_id": row.public_id,
            "credential_id": credential_id,
            "credential_sha256": hashlib.sha256(row.credential_jwt.encode()).hexdigest(),
            "manual": manual,
        },
        actor_user_id=by.user_id,
        actor_api_key_id=by.api_key_id,
    )
    emit_after_commit(db.session, "badge.awarded", badge_id=badge.id, award_id=row.id, user_id=user_id)
    db.session.commit()
    return row


def revoke(award_row, reason, *, by=NOBODY):
    """Revoke an award (with a reason): its hosted assertion answers revoked and the revocation list marks its
    credentials (`status`); a log entry and `badge.revoked`. Revoking a revoked award is a 409."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("Say why.", {"reason": ["Required."]})
    if len(reason) > MAX_REASON:
        raise ValidationFailed("Too long.", {"reason": [f"At most {MAX_REASON} characters."]})
    locked(sa.select(Badge).where(Badge.id == award_row.badge_id))
    db.session.refresh(award_row)
    if award_row.revoked_at is not None:
        raise Conflict("This award is revoked already.", code="ALREADY_REVOKED")
    award_row.revoked_at = utcnow().replace(microsecond=0)
    award_row.revoked_by_id, award_row.revoked_by_api_key_id = by
    reason = award_row.revocation_reason = withheld_if_erased(award_row.user_id, reason)
    status.revoke_entries(award_row.id)
    ledger.append(
        "revoked",
        "badge_award",
        award_row.id,
        {"badge_id": award_row.badge_id, "user_id": award_row.user_id},
        actor_user_id=by.user_id,
        actor_api_key_id=by.api_key_id,
        personal={"reason": reason},  # free text about the holder: outside the chain, erasable with them
        person_id=award_row.user_id,
    )
    emit_after_commit(
        db.session, "badge.revoked", badge_id=award_row.badge_id, award_id=award_row.id, user_id=award_row.user_id
    )
    db.session.commit()
    return award_row


# --- who may earn, who may be given a badge by hand --------------------------------------------------------------


def may_earn(badge, user_id):
    """Whether this learner can earn the badge: an active badge of a course they took, or an organization
    badge of the whole organization or of one of their branches."""
    if badge.status != BadgeStatus.ACTIVE:
        return False
    if badge.course_id is not None:
        return learning.is_enrolled(badge.course_id, user_id) or badge.course_id in learning.completed_course_ids(
            user_id, [badge.course_id]
        )
    branches = badge_services.branch_ids_of([badge.id]).get(badge.id)
    if not branches:
        return True
    return bool(set(db.session.scalars(branches_of(user_id))) & set(branches))


def earning_people(badge):
    """A select of the ids of the people who may earn the badge (`may_earn` for many, a backfill's reach): a
    course's learners (enrolled now, or completed it and left) for a course's badge; otherwise the
    organization's active people, within the badge's branches when it has some."""
    if badge.course_id is not None:
        return sa.select(User.id).where(User.id.in_(learning.enrolled_people(badge.course_id)))
    stmt = sa.select(User.id).where(User.is_active)
    if badge_branch_ids := badge_services.branch_ids_of([badge.id]).get(badge.id):
        stmt = stmt.where(User.id.in_(people_of(badge_branch_ids)))
    return stmt


def reachable_people(badge, actor=current_actor):
    """A select of the ids of the people the actor may give this badge to or take it from by hand: the
    course's learners for a course's badge (a branch manager following it: those of their branches);
    otherwise the organization's people (org admins) or their branches' (branch managers), within the
    badge's branches when it has some."""
    if badge.course_id is not None:
        _course, branch_ids = access.roster_for(badge.course_id, actor)
        stmt = sa.select(User.id).where(User.id.in_(learning.enrolled_people(badge.course_id)))
        if branch_ids is not None:
            stmt = stmt.where(User.id.in_(people_of(branch_ids)))
        return stmt
    stmt = sa.select(User.id).where(User.is_active)
    if not actor.scope.organization_wide:
        stmt = stmt.where(User.id.in_(people_of(actor.scope.branch_ids)))
    if badge_branch_ids := badge_services.branch_ids_of([badge.id]).get(badge.id):
        stmt = stmt.where(User.id.in_(people_of(badge_branch_ids)))
    return stmt


def holders_in_reach(badge, actor=current_actor):
    """A select of the ids of this badge's holders whose awards the actor lists and revokes: every holder for
    org admins and a course's managers (also those who left the course: an award outlives the enrolment), a
    branch manager's branches' people otherwise."""
    holders = sa.select(BadgeAward.user_id).where(BadgeAward.badge_id == badge.id)
    if actor.scope.organization_wide:
        return holders
    if badge.course_id is not None:
        _course, branch_ids = access.roster_for(badge.course_id, actor)
        return holders if branch_ids is None else holders.where(BadgeAward.user_id.in_(people_of(branch_ids)))
    return holders.where(BadgeAward.user_id.in_(people_of(actor.scope.branch_ids)))


# --- by hand, and what people may read ------------------------------------------------------------------------


def _person_in_reach(badge, user_id, actor):
    reach = reachable_people(badge, actor).where(User.id == user_id)
    if db.session.scalar(reach) is None:
        raise NotFound("No such learner among the people you can give this badge to.")


def award_by_hand(badge_id, user_id, reason="", actor=current_actor):
    """A badge's manager gives it to a learner they reach, never to themselves (403 `SELF_AWARD`; 409
    `ALREADY_AWARDED` when held, 409 `BADGE_NOT_ACTIVE` for a draft or archived badge)."""
    badge = badge_services.get_badge(badge_id, "manage", actor)
    reason = (reason or "").strip()
    if len(reason) > MAX_REASON:
        raise ValidationFailed("Too long.", {"reason": [f"At most {MAX_REASON} characters."]})
    if badge.status != BadgeStatus.ACTIVE:
        raise Conflict("Only an active badge can be given.", code="BADGE_NOT_ACTIVE")
    _person_in_reach(badge, user_id, actor)
    by = actor_ids(actor.principal)
    if (
        by.user_id is not None and by.user_id == user_id
    ):  # an award by hand is someone's word for the learner: not one's own
        raise PermissionDenied("Nobody gives a badge to themselves; ask another of its managers.", code="SELF_AWARD")
    facts = LearnerFacts(user_id)
    evidence = {
        "manual": True,
        "progress": strategy_for(badge.criteria_strategy).progress(badge.criteria, facts).to_dict(),
    }
    given = award(badge.id, user_id, manual=True, by=by, reason=reason, evidence=evidence)
    if given is None:
        raise Conflict("This learner holds this badge already.", code="ALREADY_AWARDED")
    return given


def held_award(badge_id, user_id):
    return db.session.scalar(
        sa.select(BadgeAward).where(BadgeAward.badge_id == badge_id, BadgeAward.user_id == user_id)
    )


def revoke_by_hand(badge_id, user_id, reason, actor=current_actor):
    """A badge's manager takes it back from a holder they reach (`holders_in_reach`), saying why (404 when not
    held)."""
    badge = badge_services.get_badge(badge_id, "manage", actor)
    held = held_award(badge.id, user_id)
    if held is None or db.session.scalar(holders_in_reach(badge, actor).where(BadgeAward.user_id == user_id)) is None:
        raise NotFound("This learner does not hold this badge.")
    return revoke(held, reason, by=actor_ids(actor.principal))


def list_awards(badge_id, query, actor=current_actor):
    """A page of a badge's awards, to its managers (a branch manager: their branches' learners), with names."""
    badge = badge_services.get_badge(badge_id, "manage", actor)
    stmt = (
        sa.select(BadgeAward)
        .join(User, User.id == BadgeAward.user_id)
        .where(BadgeAward.badge_id == badge.id, BadgeAward.user_id.in_(holders_in_reach(badge, actor)))
    )
    page = run_list_query(db.session, stmt, query, AWARD_LIST)
    names = _names([a.user_id for a in page.items])
    for item in page.items:
        item.learner_name = names.get(item.user_id, "")
    return page


def _names(user_ids):
    rows = db.session.execute(
        sa.select(User.id, User.first_name, User.last_name, User.email).where(User.id.in_(user_ids or [-1]))
    )
    return {r.id: f"{r.first_name or ''} {r.last_name or ''}".strip() or r.email for r in rows}


def find_learners(badge, text, actor=current_actor, limit=20):
    """Up to `limit` people the actor may give the badge to, matching `text` (names, e-mail), with whether
    they hold it: the manual award's search (never a list of everyone)."""
    words = [w.replace("%", "").replace("_", "") for w in (text or "").split()][:5]
    if not any(words):
        return []
    stmt = (
        sa.select(User.id, User.first_name, User.last_name, User.email)
        .where(User.id.in_(reachable_people(badge, actor)), _search("ilike", " ".join(words)))
        .order_by(User.last_name, User.first_name, User.id)
        .limit(limit)
    )
    rows = db.session.execute(stmt).all()
    held = {
        a.user_id: a
        for a in db.session.scalars(
            sa.select(BadgeAward).where(
                BadgeAward.badge_id == badge.id, BadgeAward.user_id.in_([r.id for r in rows] or [-1])
            )
        )
    }
    return [
        {
            "id": r.id,
            "name": f"{r.first_name or ''} {r.last_name or ''}".strip() or r.email,
            "email": r.email,
            "holds": r.id in held and held[r.id].revoked_at is None,
        }
        for r in rows
    ]


def _reads_person(user_id, actor):
    """Self, or staff who see the person (people lists in scope)."""
    principal = actor.principal
    if principal.kind == "user" and principal.id == user_id:
        return True
    if not principal.can("users.read"):
        return False
    try:
        get_user(user_id, actor.scope)
    except NotFound:
        return False
    return True


def progress_of_learner(badge_id, user_id=None, actor=current_actor):
    """A learner's progress towards a badge: the caller's own, or (staff) someone they follow: the badge's
    managers for the people they reach, and people managers in their scope."""
    badge = badge_services.get_badge(badge_id, "see", actor)
    if user_id is None or (actor.kind == "user" and user_id == actor.id):
        if actor.kind != "user":
            raise ValidationFailed("Name the learner.", {"user_id": ["Required for an API key."]})
        user_id = actor.id
    else:
        allowed = False
        if badge_services.can_manage(badge, actor):
            allowed = db.session.scalar(reachable_people(badge, actor).where(User.id == user_id)) is not None
        if not allowed and not _reads_person(user_id, actor):
            raise NotFound("No such learner.")
    return progress_report(badge, user_id)


UNKNOWN = object()


def progress_report(badge, user_id, facts=None, held=UNKNOWN):
    """The learner's progress towards the badge (`held`: their award when the caller read it already)."""
    facts = facts or LearnerFacts(user_id)
    report = strategy_for(badge.criteria_strategy).progress(badge.criteria, facts).to_dict()
    if held is UNKNOWN:
        held = held_award(badge.id, user_id)
    awarded = held is not None and held.revoked_at is None
    if awarded:
        report["met"], report["percent"] = True, 100
    return {
        "badge_id": badge.id,
        "user_id": user_id,
        "awarded": awarded,
        "awarded_at": held.awarded_at if awarded else None,
        **report,
    }


def user_awards(user_id, actor=current_actor):
    """A person's awards (revoked ones too, marked): to themselves and to staff who see them."""
    if not _reads_person(user_id, actor):
        raise NotFound("No such person.")
    return awards_with_badges(user_id)


def awards_with_badges(user_id):
    """(award, badge) of a person's awards, newest first (one query)."""
    return db.session.execute(
        sa.select(BadgeAward, Badge)
        .join(Badge, Badge.id == BadgeAward.badge_id)
        .where(BadgeAward.user_id == user_id)
        .order_by(BadgeAward.awarded_at.desc(), BadgeAward.id.desc())
    ).all()


def award_by_public_id(public_id):
    """The award of a public id (32 hex digits, as `award` makes them); anything else is a 404 before any query
    (PostgreSQL refuses a NUL in a parameter)."""
    public_id = str(public_id)
    if not PUBLIC_ID.fullmatch(public_id):
        raise NotFound("No such badge award.")
    found = db.session.scalar(sa.select(BadgeAward).where(BadgeAward.public_id == public_id))
    if found is None:
        raise NotFound("No such badge award.")
    return found


def credential_of(public_id, actor=current_actor):
    """An award's signed credential and its claims: to the learner, and to staff who see them or manage the
    badge. A revoked award's too (marked), so that its holder sees what was revoked."""
    found = award_by_public_id(public_id)
    badge = db.session.get(Badge, found.badge_id)
    allowed = _reads_person(found.user_id, actor)
    if not allowed:
        try:
            allowed = badge_services.can_manage(badge, actor) and badge_services.get_badge(badge.id, "see", actor)
        except NotFound:
            allowed = False
    if not allowed or not found.credential_jwt:
        raise NotFound("No such badge award.")
    return found, badge


# --- automatic awards ------------------------------------------------------------------------------------------


def award_met_badges(event):
    """After an event a strategy reacts to: every active badge whose strategy names that event and concerns
    it, that the learner may earn and was never given (a revoked award comes back only by hand), is checked;
    those met are awarded (in this transaction:
    several badges of one course completion come in one delivery). Returns the awards made."""
    user_id = event.user_id
    candidates = [
        badge
        for badge in db.session.scalars(sa.select(Badge).where(Badge.status == BadgeStatus.ACTIVE).order_by(Badge.id))
        if event.name in strategy_for(badge.criteria_strategy).events
        and strategy_for(badge.criteria_strategy).concerns(event, badge.criteria)
    ]
    if not candidates:
        return []
    held = set(
        db.session.scalars(
            sa.select(BadgeAward.badge_id).where(
                BadgeAward.user_id == user_id, BadgeAward.badge_id.in_([b.id for b in candidates])
            )
        )
    )
    facts = LearnerFacts(user_id)
    facts.prefetch(candidates)
    given = []
    for badge in candidates:
        if badge.id in held or not may_earn(badge, user_id):
            continue
        progress = strategy_for(badge.criteria_strategy).progress(badge.criteria, facts)
        if progress.met:
            made = award(badge.id, user_id, evidence={"event": event.name, "progress": progress.to_dict()})
            if made is not None:
                given.append(made)
    return given
