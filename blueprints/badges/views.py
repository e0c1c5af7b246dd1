"""Badge pages: the list, the editor (criteria per strategy, picture uploaded or drawn with a live preview),
a badge's awards with manual award (a learner search) and revoke, and an award's own page (public-ish: what
its hosted assertion shows, with the baked images; the signed credential for its holder and staff)."""

from flask import Blueprint, Response, flash, redirect, request, url_for
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import IntegerField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.api.listing import parse_list_query
from app.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from app.extensions import db
from app.forms import apply_domain_error
from app.pages import render_page
from app.security.actor import current_actor
from app.security.principal import requires
from app.tenancy.context import get_current_tenant
from app.tenancy.models import utcnow
from blueprints.assessments import queries as assessments
from blueprints.badges import artwork, awards, backfill, badges
from blueprints.badges.criteria import STRATEGIES, LearnerFacts, strategy_for
from blueprints.badges.models import Badge, BadgeStatus
from blueprints.badges.queries import public_urls
from blueprints.courses import access
from blueprints.courses.services import manageable_courses, visible_courses
from blueprints.credentials import signing

bp = Blueprint("badge_pages", __name__, url_prefix="/badges")


@bp.before_request
def _organizations_only():
    """Badges are an organization's: on the platform's own host there are none."""
    if get_current_tenant() is None:
        raise NotFound("No such page.")


ORGANIZATION = 0
STATUS_CHOICES = [
    SelectChoice(BadgeStatus.DRAFT, "Draft"),
    SelectChoice(BadgeStatus.ACTIVE, "Active"),
    SelectChoice(BadgeStatus.ARCHIVED, "Archived"),
]


class BadgeForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=1000)])
    course_id = SelectField("Badge of", coerce=int, description="A course's badge is managed by the course's staff.")
    status = SelectField("State", choices=STATUS_CHOICES, description="Learners see and earn active badges only.")
    criteria_strategy = SelectField("Earned by", choices=[SelectChoice(key, s.label) for key, s in STRATEGIES.items()])
    valid_months = IntegerField(
        "Valid for (months)", validators=[Optional(), NumberRange(min=1, max=1200)], description="Empty: never expires."
    )
    colour = StringField("Colour", default="#1d4ed8")
    accent = StringField("Ring colour", default="#f59e0b")
    initials = StringField(
        "Initials", validators=[Optional(), Length(max=3)], description="Up to 3 letters; empty: from the name."
    )


def _course_choices(badge=None):
    if badge is not None:
        if badge.course_id is None:
            return [SelectChoice(ORGANIZATION, "The organization")]
        course = access.course_for(badge.course_id)
        return [SelectChoice(course.id, course.title)]
    choices = [SelectChoice(c.id, c.title) for c in manageable_courses(current_actor.principal, current_actor.scope)]
    if current_actor.scope.organization_wide or current_actor.scope.branch_ids:
        choices.insert(0, SelectChoice(ORGANIZATION, "The organization (or some of your branches)"))
    return choices


def _criteria_context(strategy_key, params, course_id=None):
    if course_id:  # a course's badge names only courses its editor manages (see criteria._require_courses)
        courses = [(c.id, c.title) for c in manageable_courses(current_actor.principal, current_actor.scope)][:500]
    else:
        visible = visible_courses(current_actor.principal, current_actor.scope).order_by("title").limit(500)
        courses = [(c.id, c.title) for c in db.session.scalars(visible)]
    course_titles = dict(courses)
    quizzes = [
        (qid, f"{title} ({course_titles.get(cid, 'course ' + str(cid))})")
        for qid, title, cid in assessments.quiz_choices()
        if not course_id or cid in course_titles
    ]
    return {
        "strategy": strategy_key,
        "params": params or {},
        "course_options": courses,
        "quiz_options": quizzes,
        "default_course_id": course_id,
    }


def _criteria_from(form):
    """The chosen strategy's parameters from the editor's fields (names `criteria-<param>`)."""
    key = form.get("criteria_strategy", "manual")

    def number(name, kind=int):
        raw = (form.get(f"criteria-{name}") or "").strip()
        try:
            return kind(raw) if raw else None
        except ValueError:
            return raw  # the service says what is wrong with it

    if key == "course_completed":
        return {"course_id": number("course_id")}
    if key == "courses":
        ids = []
        for raw in form.getlist("criteria-course_ids"):
            try:
                ids.append(int(raw))
            except ValueError:
                continue
        params = {"course_ids": ids, "mode": form.get("criteria-mode", "all")}
        if params["mode"] == "n_of":
            params["n"] = number("n")
        return params
    if key == "assessment_passed":
        return {"quiz_id": number("quiz_id")}
    if key == "assessment_score":
        return {"quiz_id": number("quiz_id"), "min_percent": number("min_percent", float)}
    return {}


def _messages(error):
    return " ".join(message for messages in (error.details or {}).values() for message in messages) or error.message


def _criteria_errors(error):
    return {k.removeprefix("criteria."): v for k, v in (error.details or {}).items() if k.startswith("criteria.")}


@bp.get("")
@requires("courses.read")
def index():
    """The badges you manage or can earn, with their state and what earns them."""
    args = MultiDict({"per_page": "100", "sort": "name"})
    course_id = request.args.get("course_id", type=int)
    if course_id:
        args["filter[course_id]"] = str(course_id)
    query = parse_list_query(args, badges.BADGE_LIST)
    rows = badges.list_badges(query).items
    managed = {b.id for b in rows if badges.can_manage(b)}
    can_create = current_actor.can("courses.manage") and bool(_course_choices())
    return render_page(
        "badges/index.html",
        badges=rows,
        managed=managed,
        can_create=can_create,
        course_id=course_id,
        strategies=STRATEGIES,
        image_path=badges.image_path,
    )


def _editor(form, badge=None, criteria=None, criteria_errors=None, status=200):
    key = form.criteria_strategy.data or "manual"
    course_id = badge.course_id if badge else (form.course_id.data or None)
    context = _criteria_context(key, criteria if criteria is not None else (badge.criteria if badge else {}), course_id)
    return (
        render_page(
            "badges/editor.html",
            form=form,
            badge=badge,
            criteria=context,
            criteria_errors=criteria_errors or {},
            preview=artwork.drawn_svg(
                form.colour.data or "#1d4ed8",
                form.accent.data or "#f59e0b",
                form.initials.data or artwork.initials_of(form.name.data or ""),
            ).decode(),
            image_url=badges.image_path(badge) if badge and badge.image_key else None,
        ),
        status,
    )


def _data_from(form, new):
    data = {
        "name": form.name.data,
        "description": form.description.data or "",
        "status": form.status.data,
        "criteria_strategy": form.criteria_strategy.data,
        "criteria": _criteria_from(request.form),
        "valid_months": form.valid_months.data,
        "colour": form.colour.data,
        "accent": form.accent.data,
        "initials": form.initials.data or "",
    }
    if new and form.course_id.data != ORGANIZATION:
        data["course_id"] = form.course_id.data
    return data


@bp.route("/new", methods=["GET", "POST"])
@requires("courses.manage")
def new():
    """Make a badge: of one of your courses or of the organization; what earns it; its picture."""
    form = BadgeForm()
    form.course_id.choices = _course_choices()
    if not form.course_id.choices:
        raise NotFound("You manage no course to make a badge for.")
    if request.method == "GET":
        # The fields shown must be those of the strategy and course the selects show (their first options unless
        # asked for), or "Complete a course" would sit above the manual strategy's text.
        wanted = request.args.get("course_id", type=int)
        choices = [choice.value for choice in form.course_id.choices]
        form.course_id.data = wanted if wanted in choices else choices[0]
        form.criteria_strategy.data = "course_completed"
    if form.validate_on_submit():
        try:
            badge = badges.create_badge(_data_from(form, new=True))
            flash("Badge created.")
            return redirect(url_for(".edit", badge_id=badge.id))
        except DomainError as error:
            apply_domain_error(form, error)
            return _editor(
                form, criteria=_criteria_from(request.form), criteria_errors=_criteria_errors(error), status=422
            )
    return _editor(form, status=422 if request.method == "POST" else 200)


@bp.route("/<int:badge_id>/edit", methods=["GET", "POST"])
@requires("courses.manage")
def edit(badge_id):
    """Change a badge: its text, state, criteria and picture."""
    badge = badges.get_badge(badge_id, "manage")
    form = BadgeForm(obj=badge if request.method == "GET" else None)
    form.course_id.choices = _course_choices(badge)
    form.course_id.data = badge.course_id or ORGANIZATION
    if form.validate_on_submit():
        data = _data_from(form, new=False)
        try:
            badges.update_badge(badge.id, data)
            flash("Badge saved.")
            return redirect(url_for(".edit", badge_id=badge.id))
        except DomainError as error:
            apply_domain_error(form, error)
            return _editor(form, badge, _criteria_from(request.form), _criteria_errors(error), status=422)
    return _editor(form, badge, status=422 if request.method == "POST" else 200)


@bp.post("/<int:badge_id>/image")
@requires("courses.manage")
def upload_image(badge_id):
    """Upload a PNG or SVG as the badge's picture, or go back to the drawn one."""
    badges.get_badge(badge_id, "manage")  # a badge out of reach is a 404/403, not a message
    if request.form.get("remove"):
        badges.remove_image(badge_id)
        flash("The picture is drawn from the colours and initials again.")
        return redirect(url_for(".edit", badge_id=badge_id))
    upload = request.files.get("image")
    try:
        if upload is None:
            raise DomainError("Choose a PNG or SVG file.")
        badges.set_image(badge_id, upload.read(artwork.MAX_UPLOAD_BYTES + 1), upload.filename or "")
        flash("Picture uploaded.")
    except DomainError as error:
        flash(_messages(error))
    return redirect(url_for(".edit", badge_id=badge_id))


@bp.get("/criteria-fields")
@requires("courses.manage")
def criteria_fields():
    """The editor's fields for one strategy (swapped in when the strategy changes)."""
    key = request.args.get("criteria_strategy", "manual")
    if key not in STRATEGIES:
        key = "manual"
    course_id = request.args.get("course_id", type=int) or None
    params = {"course_id": course_id} if key == "course_completed" and course_id else {}
    return render_page(
        "badges/fragment.html",
        partial="badges/_criteria.html",
        fragment="badges/_criteria.html",
        title="Criteria fields",
        criteria=_criteria_context(key, params, course_id),
        criteria_errors={},
    )


@bp.get("/preview")
@requires("courses.manage")
def preview():
    """The drawn picture for these colours and initials (the editor's live preview)."""
    colour, accent = request.args.get("colour", ""), request.args.get("accent", "")
    colour = colour if artwork.COLOUR.match(colour) else "#1d4ed8"
    accent = accent if artwork.COLOUR.match(accent) else "#f59e0b"
    initials = (request.args.get("initials") or "").strip()[:3].upper() or artwork.initials_of(
        request.args.get("name", "")
    )
    preview_svg = artwork.drawn_svg(colour, accent, initials).decode()  # built by us: initials are escaped
    return render_page(
        "badges/fragment.html",
        partial="badges/_preview.html",
        fragment="badges/_preview.html",
        title="Preview",
        preview=preview_svg,
    )


# --- a badge's awards --------------------------------------------------------------------------------------------


@bp.get("/<int:badge_id>")
@requires("courses.manage")
def awards_page(badge_id):
    """A badge's awards: search and give it by hand, revoke with a reason."""
    badge = badges.get_badge(badge_id, "manage")
    args = MultiDict({"per_page": "50", "sort": "-awarded_at"})
    if request.args.get("q"):
        args["filter[q]"] = request.args["q"][:100]
    query = parse_list_query(args, awards.AWARD_LIST)
    page = awards.list_awards(badge.id, query)
    return render_page(
        "badges/awards.html",
        partial="badges/_award_rows.html" if request.args.get("rows") else None,
        badge=badge,
        page=page,
        q=request.args.get("q", ""),
        image_url=badges.image_path(badge),
        narrative=strategy_for(badge.criteria_strategy).narrative(badge.criteria, LearnerFacts(None)),
        urls=public_urls,
        backfill=backfill.status_of(badge.id),
    )


@bp.get("/<int:badge_id>/learners")
@requires("courses.manage")
def find_learners(badge_id):
    """People you may give this badge to, matching the search (at most 20)."""
    badge = badges.get_badge(badge_id, "manage")
    text = (request.args.get("q") or "")[:100]
    return render_page(
        "badges/fragment.html",
        partial="badges/_learner_results.html",
        fragment="badges/_learner_results.html",
        title=f"Give {badge.name}",
        badge=badge,
        people=awards.find_learners(badge, text),
        q=text,
    )


@bp.post("/<int:badge_id>/award")
@requires("courses.manage")
def give(badge_id):
    """Give the badge to a learner, with an optional reason."""
    badges.get_badge(badge_id, "manage")
    try:
        awards.award_by_hand(badge_id, request.form.get("user_id", type=int) or 0, request.form.get("reason", ""))
        flash("Badge given.")
    except (Conflict, PermissionDenied, ValidationFailed) as error:  # out of reach: a 404, as in the API
        flash(error.message)
    return redirect(url_for(".awards_page", badge_id=badge_id))


@bp.post("/<int:badge_id>/revoke")
@requires("courses.manage")
def take_back(badge_id):
    """Revoke a learner's award, saying why."""
    badges.get_badge(badge_id, "manage")
    try:
        awards.revoke_by_hand(badge_id, request.form.get("user_id", type=int) or 0, request.form.get("reason", ""))
        flash("Award revoked.")
    except (Conflict, ValidationFailed) as error:
        flash(_messages(error))
    return redirect(url_for(".awards_page", badge_id=badge_id))


# --- an award's own page ---------------------------------------------------------------------------------------


@bp.get("/awards/<public_id>")
def award_page(public_id):
    """An award: the badge, who issued it, when, whether it is valid; the baked images to download."""
    award = awards.award_by_public_id(public_id)
    badge = db.session.get(Badge, award.badge_id)
    holder = current_actor.is_authenticated and current_actor.kind == "user" and current_actor.id == award.user_id
    may_read_credential = False
    if current_actor.is_authenticated and award.credential_jwt:
        try:
            awards.credential_of(public_id)
            may_read_credential = True
        except NotFound:
            pass
    return render_page(
        "badges/award.html",
        award=award,
        badge=badge,
        holder=holder,
        may_read_credential=may_read_credential,
        urls=public_urls(award),
        image_url=badges.image_path(badge),
        issuer=signing.issuer_profile(),
        narrative=strategy_for(badge.criteria_strategy).narrative(badge.criteria, LearnerFacts(None)),
        expired=award.expires_at is not None and award.expires_at < utcnow(),
    )


@bp.get("/awards/<public_id>/credential.jwt")
@requires("courses.read")
def credential_download(public_id):
    """The award's signed Open Badges 3.0 credential (VC-JWT), for its holder and staff who see them."""
    award, _badge = awards.credential_of(public_id)
    response = Response(award.credential_jwt, mimetype="application/vc+jwt")
    response.headers["Content-Disposition"] = f'attachment; filename="badge-{award.public_id[:8]}.jwt"'
    return response
