"""Who may read the operations detail (readiness checks, metrics): the metrics token's holder, a platform
operator (readiness only), or, when no token is configured, a process on this machine asking directly."""

import hmac
import ipaddress

from flask import current_app, request

from app.security.principal import try_current_principal


def holds_metrics_token():
    """`Authorization: Bearer <LMS_METRICS_TOKEN>`, compared in constant time."""
    expected = current_app.config["METRICS_TOKEN"]
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if not expected or scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), expected.encode())


def asks_from_loopback():
    """A direct request from this machine. One that came through a proxy (it says whom it forwards for) is
    someone else's, even when the proxy itself is on loopback and LMS_TRUSTED_PROXIES is 0."""
    if "X-Forwarded-For" in request.headers or "Forwarded" in request.headers:
        return False
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


def may_read_metrics():
    if current_app.config["METRICS_TOKEN"]:
        return holds_metrics_token()
    return asks_from_loopback()


def may_read_readiness_detail():
    if holds_metrics_token():
        return True
    principal = try_current_principal()
    return principal is not None and principal.kind == "operator"
