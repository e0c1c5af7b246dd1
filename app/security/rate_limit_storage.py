"""Rate-limit counters on Redis in one round trip per request, headers included.

limits' Redis storage counts a request with one script call (INCRBY, and EXPIRE on a new window), then reads the
window again for the `X-RateLimit-Remaining` and `-Reset` headers: a GET and a TTL, two more round trips on every
request. This storage (limits' documented extension point: a `Storage` subclass registers its URL scheme) makes
its script also return the window's TTL and remembers both for the rest of the request, where the header reads
find them. Counting, refusing and the headers' meaning are unchanged; outside a request, or for a key this
request did not count, it reads Redis as before.

Counts taken in advance for busy keys (`LeasedFixedWindowRateLimiter`, the app's strategy): a principal that keeps
calling (an integration's script, a page's polling) cost a Redis round trip on every request, a fifth of an API
read. A process that sees a key again within its window takes the next counts in one INCRBY (2, then 4, up to
LEASE_MOST) and hands them out in order, each request getting its own position in the window, so that a request
is refused exactly when its position passes the limit. Nobody is served past the limit: counts are taken before
they are spent, and a lease ends a moment before its window does. The price: counts a process took but did not
spend before the window ended are lost, so a principal served by several processes can be refused up to
(processes - 1) x LEASE_MOST requests early in a busy window; leases are therefore only taken for limits of at
least LEASE_FROM a window, and never more than a LEASE_SHARE-th of the limit at once. Limits below that (sign-in,
registration, resets, anonymous callers of a small budget) count every request in Redis.
"""

import threading
import time
from dataclasses import dataclass

from flask import g, has_app_context
from limits.storage import RedisStorage
from limits.strategies import FixedWindowRateLimiter

SCHEME = "tessera+redis"
LEASE_FROM = 200  # a limit's amount per window from which counts are leased
LEASE_SHARE = 64  # a lease is at most this share of the limit (1000 a minute: 15 counts)
LEASE_MOST = 16
LEASE_MARGIN = 0.25  # seconds before its window's end that a lease stops: never spend into the next window
MAX_LEASES = 10_000

_INCR_EXPIRE_TTL = """
local current = redis.call("incrby", KEYS[1], ARGV[2])
if tonumber(current) == tonumber(ARGV[2]) then
    redis.call("expire", KEYS[1], ARGV[1])
end
return {current, redis.call("pttl", KEYS[1])}
"""


@dataclass
class _Lease:
    next: int  # the next position to hand out
    last: int  # the last position taken
    ends: float  # time.time() after which it is not used
    size: int  # how many were taken last


def _windows():
    if not has_app_context():
        return None
    windows = g.get("rate_limit_windows")
    if windows is None:
        windows = g.rate_limit_windows = {}
    return windows


class CountingRedisStorage(RedisStorage):
    STORAGE_SCHEME = [SCHEME, f"{SCHEME}s"]

    def __init__(self, uri, **options):
        super().__init__(uri.replace(SCHEME, "redis", 1), **options)
        self.lua_incr_expire_ttl = self.get_connection().register_script(_INCR_EXPIRE_TTL)
        self._leases = {}  # prefixed key -> _Lease, this process's
        self._lock = threading.Lock()

    def incr(self, key, expiry, amount=1):
        return self._count(self.prefixed_key(key), expiry, amount)[0]

    def incr_leased(self, key, expiry, most):
        """This request's position in the key's window, from this process's lease when it holds one; else a
        new lease of up to `most` counts (doubling while the key stays busy here) from Redis."""
        prefixed = self.prefixed_key(key)
        now = time.time()
        with self._lock:
            lease = self._leases.get(prefixed)
            if lease is not None and now < lease.ends and lease.next <= lease.last:
                position, lease.next = lease.next, lease.next + 1
                self._remember(prefixed, position, lease.ends + LEASE_MARGIN)
                return position
            size = min(lease.size * 2, most, LEASE_MOST) if lease is not None and now < lease.ends else 1
        current, reset = self._count(prefixed, expiry, size, started=now)
        first = current - size + 1
        with self._lock:
            if len(self._leases) >= MAX_LEASES:
                self._leases = {k: v for k, v in self._leases.items() if v.ends > now}
            # a window about to end gets no lease: its counts could be spent after Redis started the next one
            self._leases[prefixed] = _Lease(first + 1, current, reset - LEASE_MARGIN, size)
        self._remember(prefixed, first, reset)
        return first

    def _count(self, prefixed, expiry, amount, started=None):
        """(count after adding `amount`, the window's end as time.time()), kept for this request's headers."""
        started = started or time.time()  # before the call: the window's end is no earlier than this says
        current, milliseconds = self.lua_incr_expire_ttl([prefixed], [expiry, amount])
        reset = started + max(int(milliseconds), 0) / 1000
        self._remember(prefixed, int(current), reset)
        return int(current), reset

    @staticmethod
    def _remember(prefixed, count, reset):
        windows = _windows()
        if windows is not None:
            windows[prefixed] = (count, reset)

    def get(self, key):
        window = self._counted(key)
        return window[0] if window else super().get(key)

    def get_expiry(self, key):
        window = self._counted(key)
        return window[1] if window else super().get_expiry(key)

    def clear(self, key):
        windows = _windows()
        if windows:
            windows.pop(self.prefixed_key(key), None)
        with self._lock:
            self._leases.pop(self.prefixed_key(key), None)
        super().clear(key)

    def _counted(self, key):
        windows = _windows()
        return windows.get(self.prefixed_key(key)) if windows else None


class LeasedFixedWindowRateLimiter(FixedWindowRateLimiter):
    """limits' fixed window, counting a busy key from leases (see above) when its limit is large enough."""

    def hit(self, item, *identifiers, cost=1):
        leased = getattr(self.storage, "incr_leased", None)
        if leased is None or cost != 1 or item.amount < LEASE_FROM:
            return super().hit(item, *identifiers, cost=cost)
        return leased(item.key_for(*identifiers), item.get_expiry(), item.amount // LEASE_SHARE) <= item.amount


def counting_storage_uri(uri):
    """A redis:// (or rediss://) URL as this storage's; any other (memory://) as it is."""
    if uri.startswith(("redis://", "rediss://")):
        return SCHEME + uri[len("redis") :]
    return uri
