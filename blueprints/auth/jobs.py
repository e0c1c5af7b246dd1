"""RQ jobs of sign-in: the reset mail, and the warning about many failed sign-ins.

Both are queued for every address, known or not, and find the person here, in the worker: the
request that queued them costs the same whether the account exists or not.
"""

from flask import current_app

from app.mail import build_message, send_now
from app.tenancy.context import require_tenant
from blueprints.auth import services
from blueprints.users.services import find_user_by_email


def send_password_reset(email):
    """Mail a reset link if `email` is an active account of this tenant; nothing otherwise."""
    services.request_password_reset(email, require_tenant())


def send_registration_mail(email, first_name, last_name, password_hash):
    """A sign-up's e-mail: the confirmation link, or a note that the address already has an account."""
    services.send_registration_mail(email, first_name, last_name, password_hash)


def warn_of_failed_sign_ins(email):
    """Tell the person, at their sign-in address, that their account saw many failed sign-ins."""
    tenant = require_tenant()
    user = find_user_by_email(email or "")
    if user is None or not user.is_active:
        return
    config = current_app.config
    forgot = f"{config['LMS_URL_SCHEME']}://{tenant.slug}.{config['LMS_BASE_DOMAIN']}/forgot-password"
    text = (
        f"Hello {user.full_name},\n\n"
        f"Someone tried to sign in to your {tenant.name} account ({user.email}) with a wrong password "
        "several times. While this goes on, sign-ins to your account are slowed down (at most "
        f"{int(config['LOGIN_SLOWDOWN_MAX_SECONDS'])} seconds between attempts); where you signed in "
        "before, you sign in as usual.\n\n"
        "If this was you, there is nothing to do. If it was not, your password is safe as long as nobody "
        "knows it; to be sure, choose a new one here:\n\n"
        f"{forgot}\n"
    )
    # To the sign-in address, never the notification address: anyone who could change that one
    # could also hide these warnings.
    send_now(build_message(user.email, f"Failed sign-ins to your {tenant.name} account", text))
