"""Brute-force protection per account: after N failed logins in a window, refuse until it ends.

Counted in Redis so that every web process sees the same count; keyed by tenant and e-mail, so
an attacker cannot lock one organization's user out of another organization.
"""

from flask import current_app

from app.errors import TooManyRequests
from app.jobs import redis_connection


def _key(scope, email):
    return f"{current_app.config['RQ_QUEUE']}:login-failures:{scope}:{(email or '').strip().lower()}"


def check_not_locked(scope, email):
    connection = redis_connection()
    key = _key(scope, email)
    failures = int(connection.get(key) or 0)
    if failures >= current_app.config["LOGIN_FAILURE_LIMIT"]:
        retry_after = max(int(connection.ttl(key)), 1)
        raise TooManyRequests(
            "Too many failed sign-ins for this account. Try again later or reset your password.",
            code="TOO_MANY_LOGIN_ATTEMPTS",
            headers={"Retry-After": str(retry_after)},
        )


def record_failure(scope, email):
    connection = redis_connection()
    key = _key(scope, email)
    with connection.pipeline() as pipe:
        pipe.incr(key)
        pipe.expire(key, current_app.config["LOGIN_FAILURE_WINDOW_SECONDS"], nx=True)
        pipe.execute()


def reset_failures(scope, email):
    redis_connection().delete(_key(scope, email))
