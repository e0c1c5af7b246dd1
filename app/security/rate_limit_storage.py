"""Rate-limit counters on Redis in one round trip per request, headers included.

flask-limiter counts a request with one script call (INCRBY, and EXPIRE on a new window), then reads the window
again for the `X-RateLimit-Remaining` and `-Reset` headers: a GET and a TTL, two more round trips on every
request. This storage (limits' documented extension point: a `Storage` subclass registers its URL scheme) makes
its script also return the window's TTL and remembers both for the rest of the request, where the header reads
find them. Counting, refusing and the headers' meaning are unchanged; outside a request, or for a key this
request did not count, it reads Redis as before.
"""

import time

from flask import g, has_app_context
from limits.storage import RedisStorage

SCHEME = "tessera+redis"

_INCR_EXPIRE_TTL = """
local current = redis.call("incrby", KEYS[1], ARGV[2])
if tonumber(current) == tonumber(ARGV[2]) then
    redis.call("expire", KEYS[1], ARGV[1])
end
return {current, redis.call("ttl", KEYS[1])}
"""


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

    def incr(self, key, expiry, amount=1):
        prefixed = self.prefixed_key(key)
        current, ttl = self.lua_incr_expire_ttl([prefixed], [expiry, amount])
        windows = _windows()
        if windows is not None:
            windows[prefixed] = (int(current), max(int(ttl), 0) + time.time())
        return int(current)

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
        super().clear(key)

    def _counted(self, key):
        windows = _windows()
        return windows.get(self.prefixed_key(key)) if windows else None


def counting_storage_uri(uri):
    """A redis:// (or rediss://) URL as this storage's; any other (memory://) as it is."""
    if uri.startswith(("redis://", "rediss://")):
        return SCHEME + uri[len("redis") :]
    return uri
