"""The learner's pages: My learning, the catalogue, and the course player."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from app.api.listing import parse_list_query
from app.errors import DomainError, NotFound, ValidationFailed
from app.pages import is_htmx, render_page
from app.security.actor import current_actor
from app.security.principal import requires
from blueprints.courses import access, covers, media, services
from blueprints.learning import services as learning

bp = Blueprint("learning_pages", __name__)
bp.add_app_template_global(covers.cover_path)


@bp.get("/learn")
@requires("courses.learn")
def my_learning():
    """Your courses: what is in progress, what is due soon, what you finished."""
    return render_template("courses/my_learning.html", board=learning.dashboard(current_actor.id))


@bp.get("/catalog")
@requires("courses.read")
def catalog():
    """Published courses open to you, searchable."""
    principal = current_actor.principal
    args = MultiDict({"per_page": "50", "filter[status]": "published"})
    if request.args.get("q"):
        args["filter[title][ilike]"] = f"%{request.args['q']}%"
    page = services.list_courses(parse_list_query(args, services.COURSE_LIST), principal, current_actor.scope)
    return render_page(
        "courses/catalog.html",
        partial="courses/_catalog_results.html",
        courses=page.items,
        enrolled=_enrolled_in(principal),
        q=request.args.get("q", ""),
    )


def _enrolled_in(principal):
    """The ids of the courses a person takes now (one they left is open to join again)."""
    if principal.kind != "user":
        return set()
    return {row["id"] for row in learning.enrollments_of(principal.id) if row["status"] == "active"}


def _open_courses(principal, leaving_out, limit=3):
    """A few published courses this person could join on their own, for "what next"."""
    args = MultiDict({"per_page": "50", "filter[status]": "published"})
    page = services.list_courses(parse_list_query(args, services.COURSE_LIST), principal, current_actor.scope)
    taken = _enrolled_in(principal) | set(leaving_out)
    return [course for course in page.items if course.self_enrollment and course.id not in taken][:limit]


@bp.post("/catalog/<int:course_id>/enroll")
@requires("courses.learn")
def enroll(course_id):
    """Join a course that takes self-enrollment."""
    principal = current_actor.principal
    course = access.course_for(course_id)
    learning.self_enroll(course, principal.id)
    return redirect(url_for("learning_pages.play", course_id=course.id))


@bp.get("/learn/<int:course_id>")
@bp.get("/learn/<int:course_id>/<int:item_id>")
@requires("courses.learn")
def play(course_id, item_id=None):
    """The course player: resume where you left off, move on, mark things done."""
    principal = current_actor.principal
    course = access.course_for(course_id)
    try:
        view = learning.player(course, principal.id, item_id)
    except DomainError as error:
        return render_template("courses/blocked.html", course=course, error=error), error.status
    return render_template("courses/player.html", course=course, **view)


@bp.get("/learn/<int:course_id>/finished")
@requires("courses.learn")
def finished(course_id):
    """The end of a course: congratulations, what you completed, the time it took, and what next."""
    principal = current_actor.principal
    course = access.course_for(course_id)
    summary = learning.finish_summary(course, principal.id)
    if summary is None:  # not there yet: back to where the learner left off
        return redirect(url_for("learning_pages.play", course_id=course.id))
    in_progress = [row for row in learning.dashboard(principal.id)["in_progress"] if row["id"] != course.id]
    return render_template(
        "courses/finished.html",
        course=course,
        summary=summary,
        in_progress=in_progress[:3],
        open_courses=_open_courses(principal, leaving_out=[course.id]),
    )


@bp.route("/learn/<int:course_id>/leave", methods=["GET", "POST"])
@requires("courses.learn")
def leave(course_id):
    """Leave a course you joined yourself, after confirming; one your teachers enrolled you in stays."""
    principal = current_actor.principal
    course = access.course_for(course_id)
    enrollment = learning.active_enrollment_of(course.id, principal.id)
    if enrollment is None:
        raise NotFound("You are not enrolled in this course.")
    if request.method == "POST":
        learning.leave(course, principal.id)  # refuses one the staff enrolled them in, saying why
        flash(f"You left {course.title}. Your progress is kept if you join again.")
        return redirect(url_for("learning_pages.my_learning"))
    return render_template("courses/leave.html", course=course, enrollment=enrollment)


@bp.post("/learn/<int:course_id>/<int:item_id>/complete")
@requires("courses.learn")
def complete(course_id, item_id):
    """Mark an item done; answers the updated progress to htmx; completing the last item ends the course."""
    principal = current_actor.principal
    item = access.course_item_for(course_id, item_id)[1]
    result = learning.mark_complete(item, principal.id)
    if is_htmx():
        return render_template("courses/_completion.html", result=result, item=item, course_id=course_id)
    if result["completed_at"]:
        return redirect(url_for("learning_pages.finished", course_id=course_id))
    return redirect(url_for("learning_pages.play", course_id=course_id, item_id=item_id))


@bp.post("/learn/<int:course_id>/<int:item_id>/time")
@requires("courses.learn")
def report_time(course_id, item_id):
    """The player's time reports (sent with `navigator.sendBeacon`, so nobody reads the answer)."""
    item = access.course_item_for(course_id, item_id)[1]
    seconds = request.form.get("seconds", type=int)
    if seconds is None:
        raise ValidationFailed("Say how many seconds.", {"seconds": ["A whole number of seconds."]})
    learning.record_time(item, current_actor.id, seconds)
    return "", 204


@bp.get("/courses/<int:course_id>/cover")
@requires("courses.read")
def cover(course_id):
    """A course's cover image, for whoever sees the course."""
    return covers.serve(access.course_for(course_id))


@bp.get("/media/<int:media_id>")
@requires("courses.read")
def media_file(media_id):
    """A course file for the signed-in person (range requests for video)."""
    return media.serve(access.media_for(media_id, "lessons"))
