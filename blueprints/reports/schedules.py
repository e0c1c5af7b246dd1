"""Scheduled reports: a schedule asks for the same report daily, weekly or monthly at an UTC hour, as its owner
(the owner's audience when it runs), and the people it names get a link to it by mail once it is done.

Each run is an RQ job queued with `enqueue_at` for `next_run_at` on the event queue (`flask worker --events`).
Both workers run RQ's scheduler, so either queue would see the job at its time; the event queue's worker runs
short jobs without a fork, and a run is short: it records a report and queues its generation on the jobs
queue, where the long work belongs. Its other jobs are deliveries, so at 06:00 a run never waits behind an
hour of imports and report generation. The job carries the time it was queued for: a schedule edited, paused
or run since makes it a no-op, and the newer job counts. `flask reports sweep` queues again what a lost job
(a flushed Redis) left overdue.
"""

import logging
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from redis import RedisError
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from app.errors import BadRequest, DomainError, NotFound, PermissionDenied, TooManyRequests, ValidationFailed
from app.extensions import db
from app.jobs import get_event_queue, redis_connection, run_in_tenant
from app.security.actor import Actor
from app.security.permissions import ROLE_PERMISSIONS
from app.tenancy.context import require_tenant
from app.tenancy.locks import locked
from app.tenancy.models import utcnow
from blueprints.branches.queries import people_of
from blueprints.classes.queries import branch_of_class
from blueprints.reports import generation, kinds
from blueprints.reports.models import ReportSchedule
from blueprints.users import queries as people
from blueprints.users.services import principal_for_user

log = logging.getLogger(__name__)

CADENCES = ("daily", "weekly", "monthly")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MAX_RECIPIENTS = 50
MAX_SCHEDULES = 50  # per owner: each makes a report (a job and a file kept for days) every run
MAX_PERIOD_DAYS = 366
DEFAULT_PERIOD_DAYS = {"daily": 1, "weekly": 7, "monthly": 30}
RUN_JOB_TIMEOUT = 120
# Who may receive a report's link: staff who make reports themselves. A report lists other people's records;
# mailing it to a learner would show them their classmates'.
RECIPIENT_ROLES = tuple(role for role, granted in ROLE_PERMISSIONS.items() if "reports.manage" in granted)


# --- When -----------------------------------------------------------------------------------------------


def next_run(schedule, after):
    """The first run time of `schedule` (cadence, weekday, month_day, hour) strictly after `after` (naive UTC):
    a whole hour, on every day, on its weekday (0 Monday), or on its day of the month (1..28: every month has it)."""
    day = after.date()
    for _ in range(62):  # a monthly run is at most 31 days on; two months is more than enough
        if _runs_on(schedule, day):
            moment = datetime.combine(day, datetime.min.time()) + timedelta(hours=schedule.hour)
            if moment > after:
                return moment
        day += timedelta(days=1)
    raise ValueError(f"No run day for {schedule.cadence!r} (weekday {schedule.weekday}, day {schedule.month_day}).")


def _runs_on(schedule, day):
    if schedule.cadence == "weekly":
        return day.weekday() == schedule.weekday
    if schedule.cadence == "monthly":
        return day.day == schedule.month_day
    return True


def cadence_in_words(schedule):
    """The cadence in words, as the pages and mails show it ("Weekly on Monday at 06:00 UTC")."""
    at = f"at {schedule.hour:02d}:00 UTC"
    if schedule.cadence == "weekly" and schedule.weekday is not None:
        return f"Weekly on {WEEKDAYS[schedule.weekday]} {at}"
    if schedule.cadence == "monthly" and schedule.month_day is not None:
        return f"Monthly on day {schedule.month_day} {at}"
    return f"Daily {at}"


# --- Who ------------------------------------------------------------------------------------------------


def recipient_reach(scope):
    """A select of the ids of the people a schedule owner with this scope may name (None: everyone): the
    members of the branches they manage and of the branches of the classes they teach."""
    if scope.organization_wide:
        return None
    branch_ids = set(scope.branch_ids) | {branch_of_class(class_id) for class_id in scope.taught_class_ids}
    return people_of([branch_id for branch_id in branch_ids if branch_id is not None])


def recipient_choices(owner_id, scope, text="", chosen_ids=(), limit=10):
    """For the picker: (the chosen people, up to `limit` others matching `text`) an owner may name."""
    chosen = recipients_in_reach(owner_id, scope, chosen_ids)
    matches = []
    if text.strip():
        found = people.active_people_with_roles(RECIPIENT_ROLES, recipient_reach(scope), text=text, limit=limit * 2)
        matches = [person for person in found if person.id not in {p.id for p in chosen}][:limit]
    return chosen, matches


def recipients_in_reach(owner_id, scope, user_ids):
    """The people among `user_ids` the owner may name (active staff in their reach, and the owner), as User rows."""
    ids = [int(i) for i in user_ids if str(i).isdigit() and int(i) < 2**31][: MAX_RECIPIENTS * 2]
    if not ids:
        return []
    reach = recipient_reach(scope)
    found = people.active_people_with_roles(RECIPIENT_ROLES, reach, user_ids=ids)
    if owner_id in ids and owner_id not in {person.id for person in found}:
        found = [*people.active_people_with_roles(RECIPIENT_ROLES, None, user_ids=[owner_id]), *found]
    return found


# --- What -----------------------------------------------------------------------------------------------


def clean_schedule(data, actor, current=None):
    """The schedule's fields from `data` (missing ones from `current`), checked. A value out of shape is a 400
    naming its field (every field's problems at once); a branch, class, course or learner the actor does not
    reach is a 404, as for a report; a recipient outside the owner's reach is a 422 naming `recipient_ids`."""
    merged = (_fields_of(current) if current is not None else {}) | {k: v for k, v in data.items() if k in FIELDS}
    errors = {}
    name = " ".join(str(merged.get("name") or "").split())  # one line: it is a mail's subject
    if not name:
        errors["name"] = ["Give the schedule a name."]
    elif len(name) > 200:
        errors["name"] = ["At most 200 characters."]
    kind = _checked(lambda: kinds.kind_named(merged.get("kind")), errors)
    if kind is not None:
        _checked(lambda: kinds.check_format(kind, merged.get("format")), errors)
    timing = _timing(merged, errors)
    raw_params, period = _raw_params(merged.get("params"), timing["cadence"], errors)
    recipient_ids = _recipient_ids(merged.get("recipient_ids"), errors)
    if errors:
        raise BadRequest("The schedule has problems.", errors)

    params = kinds.validate_params(kind, raw_params, actor).as_json()  # 400 or 404 of its own
    params = {key: value for key, value in params.items() if key not in ("date_from", "date_to")}
    if kind.periodic:
        params["period_days"] = period
    owner = actor if current is None or current.owner_id == actor.id else _owner_actor(current) or actor
    allowed = {person.id for person in recipients_in_reach(owner.id, owner.scope, recipient_ids)}
    outside = [i for i in recipient_ids if i not in allowed]
    if outside:
        raise ValidationFailed(
            "Some recipients are not people this schedule can mail.",
            {"recipient_ids": ["Not active staff of its owner's branches: " + ", ".join(map(str, outside)) + "."]},
        )
    return (
        {"name": name, "kind": kind.name, "format": merged["format"], "params": params}
        | timing
        | {"recipient_ids": recipient_ids}
    )


def _timing(merged, errors):
    """cadence, weekday (weekly only), month_day (monthly only) and hour, checked."""
    cadence = merged.get("cadence")
    weekday, month_day, hour = merged.get("weekday"), merged.get("month_day"), merged.get("hour", 6)
    if cadence not in CADENCES:
        errors["cadence"] = ["Daily, weekly or monthly."]
    if cadence != "weekly":
        weekday = None
    elif not _int_between(weekday, 0, 6):
        errors["weekday"] = ["Choose a day of the week (0 Monday ... 6 Sunday)."]
    if cadence != "monthly":
        month_day = None
    elif not _int_between(month_day, 1, 28):
        errors["month_day"] = ["A day from 1 to 28 (every month has it)."]
    if not _int_between(hour, 0, 23):
        errors["hour"] = ["An hour from 0 to 23 (UTC)."]
    return {"cadence": cadence, "weekday": weekday, "month_day": month_day, "hour": hour}


def _raw_params(raw, cadence, errors):
    """(the report's filters as given, the period in days): a schedule has no fixed dates."""
    if raw is not None and not isinstance(raw, dict):
        errors["params"] = ["An object of parameters."]
    params = dict(raw) if isinstance(raw, dict) else {}
    period = params.pop("period_days", None) or DEFAULT_PERIOD_DAYS.get(cadence, 7)
    if not _int_between(period, 1, MAX_PERIOD_DAYS):
        errors["period_days"] = [f"From 1 to {MAX_PERIOD_DAYS} days."]
    for dated in ("date_from", "date_to"):
        if params.pop(dated, None) not in (None, ""):
            errors[dated] = ["A schedule's report covers the period_days before each run, not fixed dates."]
    return params, period


def _recipient_ids(raw, errors):
    ids = raw or []
    if not isinstance(ids, list) or not all(_int_between(i, 1, 2**31 - 1) for i in ids):
        errors["recipient_ids"] = ["A list of people's ids."]
        return []
    ids = list(dict.fromkeys(ids))
    if len(ids) > MAX_RECIPIENTS:
        errors["recipient_ids"] = [f"At most {MAX_RECIPIENTS} people."]
    return ids


FIELDS = ("name", "kind", "format", "params", "cadence", "weekday", "month_day", "hour", "recipient_ids")


def _fields_of(schedule):
    return {field: getattr(schedule, field) for field in FIELDS}


def _int_between(value, low, high):
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _checked(check, errors):
    """check()'s answer, or None with its BadRequest's field problems added to `errors`."""
    try:
        return check()
    except BadRequest as error:
        for field, messages in error.details.items():
            errors.setdefault(field, []).extend(messages)
        return None


def _owner_actor(schedule):
    """The schedule's owner as an actor (None when they are no longer active)."""
    principal = principal_for_user(schedule.owner_id)
    return Actor(principal) if principal is not None else None


def report_params(schedule, run_at):
    """The parameters of the report a run makes: the filters, and the `period_days` UTC days up to the day
    before the run (a run at 06:00 reports on whole days)."""
    params = {key: value for key, value in (schedule.params or {}).items() if key != "period_days"}
    period = (schedule.params or {}).get("period_days")
    if not period:  # a kind without a period
        return params
    last_day = (run_at - timedelta(days=1)).date()
    return params | {"date_from": (last_day - timedelta(days=period - 1)).isoformat(), "date_to": last_day.isoformat()}


# --- Managing -------------------------------------------------------------------------------------------


def schedules_for(actor, everyone=False):
    """The actor's schedules; an org admin's (or an org-wide key's) `everyone`: the organization's, newest first.
    A key owns none: its id is no person's, even when a person has the same number."""
    stmt = sa.select(ReportSchedule).order_by(ReportSchedule.id.desc())
    if not (everyone and actor.scope.organization_wide):
        if actor.kind != "user":
            return []
        stmt = stmt.where(ReportSchedule.owner_id == actor.id)
    return db.session.scalars(stmt).all()


def get_schedule(schedule_id, actor):
    """A schedule its owner or an org admin may manage; anyone else: not found."""
    schedule = db.session.get(ReportSchedule, schedule_id) if _int_between(schedule_id, 1, 2**31 - 1) else None
    if schedule is None or not _may_manage(schedule, actor):
        raise NotFound("No such schedule.")
    return schedule


def _may_manage(schedule, actor):
    if actor.kind != "user":  # a key's id is no person's: it owns and changes none (an org-wide one lists them)
        return False
    return schedule.owner_id == actor.id or actor.scope.organization_wide


def create_schedule(data, actor, now=None):
    """A new schedule owned by the actor (a person: a schedule mails as someone), queued for its first run."""
    if actor.kind != "user":
        raise PermissionDenied("A schedule belongs to a person; an API key cannot own one.", code="PERSON_ONLY")
    owned = db.session.scalar(sa.select(sa.func.count(ReportSchedule.id)).where(ReportSchedule.owner_id == actor.id))
    if owned >= MAX_SCHEDULES:
        raise TooManyRequests(
            f"You have {owned} scheduled reports; delete one before adding another.",
            {"name": [f"At most {MAX_SCHEDULES} scheduled reports each."]},
        )
    fields = clean_schedule(data, actor)
    schedule = ReportSchedule(**fields, owner_id=actor.id, active=True)
    schedule.next_run_at = next_run(schedule, now or utcnow())
    db.session.add(schedule)
    db.session.commit()
    queue_run(schedule)
    return schedule


def update_schedule(schedule_id, data, actor, now=None):
    """Change a schedule (its owner or an org admin); `active` pauses or resumes it. The next run is worked
    out again, and the job of the old one does nothing."""
    schedule = get_schedule(schedule_id, actor)
    if set(data) - {"active"}:  # pausing alone checks nothing else: a schedule that cannot run can still stop
        for key, value in clean_schedule(data, actor, current=schedule).items():
            setattr(schedule, key, value)
    if "active" in data:
        if not isinstance(data["active"], bool):
            raise ValidationFailed("The schedule has problems.", {"active": ["true or false."]})
        schedule.active = data["active"]
    schedule.next_run_at = next_run(schedule, now or utcnow()) if schedule.active else None
    db.session.commit()
    queue_run(schedule)
    return schedule


def set_paused(schedule_id, paused, actor, now=None):
    """Pause (no more runs) or resume (the next run from now) a schedule."""
    schedule = get_schedule(schedule_id, actor)
    schedule.active = not paused
    schedule.next_run_at = None if paused else next_run(schedule, now or utcnow())
    db.session.commit()
    queue_run(schedule)
    return schedule


def delete_schedule(schedule_id, actor):
    """Delete a schedule; its reports stay (until they expire)."""
    schedule = get_schedule(schedule_id, actor)
    db.session.delete(schedule)
    db.session.commit()


# --- Running --------------------------------------------------------------------------------------------


def run_job_id(schedule):
    """One job per schedule and run time: the sweep sees whether it still exists."""
    return f"report-schedule_{require_tenant().slug}_{schedule.id}_{schedule.next_run_at:%Y%m%dT%H%M%S}"


def queue_run(schedule):
    """Queue the job of the schedule's next run (none when paused). Redis being away loses nothing: the sweep
    queues it."""
    if not schedule.active or schedule.next_run_at is None:
        return None
    try:
        return get_event_queue().enqueue_at(
            schedule.next_run_at.replace(tzinfo=UTC),
            run_in_tenant,
            require_tenant().slug,
            f"{__name__}.run_when_due",
            schedule.id,
            schedule.next_run_at.isoformat(),
            job_id=run_job_id(schedule),
            job_timeout=RUN_JOB_TIMEOUT,
            meta={"tenant": require_tenant().slug},
        )
    except RedisError:
        log.warning("Could not queue the next run of report schedule %s; the sweep will", schedule.id)
        return None


def run_when_due(schedule_id, due_at):
    """The run job: ask for the report as the owner and queue the next run, unless the schedule was paused,
    deleted or moved since this job was queued for `due_at` (ISO, naive UTC). A deactivated owner (or one who
    may no longer make reports), or filters now out of the owner's reach, pause the schedule."""
    now = utcnow()
    schedule = next(iter(locked(sa.select(ReportSchedule).where(ReportSchedule.id == schedule_id))), None)
    stale = _stale(schedule, due_at)
    if stale:
        db.session.commit()
        return stale
    if now < schedule.next_run_at:  # RQ schedules to the second: a job a little early comes back on time
        db.session.commit()
        queue_run(schedule)
        return "not due yet"
    principal = principal_for_user(schedule.owner_id)
    if principal is None or not principal.can("reports.manage"):
        return _pause(schedule.id, "its owner is inactive or may no longer make reports")
    owner = Actor(principal)
    recipients = [person.id for person in recipients_in_reach(owner.id, owner.scope, schedule.recipient_ids or [])]
    due = datetime.fromisoformat(due_at)
    schedule.last_run_at = now
    schedule.next_run_at = next_run(schedule, max(now, due))
    try:
        report, _job = generation.request_report(
            schedule.kind,
            schedule.format,
            report_params(schedule, due),
            actor=owner,
            schedule=schedule,
            recipients=recipients,
        )
    except DomainError as error:  # its branch, class, course or learner is out of the owner's reach now
        db.session.rollback()
        return _pause(schedule_id, f"its report cannot be made as its owner: {error.message}")
    schedule.last_report_id = report.id
    db.session.commit()
    queue_run(schedule)
    return f"report {report.id}"


def _stale(schedule, due_at):
    """Why a run job queued for `due_at` has nothing to do (None: it has)."""
    if schedule is None:
        return "deleted"
    if not schedule.active:
        return "paused"
    if schedule.next_run_at is None or schedule.next_run_at.isoformat() != due_at:
        return "moved"
    return None


def _pause(schedule_id, why):
    """Pause a schedule that cannot run (its page shows it paused; its owner edits or deletes it)."""
    schedule = db.session.get(ReportSchedule, schedule_id)
    schedule.active, schedule.next_run_at = False, None
    db.session.commit()
    log.warning("Report schedule %s paused: %s", schedule_id, why)
    return f"paused: {why}"


def requeue_overdue(now=None, grace=timedelta(minutes=2)):
    """Queue the run of every active schedule whose time passed more than `grace` ago and whose job is gone
    (a flushed Redis, a job that failed for good). A duplicate does no harm: only the first run moves
    `next_run_at`, and the other finds it moved. Returns how many were queued."""
    overdue = db.session.scalars(
        sa.select(ReportSchedule).where(ReportSchedule.active, ReportSchedule.next_run_at < (now or utcnow()) - grace)
    ).all()
    lost = [schedule for schedule in overdue if not _job_waiting(run_job_id(schedule))]
    for schedule in lost:
        queue_run(schedule)
    return len(lost)


def _job_waiting(job_id):
    try:
        status = Job.fetch(job_id, connection=redis_connection()).get_status()
    except NoSuchJobError:
        return False
    return status in (JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.STARTED, JobStatus.DEFERRED)
