"""The privacy API (org admins, `privacy.manage`; docs/operations.md, part privacy):

POST /api/v1/users/{id}/data-exports            ask for everything about a person as a ZIP: 202, a job makes it
GET  /api/v1/users/{id}/data-exports            the exports of that person I asked for
GET  /api/v1/data-exports/{id}                  its status and progress (its requester only)
GET  /api/v1/data-exports/{id}/download         the ZIP (409 EXPORT_NOT_READY before, 410 EXPORT_EXPIRED after)
POST /api/v1/users/{id}/erasure                 pseudonymise the person everywhere (irreversible; idempotent)
GET  /api/v1/privacy/archiving-policy           the archiving policy
PUT  /api/v1/privacy/archiving-policy           change it
GET  /api/v1/privacy/archiving-policy/preview   what a policy would change now (a dry run: writes nothing)
GET  /api/v1/privacy/archiving-runs             the runs, newest first
POST /api/v1/privacy/archiving-runs             apply the saved policy now
GET  /api/v1/privacy/archiving-runs/{id}        one run: what it changed
POST /api/v1/privacy/archiving-runs/{id}/reversal   put back what it changed
"""

from flask.views import MethodView

from app.api.blueprint import ApiBlueprint
from app.security.actor import current_actor
from app.security.principal import requires
from blueprints.privacy import archiving, erasure, exports, schemas

blp = ApiBlueprint(
    "privacy",
    __name__,
    url_prefix="/api/v1",
    description="A person's data on request (export, erasure) and archiving by policy.",
)
BEARER = [{"bearerAuth": []}]


@blp.route("/users/<int:user_id>/data-exports")
class PersonDataExports(MethodView):
    @requires("privacy.manage")
    @blp.doc(security=BEARER)
    @blp.response(200, schemas.DataExportSchema(many=True))
    def get(self, user_id):
        """The exports of this person's data that I asked for, newest first (the last 20)."""
        return exports.exports_of_person(user_id, current_actor)

    @requires("privacy.manage")
    @blp.doc(security=BEARER)
    @blp.response(202, schemas.DataExportSchema)
    def post(self, user_id):
        """Export everything about one person (profile, enrollments, progress, attempts and answers, certificates,
        badges, notifications, sign-ins, memberships, audit entries) as a ZIP of CSV and JSON; a job makes it (poll
        `GET /data-exports/{id}`). Recorded in the audit trail."""
        return exports.request_export(user_id, current_actor)


@blp.route("/data-exports/<int:export_id>")
class DataExportById(MethodView):
    @requires("privacy.manage")
    @blp.doc(security=BEARER)
    @blp.response(200, schemas.DataExportSchema)
    def get(self, export_id):
        """An export's status and progress; only its requester sees it (404 otherwise)."""
        return exports.export_for(export_id, current_actor)


@blp.route("/data-exports/<int:export_id>/download")
class DataExportDownload(MethodView):
    @requires("privacy.manage")
    @blp.doc(security=BEARER)
    @blp.response(200, content_type="application/zip", description="the ZIP, as an attachment")
    def get(self, export_id):
        """The ZIP (its requester only; 409 `EXPORT_NOT_READY` before it is done, 410 `EXPORT_EXPIRED` after)."""
        return exports.serve_export(export_id, current_actor)


@blp.route("/users/<int:user_id>/erasure")
class PersonErasure(MethodView):
    @requires("privacy.manage")
    @blp.doc(security=BEARER)
    @blp.arguments(schemas.ErasureRequestSchema)
    @blp.response(200, schemas.ErasureSchema)
    def post(self, data, user_id):
        """Erase a person (GDPR art. 17): pseudonymised everywhere, deactivated, signed out. Irreversible.
        `confirm_email` must be their address (422 otherwise); not yourself (403), not the last active org admin
        (409). Again on someone erased: 200 with `erased_now` false."""
        done, now = erasure.erase_person(user_id, data["confirm_email"], current_actor)
        return {
            "user_id": done.user_id,
            "pseudonym": done.pseudonym,
            "erased_at": done.erased_at,
            "erased_now": now,
            "outcome": done.outcome or {},
        }


@blp.route("/privacy/archiving-policy")
class ArchivingPolicy(MethodView):
    @requires("privacy.manage")
    @blp.doc(security=BEARER)
    @blp.response(200, schemas.ArchivingPolicySchema)
    def get(self):
        """The organization's archiving policy (both halves off by default)."""
        archiving.require_permission(current_actor)
        return archiving.current_policy()

    @requires("privacy.manage")
    @blp.doc(security=BEARER)
    @blp.arguments(schemas.ArchivingPolicySchema)
    @blp.response(200, schemas.ArchivingPolicySchema)
    def put(self, data):
        """Set the policy: archive courses with no activity for `course_months`, deactivate people with no sign-in
        and no progress for `people_months` (null: off). The daily sweep applies it."""
        return archiving.save_policy(data, current_actor)


@blp.route("/privacy/archiving-policy/preview")
class ArchivingPreview(MethodView):
    @requires("privacy.manage")
    @blp.doc(security=BEARER)
    @blp.arguments(schemas.ArchivingPreviewArgs, location="query")
    @blp.response(200, schemas.ArchivingPreviewSchema)
    def get(self, args):
        """A dry run: what this policy (saved or not) would archive and deactivate now. Writes nothing."""
        return archiving.preview(args, current_actor)


@blp.route("/privacy/archiving-runs")
class ArchivingRuns(MethodView):
    @requires("privacy.manage")
    @blp.doc(security=BEARER)
    @blp.response(200, schemas.ArchivingRunSchema(many=True))
    def get(self):
        """The policy's runs, newest first (the last 50)."""
        return archiving.list_runs(current_actor)

    @requires("privacy.manage")
    @blp.doc(security=BEARER)
    @blp.response(201, schemas.ArchivingRunSchema)
    def post(self):
        """Apply the saved policy now (409 `POLICY_OFF` when both halves are off)."""
        return archiving.apply_policy(actor=current_actor)


@blp.route("/privacy/archiving-runs/<int:run_id>")
class ArchivingRunById(MethodView):
    @requires("privacy.manage")
    @blp.doc(security=BEARER)
    @blp.response(200, schemas.ArchivingRunSchema)
    def get(self, run_id):
        """One run: the courses it archived and the people it deactivated."""
        return archiving.run_for(run_id, current_actor)


@blp.route("/privacy/archiving-runs/<int:run_id>/reversal")
class ArchivingRunReversal(MethodView):
    @requires("privacy.manage")
    @blp.doc(security=BEARER)
    @blp.response(200, schemas.ArchivingRunSchema)
    def post(self, run_id):
        """Put back what the run changed and is still as it left it (409 `ALREADY_REVERSED` the second time)."""
        return archiving.reverse_run(run_id, current_actor)
