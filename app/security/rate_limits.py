"""Rate limits (flask-limiter on Redis): per principal when authenticated, per IP otherwise.

Every response to a limited route carries X-RateLimit-Limit, -Remaining and -Reset; a 429 also
carries Retry-After and the standard error envelope.
"""

from flask import current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from app.security.principal import try_current_principal


def rate_limit_key():
    principal = try_current_principal()
    if principal is not None:
        return f"{principal.kind}:{principal.tenant_id or 0}:{principal.id}"
    return f"ip:{get_remote_address()}"


def default_limit():
    if try_current_principal() is not None:
        return current_app.config["RATELIMIT_AUTHENTICATED"]
    return current_app.config["RATELIMIT_ANONYMOUS"]


def sensitive_limit():
    """Sign-in, registration and password reset: per IP, whoever claims to be calling."""
    return current_app.config["RATELIMIT_SENSITIVE"]


def _not_limited():
    return request.endpoint in (None, "static", "home.healthz")


limiter = Limiter(
    key_func=rate_limit_key,
    default_limits=[default_limit],
    default_limits_exempt_when=_not_limited,
    headers_enabled=True,
)


def init_rate_limits(app):
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config["REDIS_URL"])
    app.config.setdefault("RATELIMIT_KEY_PREFIX", f"{app.config['RQ_QUEUE']}-limits")
    app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", {"socket_connect_timeout": 2})

    # Registered before the limiter's own hook, so it runs after it (Flask runs them in reverse): the
    # limiter sets Retry-After on every response, which tells clients to wait when nothing was refused.
    @app.after_request
    def retry_after_only_when_refused(response):
        if response.status_code not in (429, 503):
            response.headers.pop("Retry-After", None)
        return response

    limiter.init_app(app)


def limit_sensitive(view):
    return limiter.limit(sensitive_limit, key_func=get_remote_address)(view)
