"""Rate limits (the limits library on Redis): per principal when authenticated, per IP otherwise.

Every response to a limited route carries X-RateLimit-Limit, -Remaining and -Reset; a 429 also
carries Retry-After, and is the standard error envelope under /api/ or a page that says when to retry.

Signing in, registering and password resets are limited per organization *and* address, on their
attempts (POSTs) only: a class behind one school's NAT signs in together, and another organization's
users never share its budget. Guessing one account's password is slowed down per account
(`app/security/lockout.py`), whatever the address.
"""

import functools
import ipaddress
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app, g, render_template, request
from limits import RateLimitItem, parse_many
from limits.storage import storage_from_string
from werkzeug.exceptions import TooManyRequests

from app.api.errors import handle_http_exception, wants_envelope
from app.security.principal import try_current_principal
from app.security.rate_limit_storage import LeasedFixedWindowRateLimiter, counting_storage_uri
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


@dataclass(frozen=True)
class Rule:
    """One limit of a route: its amount (read from the configuration when counting), whom it counts, and which counter.

    A rule's counter is the route's own (`scope` None) or shared by every route naming the same scope; `per_method`
    gives each method its own counter.
    """

    amount: Callable[[], str]
    key: Callable[[], str]
    methods: frozenset[str] | None = None  # None: every method
    scope: str | None = None
    per_method: bool = False

    def counter(self, endpoint, method):
        scope = self.scope or endpoint
        return f"{scope}:{method}" if self.per_method else scope


# Every route without rules of its own: per principal (or address), each route its own counter.
DEFAULT_RULES = (Rule(default_limit, rate_limit_key),)
EXTENSION = "tessera.rate_limits"


LIMIT_SETTINGS = ("RATELIMIT_AUTHENTICATED", "RATELIMIT_ANONYMOUS", "RATELIMIT_SENSITIVE", "RATELIMIT_VERIFY")


@functools.lru_cache(maxsize=64)
def parsed_limits(text):
    """`100 per minute;1000 per hour` as limits' items, the shortest window first (each is counted); the
    configuration holds a handful of these, parsed once each."""
    return tuple(sorted(parse_many(text)))


class RateLimitExceeded(TooManyRequests):
    def __init__(self, item):
        super().__init__(description=f"Too many requests: at most {item} here. Try again later.")
        self.item = item


@dataclass
class _Counted:
    """The limit this request was counted against, for its headers."""

    item: RateLimitItem
    identifiers: tuple[str, ...]


class _AppLimits:
    """One app's counters: its storage, key prefix and the rules of each (endpoint, method), resolved once."""

    def __init__(self, app):
        config = app.config
        self.enabled = config.get("RATELIMIT_ENABLED", True)
        self.prefix = config["RATELIMIT_KEY_PREFIX"]
        storage = storage_from_string(config["RATELIMIT_STORAGE_URI"], **config["RATELIMIT_STORAGE_OPTIONS"])
        self.strategy = LeasedFixedWindowRateLimiter(storage)
        self.rules = {}

    def rules_for(self, endpoint, method):
        rules = self.rules.get((endpoint, method))
        if rules is None:
            rules = self.rules[(endpoint, method)] = route_rules(endpoint, method)
        return rules


def route_rules(endpoint, method):
    """The rules a view was given (`RequestLimiter.limit`) for this method, or the defaults if it was given none.

    A class-based view (the API's resources) carries them on the method that answers, or on the view function
    (`decorators = [...]`).
    """
    view = current_app.view_functions.get(endpoint)
    own = getattr(view, "rate_limit_rules", None)
    view_class = getattr(view, "view_class", None)
    if own is None and view_class is not None:
        handler = getattr(view_class, method.lower(), None)
        if handler is None and method == "HEAD":
            handler = getattr(view_class, "get", None)
        own = getattr(handler, "rate_limit_rules", None)
    matching = tuple(rule for rule in own or () if rule.methods is None or method in rule.methods)
    return matching or DEFAULT_RULES  # a method none of its own rules names is still counted


class RequestLimiter:
    """Counts each request against its route's limits before the view runs, and says where it stands in headers.

    Our own rather than flask-limiter: that extension resolved every route's limits again on every request (its
    default limit evaluated and parsed, the blueprint exemption scopes walked), about a quarter of an authenticated
    API read's CPU (docs/decisions.md). Here a route's rules are resolved once, a limit's text parsed once, and
    counting goes through limits' strategy and storage as before (same Redis keys, same leases).
    """

    def init_app(self, app):
        app.config["RATELIMIT_STORAGE_URI"] = counting_storage_uri(
            app.config.get("RATELIMIT_STORAGE_URI") or app.config["REDIS_URL"]
        )
        app.config.setdefault("RATELIMIT_KEY_PREFIX", f"{app.config['RQ_QUEUE']}-limits")
        app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", {"socket_connect_timeout": 2})
        for name in LIMIT_SETTINGS:  # a limit that does not parse stops the start, not every request
            try:
                parsed_limits(app.config[name])
            except ValueError as error:
                raise RuntimeError(f"{name} is not a rate limit ('100 per minute'): {error}") from error
        app.extensions[EXTENSION] = _AppLimits(app)
        app.before_request(self.count_request)
        app.teardown_request(self.forget_request)
        app.after_request(self.add_headers)
        app.register_error_handler(RateLimitExceeded, render_rate_limited)

    @staticmethod
    def limit(amount, *, key, methods=None, per_method=False, scope=None):
        """A route's own limit (decorator; the route then has no default limit): `amount` reads the configuration."""
        rule = Rule(amount, key, frozenset(methods) if methods else None, scope, per_method)

        def mark(view):
            view.rate_limit_rules = (*getattr(view, "rate_limit_rules", ()), rule)
            return view

        return mark

    def shared_limit(self, amount, scope, *, key):
        """One counter for every route with this limit's `scope`."""
        return self.limit(amount, key=key, scope=scope)

    @staticmethod
    def count_request():
        limits = current_app.extensions[EXTENSION]
        endpoint = request.endpoint
        if not limits.enabled or endpoint in NOT_LIMITED or endpoint.rpartition(".")[2] == "static":
            return
        method = request.method
        counted = []
        for rule in limits.rules_for(endpoint, method):
            identifiers = (limits.prefix, rule.key(), rule.counter(endpoint, method))
            for item in parsed_limits(rule.amount()):
                if not limits.strategy.hit(item, *identifiers):
                    g.rate_limit = (_Counted(item, identifiers),)  # the headers speak of the limit that refused
                    raise RateLimitExceeded(item)
                counted.append(_Counted(item, identifiers))
        g.rate_limit = tuple(counted)

    @staticmethod
    def add_headers(response):
        """X-RateLimit-* on every counted response; Retry-After on a 429 of ours, unless it says its own wait."""
        if not g.get("rate_limit"):
            return response
        limits = current_app.extensions[EXTENSION]
        (reset, remaining), counted = min(  # of several limits, the tightest: the one with the fewest left
            ((limits.strategy.get_window_stats(c.item, *c.identifiers), c) for c in g.rate_limit),
            key=lambda stats: stats[0][1],
        )
        reset_at = int(reset + 1)
        response.headers["X-RateLimit-Limit"] = str(counted.item.amount)
        response.headers["X-RateLimit-Remaining"] = str(remaining)
        response.headers["X-RateLimit-Reset"] = str(reset_at)
        if response.status_code == 429 and "Retry-After" not in response.headers:
            response.headers["Retry-After"] = str(max(int(reset_at - time.time()), 1))
        return response

    @staticmethod
    def forget_request(_error=None):
        """The request's counter leaves with it: an application context reused by the next request (a streamed
        response still open) must not lend that request another caller's headers."""
        g.pop("rate_limit", None)
        g.pop("rate_limit_windows", None)

    @staticmethod
    def reset():
        """Forget every count in the storage, every app's (tests only)."""
        current_app.extensions[EXTENSION].strategy.storage.reset()


limiter = RequestLimiter()


def seconds_until_reset():
    """Whole seconds until the limit that refused this request lets the next one through."""
    if not g.get("rate_limit"):
        return 60
    counted = g.rate_limit[0]  # on a refusal, the limit that refused
    reset, _ = current_app.extensions[EXTENSION].strategy.get_window_stats(counted.item, *counted.identifiers)
    return max(int(reset + 1 - time.time()), 1)  # as the header counts it


def render_rate_limited(error):
    """A 429: the envelope under /api/, elsewhere a page in the site's layout that says when to retry."""

    if wants_envelope():
        return handle_http_exception(error)
    retry_after = seconds_until_reset()
    html = render_template("errors/429.html", retry_after=retry_after)
    return html, 429, {"Retry-After": str(retry_after)}


def init_rate_limits(app):
    limiter.init_app(app)


def limit_sensitive(view):
    """Sign-in, registration and reset routes: attempts (POST) limited per organization and address.

    Showing the form (GET) is not an attempt: page views are counted apart, per organization and
    address, at the anonymous rate.
    """
    # per_method: views and attempts never share a counter, even when both limits read the same.
    attempts = limiter.limit(sensitive_limit, key=organization_and_address, methods=["POST"], per_method=True)
    page_views = limiter.limit(anonymous_limit, key=organization_and_address, methods=["GET", "HEAD"], per_method=True)
    return page_views(attempts(view))
