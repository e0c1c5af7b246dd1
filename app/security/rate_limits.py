"""Rate limits (flask-limiter on Redis): per principal when authenticated, per IP otherwise.

Every response to a limited route carries X-RateLimit-Limit, -Remaining and -Reset; a 429 also
carries Retry-After, and is the standard error envelope under /api/ or a page that says when to retry.

Signing in, registering and password resets are limited per organization *and* address, on their
attempts (POSTs) only: a class behind one school's NAT signs in together, and another organization's
users never share its budget. Guessing one account's password is slowed down per account
(`app/security/lockout.py`), whatever the address.
"""

import ipaddress
import time

from flask import current_app, g, render_template, request
from flask_limiter import Limiter, RateLimitExceeded

from app.api.errors import handle_http_exception, wants_envelope
from app.security.principal import try_current_principal
from app.security.rate_limit_storage import STRATEGY, counting_storage_uri
from app.tenancy.context import get_current_tenant


def client_address():
    """Who is calling, as far as we can tell: an IPv4 address, or the /64 network of an IPv6 one.

    One IPv6 host usually holds a whole /64, so counting its addresses one by one would give it
    billions of budgets. Behind trusted proxies `request.remote_addr` is the client (see ProxyFix in
    the factory).
    """
    address = request.remote_addr or "unknown"
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if parsed.version == 6:
        if parsed.ipv4_mapped is not None:  # ::ffff:192.0.2.1 is 192.0.2.1
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def organization_and_address():
    """The sign-in key: this organization (or the platform) and the caller's address."""
    tenant = get_current_tenant()
    return f"signin:{tenant.slug if tenant else 'platform'}:{client_address()}"


def rate_limit_key():
    principal = try_current_principal()
    if principal is not None:
        return f"{principal.kind}:{principal.tenant_id or 0}:{principal.id}"
    return f"ip:{client_address()}"


def default_limit():
    if try_current_principal() is not None:
        return current_app.config["RATELIMIT_AUTHENTICATED"]
    return current_app.config["RATELIMIT_ANONYMOUS"]


def anonymous_limit():
    return current_app.config["RATELIMIT_ANONYMOUS"]


def sensitive_limit():
    """Attempts to sign in, register, or ask for or use a reset link, per organization and address."""
    return current_app.config["RATELIMIT_SENSITIVE"]


# Public, cacheable assets every page (the sign-in page too) loads: counting them would spend a
# school's anonymous budget on stylesheets.
# The operations probes and metrics: a load balancer or a scraper polls them all day from one address.
NOT_LIMITED = (
    None,
    "static",
    "home.branding_css",
    "home.logo",
    "operations.healthz",
    "operations.readyz",
    "operations.metrics",
)


def _not_limited():
    return request.endpoint in NOT_LIMITED


limiter = Limiter(
    key_func=rate_limit_key,
    default_limits=[default_limit],
    default_limits_exempt_when=_not_limited,
    headers_enabled=True,
)


def seconds_until_reset():
    """Whole seconds until the limit that refused this request lets the next one through."""
    current = limiter.current_limit
    if current is None:
        return 60
    return max(int(current.reset_at - time.time()), 1)  # as the limiter's own header counts it


def render_rate_limited(error):
    """A 429: the envelope under /api/, elsewhere a page in the site's layout that says when to retry."""

    if wants_envelope():
        return handle_http_exception(error)
    retry_after = seconds_until_reset()
    html = render_template("errors/429.html", retry_after=retry_after)
    return html, 429, {"Retry-After": str(retry_after)}


def _note_own_retry_after(response):
    """Runs before the limiter adds its headers: remember a Retry-After the error handler set."""
    g.own_retry_after = response.headers.get("Retry-After")
    return response


def _honest_retry_after(response):
    """Runs after the limiter: Retry-After only on a 429 or 503, saying when *that* refusal ends.

    The limiter would put its window's reset on every response, and raise a shorter wait (a sign-in
    slowed down for 2 s) to the end of its own minute.
    """
    if response.status_code not in (429, 503):
        response.headers.remove("Retry-After")
    elif g.get("own_retry_after"):
        response.headers["Retry-After"] = g.own_retry_after
    return response


def init_rate_limits(app):
    app.after_request(_honest_retry_after)  # hooks run in reverse order: this one after the limiter's ...
    app.config["RATELIMIT_STORAGE_URI"] = counting_storage_uri(
        app.config.get("RATELIMIT_STORAGE_URI") or app.config["REDIS_URL"]
    )
    app.config.setdefault("RATELIMIT_KEY_PREFIX", f"{app.config['RQ_QUEUE']}-limits")
    app.config.setdefault("RATELIMIT_STRATEGY", STRATEGY)
    app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", {"socket_connect_timeout": 2})

    limiter.init_app(app)
    app.after_request(_note_own_retry_after)  # ... and this one before it
    app.register_error_handler(RateLimitExceeded, render_rate_limited)


def limit_sensitive(view):
    """Sign-in, registration and reset routes: attempts (POST) limited per organization and address.

    Showing the form (GET) is not an attempt: page views are counted apart, per organization and
    address, at the anonymous rate.
    """
    # per_method: views and attempts never share a counter, even when both limits read the same.
    attempts = limiter.limit(sensitive_limit, key_func=organization_and_address, methods=["POST"], per_method=True)
    page_views = limiter.limit(
        anonymous_limit, key_func=organization_and_address, methods=["GET", "HEAD"], per_method=True
    )
    return page_views(attempts(view))
