"""`/api/v1/reports/schedules`: scheduled reports (a report made daily, weekly or monthly as its owner, its link
mailed to the people it names)."""

import marshmallow as ma
from flask.views import MethodView
from marshmallow import validate

from app.api.blueprint import ApiBlueprint
from app.api.types import ChangesSchema, Id, Integer, UtcDateTime
from app.security.actor import current_actor
from app.security.principal import requires
from blueprints.reports import schedules

blp = ApiBlueprint(
    "report_schedules",
    __name__,
    url_prefix="/api/v1/reports/schedules",
    description="Scheduled reports: made as their owner at an UTC hour, their link mailed to the recipients.",
)
TAGS = ["reports"]


class ScheduleParamsSchema(ma.Schema):
    branch_id = Id(metadata={"description": "people who are members of this branch"})
    class_id = Id(metadata={"description": "students of this class"})
    course_id = Id(metadata={"description": "enrollments of this course"})
    user_id = Id(metadata={"description": "the learner of a `learner_transcript` (required for it)"})
    period_days = Integer(
        minimum=1,
        maximum=schedules.MAX_PERIOD_DAYS,
        metadata={"description": "the UTC days covered, up to the day before each run (default 1, 7 or 30 by cadence)"},
    )


class ScheduleFieldsSchema(ma.Schema):
    name = ma.fields.String(validate=validate.Length(min=1, max=200))
    kind = ma.fields.String(metadata={"description": "a report kind (docs/analytics.md, Reports)"})
    format = ma.fields.String(metadata={"description": "csv, xlsx or pdf, as the kind allows"})
    params = ma.fields.Nested(ScheduleParamsSchema)
    cadence = ma.fields.String(validate=validate.OneOf(schedules.CADENCES))
    weekday = Integer(minimum=0, maximum=6, allow_none=True, metadata={"description": "weekly: 0 Monday ... 6 Sunday"})
    month_day = Integer(minimum=1, maximum=28, allow_none=True, metadata={"description": "monthly: day 1 to 28"})
    hour = Integer(minimum=0, maximum=23, metadata={"description": "the UTC hour of each run (default 6)"})
    recipient_ids = ma.fields.List(
        Id(),
        validate=validate.Length(max=schedules.MAX_RECIPIENTS),
        metadata={"description": "people mailed the report's link: staff of the owner's branches (or the owner)"},
    )


class ScheduleSchema(ScheduleFieldsSchema):
    id = ma.fields.Integer(dump_only=True)
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = ma.fields.String(required=True)
    format = ma.fields.String(required=True)
    cadence = ma.fields.String(required=True, validate=validate.OneOf(schedules.CADENCES))
    active = ma.fields.Boolean(dump_only=True, metadata={"description": "false: paused"})
    owner_id = ma.fields.Integer(dump_only=True)
    next_run_at = UtcDateTime(dump_only=True, allow_none=True)
    last_run_at = UtcDateTime(dump_only=True, allow_none=True)
    last_report_id = ma.fields.Integer(dump_only=True, allow_none=True)
    created_at = UtcDateTime(dump_only=True)
    updated_at = UtcDateTime(dump_only=True)


class ScheduleUpdateSchema(ScheduleFieldsSchema, ChangesSchema):
    active = ma.fields.Boolean(metadata={"description": "false pauses the schedule, true resumes it"})


class ScheduleListArgs(ma.Schema):
    all = ma.fields.Boolean(load_default=False, metadata={"description": "org admins: everyone's schedules"})


class ScheduleDeletedSchema(ma.Schema):
    id = ma.fields.Integer()


@blp.route("", tags=TAGS)
class ReportSchedules(MethodView):
    @requires("reports.manage")
    @blp.arguments(ScheduleListArgs, location="query")
    @blp.response(200, ScheduleSchema(many=True))
    def get(self, args):
        """Your schedules (an org admin's `all=true`: everyone's), newest first."""
        return schedules.schedules_for(current_actor, everyone=args["all"])

    @requires("reports.manage")
    @blp.arguments(ScheduleSchema)
    @blp.response(201, ScheduleSchema)
    def post(self, data):
        """Schedule a report, owned by you (a person; not an API key): made as you at each run, within what you
        may see then. 422 with a message per field (a recipient outside your reach names `recipient_ids`)."""
        return schedules.create_schedule(data, current_actor)


@blp.route("/<int:schedule_id>", tags=TAGS)
class ReportScheduleById(MethodView):
    @requires("reports.manage")
    @blp.response(200, ScheduleSchema)
    def get(self, schedule_id):
        """One schedule (its owner's or, for org admins, anyone's; 404 otherwise)."""
        return schedules.get_schedule(schedule_id, current_actor)

    @requires("reports.manage")
    @blp.arguments(ScheduleUpdateSchema)
    @blp.response(200, ScheduleSchema)
    def put(self, data, schedule_id):
        """Change a schedule, pause it (`active: false`) or resume it; the next run is worked out again."""
        return schedules.update_schedule(schedule_id, data, current_actor)

    @requires("reports.manage")
    @blp.response(200, ScheduleDeletedSchema)
    def delete(self, schedule_id):
        """Delete a schedule (the reports it made stay until they expire)."""
        schedules.delete_schedule(schedule_id, current_actor)
        return {"id": schedule_id}
