"""Sign-in pages: login, logout, forgot and reset password, and the profile page."""

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.errors import DomainError, NotFound
from app.forms import apply_domain_error
from app.security.operators import open_operator_sign_in, principal_for_operator
from app.security.principal import requires
from app.security.rate_limits import limit_sensitive
from app.security.sessions import end_session, start_session
from app.tenancy.context import get_current_tenant
from blueprints.auth import services
from blueprints.auth.forms import (
    ChangePasswordForm,
    ConfirmRegistrationForm,
    ForgotPasswordForm,
    LoginForm,
    ProfileForm,
    RegisterForm,
    ResetPasswordForm,
    SignOutElsewhereForm,
)
from blueprints.users.services import get_user, principal_for_user

bp = Blueprint("auth_pages", __name__)


def _safe_next(target, landing):
    """Only same-host paths: a login link must not bounce people to another site (then: `landing`)."""
    if not target:
        return landing
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return landing
    return target


def _working_page(principal):
    """Where a person's day starts: people for admins and branch managers, teaching for teachers,
    My learning for students; the front page for anyone else (the platform's operators)."""
    if principal.can("users.read"):
        return url_for("people_pages.index")
    if principal.can("courses.manage"):
        return url_for("teaching_pages.index")
    if principal.can("courses.learn"):
        return url_for("learning_pages.my_learning")
    return url_for("home.index")


@bp.route("/login", methods=["GET", "POST"])
@limit_sensitive
def login():
    """Sign in with e-mail and password."""
    form = LoginForm()
    tenant = get_current_tenant()
    if form.validate_on_submit():
        try:
            agent = request.user_agent.string
            if tenant is None:
                operator = services.authenticate_operator_or_fail(form.email.data, form.password.data)
                principal = principal_for_operator(operator.id, open_operator_sign_in(operator.id, "page", agent))
            else:
                user = services.authenticate_for_tenant(form.email.data, form.password.data, tenant)
                principal = principal_for_user(user.id, services.open_sign_in(user.id, "page", agent, commit=True))
            start_session(principal)
        except DomainError as error:
            form.form_errors.append(error.message)
            return render_template("auth/login.html", form=form), error.status, error.headers
        return redirect(_safe_next(request.args.get("next"), _working_page(principal)))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    """Sign out of this organization on this browser (a copy of its cookie stops working too)."""
    services.end_current_sign_in()
    end_session()
    flash("You are signed out.")
    return redirect(url_for("auth_pages.login"))


@bp.route("/forgot-password", methods=["GET", "POST"])
@limit_sensitive
def forgot_password():
    """Ask for a password reset link by e-mail."""
    tenant = get_current_tenant()
    form = ForgotPasswordForm()
    if form.validate_on_submit() and tenant is not None:
        services.request_password_reset_later(form.email.data, tenant)
        return render_template("auth/forgot_sent.html", email=form.email.data)
    return render_template("auth/forgot.html", form=form, on_platform=tenant is None)


def _registration_or_404():
    tenant = get_current_tenant()
    if not services.registration_open(tenant):
        raise NotFound("This organization does not take sign-ups. Ask it for an invitation.")
    return tenant


@bp.route("/register", methods=["GET", "POST"])
@limit_sensitive
def register():
    """Create a student account, where the organization allows it; an e-mail confirms the address."""
    tenant = _registration_or_404()
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            services.request_registration(
                form.first_name.data, form.last_name.data, form.email.data, form.password.data, tenant
            )
        except DomainError as error:
            apply_domain_error(form, error)
            return render_template("auth/register.html", form=form), error.status
        return render_template("auth/register_sent.html", email=form.email.data)
    return render_template("auth/register.html", form=form), 422 if form.is_submitted() else 200


@bp.route("/register/confirm", methods=["GET", "POST"])
@limit_sensitive
def confirm_registration():
    """Confirm a sign-up with the link from its e-mail: the account is made, and you are signed in."""
    tenant = _registration_or_404()
    form = ConfirmRegistrationForm()
    token = request.args.get("token", "")
    if form.validate_on_submit():
        try:
            user = services.confirm_registration(token, tenant)
        except DomainError as error:
            return render_template("auth/register_confirm.html", form=form, token=token, error=error), error.status
        sign_in = services.sign_in_after_registration(user, request.user_agent.string)
        start_session(principal_for_user(user.id, sign_in))
        flash("Welcome! Your account is ready.")
        return redirect(url_for("home.index"))
    return render_template("auth/register_confirm.html", form=form, token=token, error=None)


@bp.route("/reset-password", methods=["GET", "POST"])
@limit_sensitive
def reset_password():
    """Choose a new password with the link from the reset e-mail."""
    form = ResetPasswordForm()
    token = request.args.get("token", "")
    if form.validate_on_submit():
        try:
            services.reset_password(token, form.password.data)
        except DomainError as error:
            apply_domain_error(form, error)
            return render_template("auth/reset.html", form=form, token=token), error.status
        flash("Your password is changed. Sign in with the new one.")
        return redirect(url_for("auth_pages.login"))
    return render_template("auth/reset.html", form=form, token=token)


@bp.route("/profile", methods=["GET", "POST"])
@requires("self.read")
def profile():
    """Change your name, where notifications go, and your password."""
    principal = current_user.principal
    if principal.kind != "user":
        return redirect(url_for("home.index"))
    user = get_user(principal.id)
    profile_form = ProfileForm(prefix="profile", obj=user)
    password_form = ChangePasswordForm(prefix="password")
    status = 200
    submitted = request.form.get("form") if request.method == "POST" else None
    if submitted == "profile":
        if profile_form.validate_on_submit():
            try:
                services.update_profile(
                    user,
                    profile_form.first_name.data,
                    profile_form.last_name.data,
                    profile_form.notification_email.data or "",
                )
                flash("Profile saved.")
                return redirect(url_for("auth_pages.profile"))
            except DomainError as error:
                apply_domain_error(profile_form, error)
        status = 422
    elif submitted == "password":
        if password_form.validate_on_submit():
            try:
                services.change_password(
                    user,
                    password_form.current_password.data,
                    password_form.new_password.data,
                    keep_sign_in=principal.session_id,
                )
                flash("Password changed. Other signed-in apps must sign in again.")
                return redirect(url_for("auth_pages.profile"))
            except DomainError as error:
                apply_domain_error(password_form, error)
        status = 422
    elif submitted == "sessions" and SignOutElsewhereForm().validate_on_submit():
        services.sign_out_elsewhere(user.id, principal.session_id)
        flash("Signed out everywhere else.")
        return redirect(url_for("auth_pages.profile"))
    return render_template(
        "auth/profile.html",
        profile_form=profile_form,
        password_form=password_form,
        sessions_form=SignOutElsewhereForm(),
        sign_ins=services.open_sign_ins(user.id),
        current_sign_in=principal.session_id,
        user=user,
    ), status
