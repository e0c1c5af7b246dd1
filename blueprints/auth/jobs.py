"""RQ jobs of sign-in: the reset mail.

Queued for every address, known or not, and finds the person here, in the worker: the request that
queued it costs the same whether the account exists or not.
"""

from app.tenancy.context import require_tenant
from blueprints.auth import services


def send_password_reset(email):
    """Mail a reset link if `email` is an active account of this tenant; nothing otherwise."""
    services.request_password_reset(email, require_tenant())
