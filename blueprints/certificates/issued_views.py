"""The staff's pages of a course's certificates: the issued list (search, status), revoke with a reason,
re-issue, each PDF, and the ZIP of them all with its progress."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from app.errors import DomainError
from app.forms import apply_domain_error
from app.pages import is_htmx, render_page
from app.security.actor import current_actor
from app.security.principal import requires
from blueprints.certificates import archives, lifecycle

bp = Blueprint("certificate_pages", __name__)

STATUS_CHOICES = [
    ("", "Any status"),
    ("valid", "Valid"),
    ("expiring", f"Expiring within {lifecycle.EXPIRING_DAYS} days"),
    ("expired", "Expired"),
    ("revoked", "Revoked"),
    ("superseded", "Replaced by a re-issue"),
    ("pending", "PDF not ready"),
]


class RevokeForm(FlaskForm):
    reason = TextAreaField(
        "Reason (shown on the public verification page)",
        validators=[DataRequired("Give a reason."), Length(max=lifecycle.MAX_REASON)],
    )


def _page_number():
    try:
        return max(1, int(request.args.get("page", 1)))
    except ValueError:
        return 1


@bp.get("/courses/<int:course_id>/certificates")
@requires("courses.manage")
def issued(course_id):
    """A course's issued certificates: find one by name or code, filter by status, act on it, download them all."""
    status = request.args.get("status", "")
    course, can_change, page = lifecycle.issued_certificates(
        course_id, request.args.get("q", ""), status, _page_number(), current_actor
    )
    return render_page(
        "certificates/issued.html",
        partial="certificates/_issued_results.html",
        course=course,
        can_change=can_change,
        page=page,
        last_page=max(1, -(-page.total // page.per_page)),
        args=request.args,
        status_choices=STATUS_CHOICES,
        status_of=lifecycle.status_label,
    )


@bp.route("/courses/<int:course_id>/certificates/<int:certificate_id>/revoke", methods=["GET", "POST"])
@requires("courses.manage")
def revoke(course_id, certificate_id):
    """Revoke a certificate, saying why: the verification page shows it as revoked with the reason."""
    certificate = _of_course(course_id, certificate_id, "manage")
    form = RevokeForm()
    if form.validate_on_submit():
        try:
            lifecycle.revoke(certificate.id, form.reason.data, current_actor)
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            flash(f"Certificate {certificate.code} of {certificate.holder_name} is revoked.")
            return redirect(url_for("certificate_pages.issued", course_id=course_id))
    status = 422 if form.errors or form.form_errors else 200
    return render_template("certificates/issued_revoke.html", certificate=certificate, form=form), status


@bp.post("/courses/<int:course_id>/certificates/<int:certificate_id>/reissue")
@requires("courses.manage")
def reissue(course_id, certificate_id):
    """Re-issue a certificate with the holder's current name; the old one verifies as replaced."""
    certificate = _of_course(course_id, certificate_id, "manage")
    try:
        new = lifecycle.reissue(certificate.id, current_actor)
    except DomainError as error:
        flash(error.message)
    else:
        flash(f"Re-issued to {new.holder_name} as {new.code}; {certificate.code} now verifies as replaced.")
    return redirect(url_for("certificate_pages.issued", course_id=course_id))


@bp.get("/courses/<int:course_id>/certificates/<int:certificate_id>/pdf")
@requires("courses.manage")
def pdf(course_id, certificate_id):
    """Download a certificate's PDF."""
    return lifecycle.serve_pdf(_of_course(course_id, certificate_id, "see").id, current_actor)


@bp.post("/courses/<int:course_id>/certificates/archive")
@requires("courses.manage")
def archive(course_id):
    """Start the ZIP of the course's certificates; its page shows the progress."""
    record = archives.request_archive(course_id, current_actor)
    return redirect(url_for("certificate_pages.archive_progress", archive_id=record.id))


@bp.get("/certificate-archives/<int:archive_id>")
@requires("courses.manage")
def archive_progress(archive_id):
    """How far the ZIP is (the bar refreshes itself), and its download once done."""
    record = archives.archive_for(archive_id, current_actor)
    template = "certificates/_issued_archive_progress.html" if is_htmx() else "certificates/issued_archive.html"
    return render_template(template, archive=record, course=lifecycle.course_of(record.course_id))


@bp.get("/certificate-archives/<int:archive_id>/download")
@requires("courses.manage")
def archive_download(archive_id):
    """The finished ZIP of the course's certificates."""
    return archives.serve_archive(archive_id, current_actor)


def _of_course(course_id, certificate_id, need):
    certificate = lifecycle.certificate_for(certificate_id, need, current_actor)
    if certificate.course_id != course_id:
        lifecycle.not_found()
    return certificate
