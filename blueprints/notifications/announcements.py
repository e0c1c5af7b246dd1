"""Announcements: a message from staff to an audience in their scope, now or at `send_at` (docs/notifications.md,
"Announcements").

Who may announce to whom (the author's *reach*): an org admin, anyone; a branch manager, the members of the
branches they manage; a teacher, the students of the classes they teach and the learners of the courses they
teach (a person who manages and teaches has both). An audience names branches, classes, courses or people; one
out of the author's reach is a 404 naming `audience_ids` when it is sent, so nobody learns what exists elsewhere.

The people told are worked out when it is SENT, not when it is written (people join and leave): the active
people of the audience who are within the author's reach on that day, in one SQL statement. Sending is a job
(RQ, at `send_at` for a scheduled one) that moves the announcement scheduled -> sending -> sent and tells the
people in chunks, each committed: a job killed half way is queued again by the sweep
(`send_due_announcements`), which finds the people told already (the notifications' unique key) and tells the
rest. Nobody is told twice.
"""

import logging
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, timedelta

import sqlalchemy as sa
from redis import RedisError
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from app.api.listing import ListSpec, parse_list_query, run_list_query
from app.errors import Conflict, NotFound, PermissionDenied, TooManyRequests, ValidationFailed
from app.extensions import db
from app.jobs import enqueue, get_queue, redis_connection, run_in_tenant
from app.security.actor import Actor
from app.tenancy.context import require_tenant
from app.tenancy.locks import locked
from app.tenancy.models import utcnow
from blueprints.branches.queries import branch_choices, branch_names, existing_branch_ids, people_of
from blueprints.classes.queries import class_names, students_of_classes
from blueprints.classes.services import CLASS_LIST, list_classes
from blueprints.courses.queries import course_titles, courses_taught_by
from blueprints.courses.services import visible_course_ids
from blueprints.learning.queries import learners_of
from blueprints.notifications.models import Announcement, AnnouncementStatus, Notification
from blueprints.notifications.producing import notify
from blueprints.users.models import User
from blueprints.users.queries import active_people_with_roles, contacts_of, existing_user_ids
from blueprints.users.services import principal_for_user

log = logging.getLogger(__name__)

AUDIENCES = ("organization", "branch", "class", "course", "people")
MAX_TITLE, MAX_BODY = 200, 10_000
MAX_IDS = {"branch": 50, "class": 50, "course": 50, "people": 1000}
MAX_AHEAD = timedelta(days=365)
PER_HOUR = 20  # per author: a teacher's day needs a handful; a script gone wrong stops at 20
CHUNK = 1000  # people told per transaction: a job killed half way keeps what it committed
JOB_TIMEOUT = 600
SWEEP_GRACE = timedelta(minutes=1)  # a scheduled announcement later than this, with no job waiting, is queued again

ANNOUNCEMENT_LIST = ListSpec(
    filters={
        "id": Announcement.id,
        "status": Announcement.status,
        "audience": Announcement.audience,
        "author_id": Announcement.author_id,
        "send_at": Announcement.send_at,
        "created_at": Announcement.created_at,
    },
    sorts={"id": Announcement.id, "send_at": Announcement.send_at, "created_at": Announcement.created_at},
    default_sort=("-id",),
    tiebreaker=Announcement.id,
)


# --- reach -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reach:
    """Whom an author may tell: everyone, or the members of `branch_ids`, the students of `class_ids` and the
    learners of the courses `teacher_id` teaches."""

    everyone: bool
    branch_ids: frozenset = frozenset()
    class_ids: frozenset = frozenset()
    teacher_id: int | None = None

    def people(self):
        """A select of the ids of the people in reach (None: everyone)."""
        if self.everyone:
            return None
        selects = []
        if self.branch_ids:
            selects.append(people_of(self.branch_ids))
        if self.class_ids:
            selects.append(students_of_classes(self.class_ids))
        if self.teacher_id is not None:
            selects.append(learners_of(courses_taught_by(self.teacher_id)))
        if not selects:
            return sa.select(User.id).where(sa.false())
        return selects[0] if len(selects) == 1 else sa.union(*selects)


def reach_of(actor):
    """The reach of an actor (a person: an announcement is signed by someone; an API key is refused)."""
    if actor.kind != "user":
        raise PermissionDenied(
            "An announcement is signed by a person; an API key cannot send or cancel one.", code="PERSON_ONLY"
        )
    scope = actor.scope
    if scope.organization_wide:
        return Reach(True)
    return Reach(False, frozenset(scope.branch_ids or ()), frozenset(scope.taught_class_ids or ()), actor.id)


def _reachable_branches(ids, _actor, reach):
    found = existing_branch_ids(ids)
    return found if reach.everyone else found & reach.branch_ids


def _reachable_classes(ids, _actor, reach):
    return {
        class_id
        for class_id, (_name, branch_id) in class_names(ids).items()
        if reach.everyone or branch_id in reach.branch_ids or class_id in reach.class_ids
    }


def _reachable_courses(ids, actor, reach):
    """Any course for an org admin; the courses a teacher teaches; and a branch manager's visible ones (their
    learners are then the members of the manager's branches)."""
    if reach.everyone:
        return set(course_titles(ids))
    taught = set(db.session.scalars(courses_taught_by(reach.teacher_id))) & set(ids)
    if not reach.branch_ids:
        return taught
    visible = visible_course_ids(actor.principal, actor.scope).subquery()
    return taught | set(db.session.scalars(sa.select(visible.c.id).where(visible.c.id.in_(ids))))


def _reachable_people(ids, _actor, reach):
    if reach.everyone:
        return existing_user_ids(ids)
    return set(db.session.scalars(sa.select(User.id).where(User.id.in_(ids), User.id.in_(reach.people()))))


# audience -> the ids among these of that kind (existing ones) the author reaches
REACHABLE = {
    "branch": _reachable_branches,
    "class": _reachable_classes,
    "course": _reachable_courses,
    "people": _reachable_people,
}

NOT_IN_REACH = {
    "branch": "No such branch among yours",
    "class": "No such class among yours",
    "course": "No such course among yours",
    "people": "Nobody of that id among the people you reach",
}


def _check_reach(audience, ids, actor, reach):
    if audience == "organization":
        if not reach.everyone:
            raise PermissionDenied(
                "Only org admins announce to the whole organization.",
                {"audience": ["Choose a branch, class, course or people you reach."]},
                code="OUT_OF_SCOPE",
            )
        return
    missing = sorted(set(ids) - REACHABLE[audience](ids, actor, reach))
    if missing:
        message = f"{NOT_IN_REACH[audience]}: {', '.join(map(str, missing[:20]))}."
        raise NotFound(message, {"audience_ids": [message]})


def audience_people(audience, ids, reach, author_id=None):
    """A select of the ids of the active people an announcement to this audience tells today, within `reach`
    (its author aside: they wrote it)."""
    stmt = sa.select(User.id).where(User.is_active, User.id != (author_id or -1))
    if audience == "branch":
        stmt = stmt.where(User.id.in_(people_of(ids)))
    elif audience == "class":
        stmt = stmt.where(User.id.in_(students_of_classes(ids)))
    elif audience == "course":
        stmt = stmt.where(User.id.in_(learners_of(ids)))
    elif audience == "people":
        stmt = stmt.where(User.id.in_(ids or [-1]))
    within = reach.people()
    return stmt if within is None else stmt.where(User.id.in_(within))


# --- writing one ----------------------------------------------------------------------------------------


def _clean(data, now):
    """(title, body, audience, ids, send_at) from `data`, or a 422 naming every field that is wrong."""
    errors = {}
    title, body = _clean_text(data, errors)
    audience, ids = _clean_audience(data, errors)
    send_at = _clean_send_at(data.get("send_at"), now, errors)
    if errors:
        raise ValidationFailed("The announcement has problems.", errors)
    return title, body, audience, ids, send_at


def _clean_text(data, errors):
    title = " ".join(str(data.get("title") or "").split())  # one line: it is a subject
    if not title:
        errors["title"] = ["Give the announcement a title."]
    elif len(title) > MAX_TITLE:
        errors["title"] = [f"At most {MAX_TITLE} characters."]
    body = str(data.get("body") or "").replace("\r\n", "\n").strip()
    if not body:
        errors["body"] = ["Write the message."]
    elif len(body) > MAX_BODY:
        errors["body"] = [f"At most {MAX_BODY} characters."]
    return title, body


def _clean_audience(data, errors):
    audience, raw_ids = data.get("audience"), data.get("audience_ids") or []
    if audience not in AUDIENCES:
        errors["audience"] = [f"One of {', '.join(AUDIENCES)}."]
        return audience, []
    if audience == "organization":
        return audience, []
    if not isinstance(raw_ids, list) or not all(
        isinstance(i, int) and not isinstance(i, bool) and 1 <= i < 2**31 for i in raw_ids
    ):
        errors["audience_ids"] = ["A list of ids."]
        return audience, []
    ids = sorted(set(raw_ids))
    if not ids:
        errors["audience_ids"] = [f"Choose at least one {'person' if audience == 'people' else audience}."]
    elif len(ids) > MAX_IDS[audience]:
        errors["audience_ids"] = [f"At most {MAX_IDS[audience]}."]
    return audience, ids


def _clean_send_at(send_at, now, errors):
    """Naive UTC, in the future and at most a year ahead (None: now)."""
    if send_at is None:
        return None
    send_at = send_at.astimezone(UTC).replace(tzinfo=None) if send_at.tzinfo else send_at
    if send_at <= now:
        errors["send_at"] = ["A moment in the future (or none: send it now)."]
    elif send_at > now + MAX_AHEAD:
        errors["send_at"] = ["At most a year ahead."]
    return send_at


def create_announcement(data, actor, now=None):
    """Write an announcement signed by the actor and queue its sending (now, or at `send_at`). 422 naming the
    fields that are wrong; 403 for the organization unless an org admin; 404 naming `audience_ids` for a branch,
    class, course or person out of reach; 429 past `PER_HOUR` announcements in the last hour."""
    now = now or utcnow()
    reach = reach_of(actor)
    title, body, audience, ids, send_at = _clean(data, now)
    _check_reach(audience, ids, actor, reach)
    recent = db.session.scalar(
        sa.select(sa.func.count(Announcement.id)).where(
            Announcement.author_id == actor.id, Announcement.created_at > now - timedelta(hours=1)
        )
    )
    if recent >= PER_HOUR:
        raise TooManyRequests(
            f"You sent {recent} announcements in the last hour; wait a little before the next.",
            {"audience": [f"At most {PER_HOUR} announcements an hour."]},
            headers={"Retry-After": "600"},
        )
    announcement = Announcement(
        title=title,
        body=body,
        audience=audience,
        audience_ids=ids,
        author_id=actor.id,
        send_at=send_at or now,
        status=AnnouncementStatus.SCHEDULED,
        created_at=now,
    )
    db.session.add(announcement)
    db.session.commit()
    queue_sending(announcement, now)
    return announcement


def job_id_of(announcement_id):
    """One job per announcement: the sweep sees whether it still waits."""
    return f"announcement_{require_tenant().slug}_{announcement_id}"


def queue_sending(announcement, now=None):
    """Queue the job that sends it: now, or at `send_at` (the worker's scheduler moves it then). Redis away loses
    nothing: the sweep queues it."""
    dotted = f"{__name__}.{send_announcement.__name__}"
    try:
        if announcement.send_at <= (now or utcnow()):
            return enqueue(
                require_tenant(), dotted, announcement.id, job_id=job_id_of(announcement.id), timeout=JOB_TIMEOUT
            )
        return get_queue().enqueue_at(
            announcement.send_at.replace(tzinfo=UTC),
            run_in_tenant,
            require_tenant().slug,
            dotted,
            announcement.id,
            job_id=job_id_of(announcement.id),
            job_timeout=JOB_TIMEOUT,
            meta={"tenant": require_tenant().slug},
        )
    except RedisError:
        log.warning("Could not queue announcement %s; the sweep will", announcement.id)
        return None


def cancel_announcement(announcement_id, actor):
    """Cancel a scheduled announcement (its author, or an org admin); 409 once it is sending or sent."""
    get_announcement(announcement_id, actor)  # 404 first: what a caller cannot see, it cannot learn more about
    reach_of(actor)  # a person
    announcement = locked(sa.select(Announcement).where(Announcement.id == announcement_id))[0]
    if announcement.status != AnnouncementStatus.SCHEDULED:
        db.session.rollback()
        raise Conflict(
            f"This announcement is {announcement.status}: only a scheduled one can be cancelled.",
            {"status": [announcement.status]},
            code="NOT_SCHEDULED",
        )
    announcement.status = AnnouncementStatus.CANCELLED
    db.session.commit()
    _forget_job(announcement.id)
    return announcement


def _forget_job(announcement_id):
    """Drop the waiting job of a cancelled announcement (were it left, it would find it cancelled anyway)."""
    with suppress(NoSuchJobError, RedisError):
        Job.fetch(job_id_of(announcement_id), connection=redis_connection()).cancel()


# --- reading --------------------------------------------------------------------------------------------


def _visible(actor):
    """Announcements the actor sees: their own; an org admin (or an org-wide key) everyone's."""
    stmt = sa.select(Announcement)
    if actor.scope.organization_wide:
        return stmt
    if actor.kind != "user":
        return stmt.where(sa.false())
    return stmt.where(Announcement.author_id == actor.id)


def list_announcements(query, actor):
    return run_list_query(db.session, _visible(actor), query, ANNOUNCEMENT_LIST)


def get_announcement(announcement_id, actor):
    announcement = db.session.scalar(_visible(actor).where(Announcement.id == announcement_id))
    if announcement is None:
        raise NotFound("No such announcement.")
    return announcement


def may_cancel(announcement, actor):
    return announcement.status == AnnouncementStatus.SCHEDULED and actor.kind == "user"


AUDIENCE_WORDS = {"branch": ("Branch", "Branches"), "class": ("Class", "Classes"), "course": ("Course", "Courses")}


def is_on_its_way(announcement, now=None):
    """Sending, or due: its page refreshes its status until it is sent."""
    return announcement.status == AnnouncementStatus.SENDING or (
        announcement.status == AnnouncementStatus.SCHEDULED and announcement.send_at <= (now or utcnow())
    )


def audience_names(announcements):
    """{announcement id: its audience in words} for a page of announcements (one query per kind)."""
    wanted = {}
    for announcement in announcements:
        wanted.setdefault(announcement.audience, set()).update(announcement.audience_ids or [])
    names = {
        "branch": branch_names(wanted.get("branch", ())),
        "class": {i: name for i, (name, _branch) in class_names(wanted.get("class", ())).items()},
        "course": course_titles(wanted.get("course", ())),
        "people": {i: name or email for i, (name, email) in contacts_of(wanted.get("people", ())).items()},
    }
    described = {}
    for announcement in announcements:
        if announcement.audience == "organization":
            described[announcement.id] = "Everyone in the organization"
            continue
        found = [names[announcement.audience].get(i, f"#{i}") for i in announcement.audience_ids or []]
        shown = ", ".join(found[:5]) + (f" and {len(found) - 5} more" if len(found) > 5 else "")
        one, many = AUDIENCE_WORDS.get(announcement.audience, ("People", "People"))
        described[announcement.id] = f"{one if len(found) == 1 else many}: {shown}"
    return described


# --- sending --------------------------------------------------------------------------------------------


def send_announcement(announcement_id):
    """The job: tell the audience (scheduled -> sending -> sent). Run twice, or again after a crash, it tells
    only those not told yet; a cancelled or sent one is left alone; one run early is queued for its time."""
    now = utcnow()
    rows = locked(sa.select(Announcement).where(Announcement.id == announcement_id))
    announcement = rows[0] if rows else None
    if announcement is None or announcement.status in (AnnouncementStatus.SENT, AnnouncementStatus.CANCELLED):
        db.session.commit()
        return "nothing to do"
    if announcement.send_at > now:  # RQ schedules to the second: early comes back on time
        db.session.commit()
        queue_sending(announcement, now)
        return "not due yet"
    announcement.status = AnnouncementStatus.SENDING
    db.session.commit()

    principal = principal_for_user(announcement.author_id) if announcement.author_id else None
    if principal is None or not principal.can("notifications.announce"):
        announcement.status = AnnouncementStatus.CANCELLED
        db.session.commit()
        log.warning("Announcement %s cancelled: its author is gone or may no longer announce", announcement_id)
        return "cancelled: the author may no longer announce"
    reach = reach_of(Actor(principal))
    audience = audience_people(announcement.audience, announcement.audience_ids, reach, announcement.author_id)
    people = list(db.session.scalars(audience.order_by(User.id)))
    author = contacts_of([announcement.author_id]).get(announcement.author_id, ("", ""))
    context = {
        "announcement": {"title": announcement.title, "body": announcement.body, "author": author[0] or author[1]}
    }
    for start in range(0, len(people), CHUNK):
        notify(
            "announcement",
            people[start : start + CHUNK],
            source_key=f"announcement:{announcement_id}",
            context=context,
            announcement_id=announcement_id,
        )
        db.session.commit()
    told = db.session.scalar(
        sa.select(sa.func.count(Notification.id)).where(Notification.announcement_id == announcement_id)
    )
    db.session.execute(
        sa.update(Announcement)
        .where(Announcement.id == announcement_id)
        .values(status=AnnouncementStatus.SENT, recipients=told, sent_at=utcnow())
    )
    db.session.commit()
    return f"sent to {told}"


def send_due_announcements(now=None):
    """The sweep's safety net: queue the sending of announcements whose job was lost (a flushed Redis, a job
    that failed for good, a worker killed half way): scheduled ones past their time by `SWEEP_GRACE`, and those
    left `sending`, when no job of theirs waits or runs. A duplicate does no harm (nobody is told twice).
    Returns how many were queued."""
    now = now or utcnow()
    due = db.session.scalars(
        sa.select(Announcement).where(
            sa.or_(
                sa.and_(Announcement.status == AnnouncementStatus.SCHEDULED, Announcement.send_at <= now - SWEEP_GRACE),
                Announcement.status == AnnouncementStatus.SENDING,
            )
        )
    ).all()
    lost = [announcement for announcement in due if not _job_waiting(job_id_of(announcement.id))]
    for announcement in lost:
        queue_sending(announcement, now)
    return len(lost)


def _job_waiting(job_id):
    try:
        status = Job.fetch(job_id, connection=redis_connection()).get_status()
    except NoSuchJobError:
        return False
    except RedisError:
        return True  # Redis away: nothing can be queued now anyway
    return status in (JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.STARTED, JobStatus.DEFERRED)


# --- the page's choices ---------------------------------------------------------------------------------

PICKER_ROLES = ("org_admin", "branch_manager", "teacher", "student")


def audience_choices(actor):
    """(id, name) of the branches, classes and courses the actor may announce to, by name."""
    reach = reach_of(actor)
    branches = branch_choices(actor.scope) if reach.everyone or reach.branch_ids else []
    classes = list_classes(parse_list_query({"per_page": "100", "sort": "name"}, CLASS_LIST), actor.scope).items
    course_ids = set(db.session.scalars(courses_taught_by(actor.id)))
    if reach.everyone or reach.branch_ids:
        course_ids |= set(db.session.scalars(visible_course_ids(actor.principal, actor.scope)))
    courses = sorted(course_titles(course_ids).items(), key=lambda pair: (pair[1].lower(), pair[0]))
    return {
        "organization": reach.everyone,
        "branch": [(row.id, row.name) for row in branches],
        "class": [(row.id, row.name) for row in classes],
        "course": courses[:500],
    }


def people_choices(actor, text="", chosen_ids=(), limit=10):
    """For the people picker: (the chosen people the actor reaches, up to `limit` others matching `text`)."""
    reach = reach_of(actor)
    ids = [int(i) for i in chosen_ids if str(i).isdigit() and int(i) < 2**31][: MAX_IDS["people"]]
    chosen = active_people_with_roles(PICKER_ROLES, reach.people(), user_ids=ids) if ids else []
    matches = []
    if text.strip():
        found = active_people_with_roles(PICKER_ROLES, reach.people(), text=text, limit=limit + len(chosen))
        matches = [person for person in found if person.id not in {p.id for p in chosen}][:limit]
    return chosen, matches
