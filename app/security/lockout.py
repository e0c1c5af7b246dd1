"""Password guessing protection per account that slows attackers down without locking owners out.

Three rules, all counted in Redis (every web process sees the same numbers), per account (tenant
slug, or `platform` for operators, and e-mail), in one Lua script so that concurrent attempts cannot
slip past a check together:

- **Slow down** (every address): the account's first `LOGIN_SLOWDOWN_AFTER` attempts are free; each
  later one must wait 1, 2, 4, 8 … s (`LOGIN_SLOWDOWN_FIRST_SECONDS`, doubling, at most
  `LOGIN_SLOWDOWN_MAX_SECONDS`) after the previous one. Wrong answers can never come faster than that,
  from however many addresses, yet the owner is only ever asked to wait, never refused for long.
- **Refuse one address**: an address that got `LOGIN_FAILURES_PER_SOURCE` wrong answers for the
  account is refused until the account has been quiet for `LOGIN_FAILURE_WINDOW_SECONDS`. Only that
  address: an attacker elsewhere cannot lock the owner out.
- **Known addresses** (where the account signed in during the last `LOGIN_KNOWN_SOURCE_DAYS`) are not
  slowed down by the others' failures, so the owner at home or at school is not kept waiting by a
  distributed attack. Their own wrong answers still count.

An attempt is counted before the password is checked (a success takes its count back), and the counts
fade when the account has been quiet for the window. A password reset clears them. The service warns
the owner by e-mail once per `LOGIN_ALERT_SECONDS` when the account starts being slowed down.
"""

import math
import time
from dataclasses import dataclass

from flask import current_app

from app.errors import TooManyRequests
from app.jobs import redis_connection
from app.security.rate_limits import client_address

# KEYS: the account's counters (a hash), its known addresses (a set).
# ARGV: now (ms), source, window (ms), failures per source, free attempts, first wait (ms), max wait (ms).
# Returns {"ok", attempt number}, {"source", ms until the count fades} or {"wait", ms until the next slot}.
_BEGIN_ATTEMPT = """
local account, known = KEYS[1], KEYS[2]
local now, source = tonumber(ARGV[1]), 'src:' .. ARGV[2]
local state = redis.call('HMGET', account, 'attempts', source, 'not_before')
if (tonumber(state[2]) or 0) >= tonumber(ARGV[4]) then
  return {'source', redis.call('PTTL', account)}
end
local is_known = redis.call('SISMEMBER', known, ARGV[2]) == 1
local not_before = tonumber(state[3]) or 0
if not is_known and not_before > now then
  return {'wait', not_before - now}
end
local attempts = redis.call('HINCRBY', account, 'attempts', 1)
redis.call('HINCRBY', account, source, 1)
local free = tonumber(ARGV[5])
if attempts >= free then
  local wait = math.min(tonumber(ARGV[6]) * 2 ^ (attempts - free), tonumber(ARGV[7]))
  redis.call('HSET', account, 'not_before', math.floor(now + wait))
end
redis.call('PEXPIRE', account, ARGV[3])
return {'ok', attempts}
"""

# KEYS: as above. ARGV: source, seconds an address stays known. The counters may have faded meanwhile:
# then there is nothing to take back (and no key without an expiry is created).
_SUCCEEDED = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HINCRBY', KEYS[1], 'attempts', -1)
  redis.call('HDEL', KEYS[1], 'src:' .. ARGV[1])
end
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('EXPIRE', KEYS[2], ARGV[2])
"""


def _account(scope, email):
    return f"{scope}:{(email or '').strip().lower()}"


def _counters_key(account):
    return f"{current_app.config['RQ_QUEUE']}:login-attempts:{account}"


def _known_key(account):
    return f"{current_app.config['RQ_QUEUE']}:login-known:{account}"


def _alert_key(account):
    return f"{current_app.config['RQ_QUEUE']}:login-alert:{account}"


def _too_many(message, code, milliseconds):
    seconds = max(math.ceil(milliseconds / 1000), 1)
    return TooManyRequests(
        message.format(seconds=seconds, unit="second" if seconds == 1 else "seconds"),
        code=code,
        headers={"Retry-After": str(seconds)},
    )


@dataclass
class SignInAttempt:
    """One counted attempt to sign in to one account from one address."""

    account: str
    source: str
    number: int

    def succeeded(self):
        """The password was right: take the attempt back, trust this address, forget its failures."""
        redis_connection().eval(
            _SUCCEEDED,
            2,
            _counters_key(self.account),
            _known_key(self.account),
            self.source,
            current_app.config["LOGIN_KNOWN_SOURCE_DAYS"] * 86400,
        )

    def owner_should_be_warned(self):
        """True once per alert interval, when a wrong answer brought the account into slow-down."""
        config = current_app.config
        if self.number < config["LOGIN_SLOWDOWN_AFTER"]:
            return False
        return bool(redis_connection().set(_alert_key(self.account), 1, nx=True, ex=config["LOGIN_ALERT_SECONDS"]))


def begin_attempt(scope, email):
    """Count an attempt on `email` in `scope` (a tenant slug or "platform") from this request's address.

    Raises TooManyRequests (429, Retry-After) when this address is refused for the account, or when
    the account is slowed down and its next attempt is not due yet.
    """
    config = current_app.config
    account, source = _account(scope, email), client_address()
    outcome, value = redis_connection().eval(
        _BEGIN_ATTEMPT,
        2,
        _counters_key(account),
        _known_key(account),
        int(time.time() * 1000),
        source,
        config["LOGIN_FAILURE_WINDOW_SECONDS"] * 1000,
        config["LOGIN_FAILURES_PER_SOURCE"],
        config["LOGIN_SLOWDOWN_AFTER"],
        int(config["LOGIN_SLOWDOWN_FIRST_SECONDS"] * 1000),
        int(config["LOGIN_SLOWDOWN_MAX_SECONDS"] * 1000),
    )
    if outcome == b"source":
        raise _too_many(
            "Too many failed sign-ins for this account from your network. Try again in {seconds} {unit}, "
            "or reset your password.",
            "TOO_MANY_LOGIN_ATTEMPTS",
            value,
        )
    if outcome == b"wait":
        raise _too_many(
            "This account had many failed sign-ins, so attempts are slowed down. Try again in {seconds} {unit}.",
            "LOGIN_SLOWED_DOWN",
            value,
        )
    return SignInAttempt(account, source, int(value))


def clear(scope, email):
    """Forget the account's failures (after a password reset): every address may try again at once."""
    redis_connection().delete(_counters_key(_account(scope, email)))
