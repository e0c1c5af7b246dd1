"""`/api/v1/courses` and `/api/v1/content`: courses, outlines, versioned content, enrollments, progress."""

from flask import request
from flask.views import MethodView

from app.api.blueprint import ApiBlueprint
from app.api.listing import list_parameters, page_response, parse_list_query
from app.errors import NotFound, ValidationFailed
from app.security.actor import current_actor
from app.security.principal import requires
from blueprints.courses import access, content, covers, media, schemas, services
from blueprints.learning import roster
from blueprints.learning import schemas as learning_schemas
from blueprints.learning import services as learning

blp = ApiBlueprint("courses", __name__, url_prefix="/api/v1/courses", description="Courses.")
content_blp = ApiBlueprint("content", __name__, url_prefix="/api/v1/content", description="Versioned content.")
BEARER = [{"bearerAuth": []}]


@blp.route("")
class Courses(MethodView):
    @requires("courses.read")
    @blp.doc(parameters=list_parameters(services.COURSE_LIST), security=BEARER)
    @blp.response(200, schemas.CourseSchema(many=True))
    def get(self):
        """The courses you can see: the catalogue, and those you teach or manage."""
        principal = current_actor.principal
        query = parse_list_query(request.args, services.COURSE_LIST)
        return page_response(services.list_courses(query, principal, current_actor.scope), query)

    @requires("courses.manage")
    @blp.doc(security=BEARER)
    @blp.arguments(schemas.CourseSchema)
    @blp.response(201, schemas.CourseSchema)
    def post(self, data):
        """Create a course (a draft until its status is `published`)."""
        principal = current_actor.principal
        return services.create_course(data, principal, current_actor.scope)


@blp.route("/<int:course_id>")
class CourseById(MethodView):
    @requires("courses.read")
    @blp.doc(security=BEARER)
    @blp.response(200, schemas.CourseSchema)
    def get(self, course_id):
        """One course."""
        return access.course_view_for(course_id)

    @requires("courses.manage")
    @blp.doc(security=BEARER)
    @blp.arguments(schemas.CourseUpdateSchema)
    @blp.response(200, schemas.CourseSchema)
    def put(self, data, course_id):
        """Change a course: texts, status, branches, teachers, prerequisites, due days."""
        principal = current_actor.principal
        return services.update_course(access.course_for(course_id, "manage"), data, principal, current_actor.scope)

    @requires("courses.manage")
    @blp.doc(security=BEARER)
    @blp.response(200, schemas.OutcomeSchema)
    def delete(self, course_id):
        """Delete a course nobody took; archive one with enrollments."""
        return {"id": course_id, "outcome": services.remove_course(access.course_for(course_id, "manage"))}


@blp.route("/<int:course_id>/cover")
class CourseCover(MethodView):
    @requires("courses.read")
    @blp.doc(security=BEARER)
    @blp.response(200, content_type="image/jpeg")
    def get(self, course_id):
        """The cover image (a JPEG), to anyone who sees the course; 404 when it has none."""
        return covers.serve(access.course_for(course_id))

    @requires("courses.manage")
    @blp.doc(security=BEARER)
    @blp.arguments(schemas.MediaUploadSchema, location="multipart")
    @blp.response(200, schemas.CourseSchema)
    def put(self, files, course_id):
        """Set the cover: PNG, JPEG, GIF or WebP up to 8 MB, re-encoded (metadata dropped, at most 1600 x 900 px)."""
        return covers.set_cover(access.course_for(course_id, "manage"), files["file"].stream)

    @requires("courses.manage")
    @blp.doc(security=BEARER)
    @blp.response(200, schemas.CourseSchema)
    def delete(self, course_id):
        """Remove the cover."""
        return covers.remove_cover(access.course_for(course_id, "manage"))


@blp.route("/<int:course_id>/content")
class CourseContent(MethodView):
    @requires("courses.read")
    @blp.doc(security=BEARER)
    @blp.response(200, schemas.ModuleSchema(many=True))
    def get(self, course_id):
        """The outline: modules in order, each with its items in order."""
        return services.outline(access.course_for(course_id))

    @requires("courses.manage")
    @blp.doc(security=BEARER)
    @blp.arguments(schemas.ItemSchema)
    @blp.response(201, schemas.ItemSchema)
    def post(self, data, course_id):
        """Add an item (text, video, file, link, assessment) to a module, or to a new module."""
        return content.add_item(access.course_for(course_id, "manage"), data, current_actor.principal)


@blp.route("/<int:course_id>/modules/<int:module_id>")
class CourseModuleById(MethodView):
    @requires("courses.manage")
    @blp.doc(security=BEARER)
    @blp.arguments(schemas.ModuleChangeSchema)
    @blp.response(200, schemas.ModuleSchema)
    def patch(self, data, course_id, module_id):
        """Rename a module, or move it to another place in the outline (`position`, 1 = first)."""
        module = content.get_module(access.course_for(course_id, "manage"), module_id)
        content.rename_module(module, data.get("title"), data.get("position"))
        return {"id": module.id, "title": module.title, "position": module.position, "items": []}

    @requires("courses.manage")
    @blp.doc(security=BEARER)
    @blp.response(200, schemas.ModuleOutcomeSchema)
    def delete(self, course_id, module_id):
        """Remove a module and its items; learners lose their progress in those items."""
        course = access.course_for(course_id, "manage")
        module = content.get_module(course, module_id)
        removed = len(content.items_of_module(module))
        content.delete_module(module)
        return {"id": module_id, "outcome": "deleted", "items_removed": removed}


@blp.route("/<int:course_id>/enrollments")
class CourseEnrollments(MethodView):
    @requires("courses.manage")
    @blp.doc(parameters=list_parameters(roster.PROGRESS_LIST), security=BEARER)
    @blp.response(200, schemas.ProgressRowSchema(many=True))
    def get(self, course_id):
        """Who is enrolled, with their progress (paged like every list)."""
        return _progress_page(course_id)

    @requires("courses.manage")
    @blp.doc(security=BEARER)
    @blp.arguments(schemas.EnrollSchema)
    @blp.response(201, schemas.EnrolledSchema)
    def post(self, data, course_id):
        """Enroll people by id (all or none: 422 naming who cannot), by e-mail (the others are enrolled and the
        addresses that cannot be are listed in `not_enrolled`), or a whole class (its later students follow)."""
        course, branch_ids = access.roster_for(course_id)
        return learning.enroll(
            course, data["user_ids"], data["emails"], data["class_id"] or None, branch_ids=branch_ids
        )


@blp.route("/<int:course_id>/enrollments/<int:user_id>")
class CourseEnrollment(MethodView):
    @requires("courses.manage")
    @blp.doc(security=BEARER)
    @blp.response(200, schemas.OutcomeSchema)
    def delete(self, course_id, user_id):
        """Unenroll someone; their progress history stays (enrolling again resumes it)."""
        course, branch_ids = access.roster_for(course_id)
        learning.unenroll(course, user_id, branch_ids=branch_ids)
        return {"id": user_id, "outcome": "unenrolled"}


@blp.route("/<int:course_id>/enrollment")
class MyEnrollment(MethodView):
    @requires("courses.learn")
    @blp.doc(security=BEARER)
    @blp.response(201, learning_schemas.UserEnrollmentSchema)
    def post(self, course_id):
        """Join a course that takes self-enrollment (403 `SELF_ENROLLMENT_CLOSED` otherwise); joining again
        after leaving resumes the progress."""
        course = access.course_for(course_id)
        learning.self_enroll(course, current_actor.id)
        return learning.active_enrollment_of(course.id, current_actor.id)

    @requires("courses.learn")
    @blp.doc(security=BEARER)
    @blp.response(200, schemas.OutcomeSchema)
    def delete(self, course_id):
        """Leave a course you joined yourself (`self_enrolled`); your progress history stays. A course your
        teachers or your class enrolled you in answers 403 `ENROLLED_BY_STAFF`; none, 404."""
        course = access.course_for(course_id)
        learning.leave(course, current_actor.id)
        return {"id": course.id, "outcome": "unenrolled"}


@blp.route("/<int:course_id>/progress")
class CourseProgress(MethodView):
    @requires("courses.manage")
    @blp.doc(parameters=list_parameters(roster.PROGRESS_LIST), security=BEARER)
    @blp.response(200, schemas.ProgressRowSchema(many=True))
    def get(self, course_id):
        """Each learner's progress in the course: filter on status, completed, class; sort; page."""
        return _progress_page(course_id)


def _progress_page(course_id):
    course, branch_ids = access.roster_for(course_id)
    query = parse_list_query(request.args, roster.PROGRESS_LIST)
    return page_response(roster.course_progress(course, query, branch_ids=branch_ids), query)


@content_blp.route("")
class ContentList(MethodView):
    @requires("courses.read")
    @content_blp.doc(parameters=list_parameters(content.CONTENT_LIST), security=BEARER)
    @content_blp.response(200, schemas.ItemSchema(many=True))
    def get(self):
        """Content items of the courses you can see (filter on course, module, kind, title)."""
        principal = current_actor.principal
        query = parse_list_query(request.args, content.CONTENT_LIST)
        return page_response(
            content.list_content(query, services.visible_course_ids(principal, current_actor.scope)), query
        )

    @requires("courses.manage")
    @content_blp.doc(security=BEARER)
    @content_blp.arguments(schemas.ContentCreateSchema)
    @content_blp.response(201, schemas.ContentSchema)
    def post(self, data):
        """Add an item to a course's module (or a new module): `POST /courses/{course_id}/content` with the
        course named in the body; 422 on `course_id` when you cannot see that course."""
        try:
            course = access.course_for(data["course_id"])
        except NotFound:
            raise ValidationFailed("No such course.", {"course_id": ["No course with this id."]}) from None
        access.require(course, "manage")
        item = content.add_item(course, data, current_actor.principal)
        return _content_view(item)


def _content_view(item):
    """An item as `GET /content/{id}` shows it: with its course and published body."""
    return {
        **schemas.ItemSchema().dump(item),
        "course_id": item.course_id,
        "published_body": content.published_body(item),
    }


@content_blp.route("/<int:item_id>")
class ContentById(MethodView):
    @requires("courses.read")
    @content_blp.doc(security=BEARER)
    @content_blp.response(200, schemas.ContentSchema)
    def get(self, item_id):
        """An item with its published body: to the course's managers, and to learners enrolled in it who
        have met its prerequisites (as in the player)."""
        return _content_view(access.item_for(item_id, "lessons"))

    @requires("courses.manage")
    @content_blp.doc(security=BEARER)
    @content_blp.arguments(schemas.ContentUpdateSchema)
    @content_blp.response(200, schemas.VersionSchema)
    def put(self, data, item_id):
        """Edit: a new immutable version (published unless `publish` is false)."""
        item = access.item_for(item_id, "manage")
        return content.new_version(
            item,
            data["body"],
            data["change_note"],
            current_actor.principal,
            publish=data["publish"],
            title=data.get("title"),
        )

    @requires("courses.manage")
    @content_blp.doc(security=BEARER)
    @content_blp.arguments(schemas.ItemChangeSchema)
    @content_blp.response(200, schemas.ContentSchema)
    def patch(self, data, item_id):
        """Rename an item, move it to another module of its course, or to a place in its module (`position`,
        1 = first); no new version."""
        item = access.item_for(item_id, "manage")
        changed = content.change_item(item, data.get("title"), data.get("module_id"), data.get("position"))
        return _content_view(changed)

    @requires("courses.manage")
    @content_blp.doc(security=BEARER)
    @content_blp.response(200, schemas.OutcomeSchema)
    def delete(self, item_id):
        """Remove an item from its course, with learners' progress in it."""
        content.delete_item(access.item_for(item_id, "manage"))
        return {"id": item_id, "outcome": "deleted"}


@content_blp.route("/<int:item_id>/versions")
class ContentVersions(MethodView):
    @requires("courses.manage")
    @content_blp.doc(security=BEARER)
    @content_blp.response(200, schemas.VersionSchema(many=True))
    def get(self, item_id):
        """Every version, newest first."""
        return content.versions(access.item_for(item_id, "manage"))

    @requires("courses.manage")
    @content_blp.doc(security=BEARER)
    @content_blp.arguments(schemas.RestoreSchema)
    @content_blp.response(201, schemas.VersionSchema)
    def post(self, data, item_id):
        """Restore an old version: it is copied forward as the newest, published one."""
        return content.restore(access.item_for(item_id, "manage"), data["restore_from"], current_actor.principal)


@content_blp.route("/<int:item_id>/diff")
class ContentDiff(MethodView):
    @requires("courses.manage")
    @content_blp.doc(security=BEARER)
    @content_blp.arguments(schemas.DiffArgs, location="query")
    @content_blp.response(200, schemas.DiffSchema)
    def get(self, args, item_id):
        """A unified text diff between two versions (`?from=1&to=3`), and the same compared word by word as
        rendered HTML (`html`: the newer text with `<del>` and `<ins>`; null when nothing changed)."""
        item = access.item_for(item_id, "manage")
        first, second = args["from_version"], args["to_version"]
        return {"diff": content.diff(item, first, second), "html": content.compare(item, first, second)}


@content_blp.route("/<int:item_id>/complete")
class ContentComplete(MethodView):
    @requires("courses.learn")
    @content_blp.doc(security=BEARER)
    @content_blp.response(200, schemas.CompletionSchema)
    def post(self, item_id):
        """Mark an item done (learners); completing the last item completes the course. Assessments are
        completed by passing them, not here (403 `PASS_TO_COMPLETE`)."""
        return learning.mark_complete(access.item_for(item_id), current_actor.id)


@content_blp.route("/<int:item_id>/time")
class ContentTime(MethodView):
    @requires("courses.learn")
    @content_blp.doc(security=BEARER)
    @content_blp.arguments(schemas.TimeReportSchema)
    @content_blp.response(200, schemas.TimeCreditSchema)
    def post(self, data, item_id):
        """Report time spent on an item (learners; the player sends one every 30 s in view)."""
        return learning.record_time(access.item_for(item_id), current_actor.id, data["seconds"])


@content_blp.route("/<int:item_id>/media")
class ContentMedia(MethodView):
    @requires("courses.read")
    @content_blp.doc(security=BEARER)
    @content_blp.response(200, schemas.MediaSchema(many=True))
    def get(self, item_id):
        """The files of an item: to those who may read it (the course's managers, its enrolled learners)."""
        return media.media_of([access.item_for(item_id, "lessons").id])

    @requires("courses.manage")
    @content_blp.doc(security=BEARER)
    @content_blp.arguments(schemas.MediaUploadSchema, location="multipart")
    @content_blp.response(201, schemas.MediaSchema)
    def post(self, files, item_id):
        """Upload a file (video: MP4 or WebM; file: PDF, images, audio, office documents), checked by content."""
        return media.upload(access.item_for(item_id, "manage"), files["file"], current_actor.principal)


media_blp = ApiBlueprint("media", __name__, url_prefix="/api/v1/media", description="Media files.")


@media_blp.route("/<int:media_id>")
class MediaDownload(MethodView):
    @requires("courses.read")
    @media_blp.doc(security=BEARER)
    @media_blp.response(200, content_type="application/octet-stream")
    def get(self, media_id):
        """The file itself, with range requests (video seeks on phones)."""
        return media.serve(access.media_for(media_id, "lessons"))

    @requires("courses.manage")
    @media_blp.doc(security=BEARER)
    @media_blp.response(200, schemas.OutcomeSchema)
    def delete(self, media_id):
        """Remove a file from its item (the course's managers)."""
        media.delete(access.media_for(media_id, "manage"))
        return {"id": media_id, "outcome": "deleted"}
