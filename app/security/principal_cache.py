"""People's principals kept per process between requests, dropped whenever what they are read from changes.

Every authenticated request needs its person's principal: active, role, and the token's or cookie's sign-in still
open. Reading it was a statement on every request (a tenth of an API read's time). Each process keeps the
principals it read, keyed by organization, person and sign-in, under three rules (docs/decisions.md):

- Kept only while the process hears other processes' changes (the tenant-changes listener is subscribed,
  app/tenancy/invalidation.py), and at most `PRINCIPAL_CACHE_SECONDS` even then. Not listening: no caching.
- Any statement that writes a table a principal is read from (the feature that loads principals names them:
  `watch_tables`) drops that organization's principals in this process at once, again when its connection goes
  back to the pool (after its commit or rollback), and is announced to every other process then. Writes of bulk
  code (imports, roster syncs, archiving runs) and raw SQL sent through SQLAlchemy are seen the same way as the
  ORM's: the statement is what is watched, not the code path.
- A principal read while a drop happened is not kept (a generation counter), so a read that began before a
  commit cannot store what the commit replaced.

A refusal (inactive person, ended sign-in) is never kept: it is read again on the next request.
"""

import re
import threading
import time

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool

from app.tenancy.context import get_current_tenant

EXTENSION = "principals"
EVERY_ORGANIZATION = "*"  # a write outside any organization's context: drop them all
MAX_ENTRIES = 20_000  # per organization: past this it starts afresh rather than keep old sign-ins forever
_CHANGED = "tessera_people_changed"  # on a DBAPI connection's info: the organizations its writes touched
_watched = {"pattern": None}


class PrincipalCache:
    hears = ("", "people")  # the listener's message kinds: an organization changed, its people changed

    def __init__(self, seconds):
        self.seconds = seconds
        self.listening = False  # set by the tenant-changes listener while subscribed
        self._entries = {}  # slug -> {(slug, tenant id, person id, sign-in id) -> (Principal, time.monotonic())}
        self._generation = 0
        self._lock = threading.Lock()

    def principal(self, key, load):
        """The kept principal of `key`, or `load()`'s answer (kept if it is a principal and nothing was dropped
        while it was read)."""
        if not self.listening or self.seconds <= 0:
            return load()
        entry = self._entries.get(key[0], {}).get(key)
        now = time.monotonic()
        if entry is not None and now - entry[1] <= self.seconds:
            return entry[0]
        generation = self._generation
        principal = load()
        if principal is not None:
            with self._lock:
                if generation == self._generation and self.listening:
                    kept = self._entries.setdefault(key[0], {})
                    if len(kept) >= MAX_ENTRIES:
                        kept.clear()
                    kept[key] = (principal, now)
        return principal

    def forget(self, slug):
        """Drop an organization's principals (EVERY_ORGANIZATION: everyone's)."""
        if slug == EVERY_ORGANIZATION:
            return self.forget_all()
        with self._lock:
            self._generation += 1
            self._entries.pop(slug, None)
        return None

    def forget_all(self):
        with self._lock:
            self._generation += 1
            self._entries.clear()


def principal_cache(app=None):
    """This app's cache in this process, or None (made with the tenant cache, app/tenancy/resolution.py)."""
    return (app or current_app).extensions.get(EXTENSION)


def watch_tables(*tables):
    """Principals are read from these tables: a statement writing any of them drops its organization's
    principals. Called by the feature that registers the principal loader."""
    names = sorted(set(tables) | set(_watched.get("tables", ())))
    _watched["tables"] = names
    _watched["pattern"] = re.compile(
        r"^\s*(?:INSERT(?:\s+OR\s+\w+)?\s+INTO|REPLACE\s+INTO|UPDATE|DELETE\s+FROM|TRUNCATE(?:\s+TABLE)?)\s+"
        rf"\"?(?:{'|'.join(map(re.escape, names))})\"?(?:\s|\(|$)",
        re.IGNORECASE,
    )
    if not sa.event.contains(Engine, "before_cursor_execute", _note_write):
        sa.event.listen(Engine, "before_cursor_execute", _note_write)
        sa.event.listen(Pool, "checkin", _announce_writes)


def _note_write(connection, _cursor, statement, *_args):
    if statement.startswith("SELECT"):
        return
    pattern = _watched["pattern"]
    if pattern is None or not pattern.match(statement):
        return
    tenant = get_current_tenant() if has_app_context() else None
    slug = tenant.slug if tenant is not None else EVERY_ORGANIZATION
    changed = connection.info.setdefault(_CHANGED, set())
    if slug not in changed:  # once per transaction: an import's thousand statements drop once, and at the end
        changed.add(slug)
        _forget_here(slug)


def _announce_writes(_dbapi_connection, connection_record):
    """The connection is back in the pool, its transaction ended: drop again here, then tell the others."""
    if connection_record is None or not has_app_context():  # kept for the next checkin that has an app
        return
    slugs = connection_record.info.pop(_CHANGED, None)
    if not slugs:
        return
    for slug in slugs:
        _forget_here(slug)
    changes = current_app.extensions.get("tenant_changes")
    if changes is not None:
        changes.publish(slugs, kind="people")


def _forget_here(slug):
    cache = principal_cache() if has_app_context() else None
    if cache is not None:
        cache.forget(slug)
