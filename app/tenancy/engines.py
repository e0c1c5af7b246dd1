"""A bounded LRU registry of SQLAlchemy engines, one per tenant database.

A thousand tenants must not hold a thousand connection pools: the least recently used engine is
disposed when the registry is full, and re-created on the tenant's next request.
"""

import os
import threading
from collections import OrderedDict

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.engine import make_url


def configure_sqlite(engine):
    """WAL, enforced foreign keys, a busy timeout and case-sensitive LIKE on every connection."""

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # `like` is case-sensitive on PostgreSQL; make SQLite agree so filters mean one thing.
        cursor.execute("PRAGMA case_sensitive_like=ON")
        cursor.close()


def create_tenant_engine(url, pool_size=2, max_overflow=3):
    url = make_url(url)
    if url.get_backend_name() == "sqlite":
        engine = sa.create_engine(url, pool_size=pool_size, max_overflow=max_overflow)
        configure_sqlite(engine)
        return engine
    return sa.create_engine(
        url,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_pre_ping=True,
        pool_recycle=1800,
    )


class EngineRegistry:
    def __init__(self, max_size, pool_size=2, max_overflow=3):
        self.max_size = max_size
        self.pool_size = pool_size
        self.max_overflow = max_overflow
        self._engines = OrderedDict()  # tenant id -> (url, engine)
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self.disposed = 0  # how many engines eviction or removal has disposed

    def _forget_after_fork(self):
        # Connections opened by the parent must not be shared with a forked child (RQ work horse).
        if os.getpid() != self._pid:
            for _url, engine in self._engines.values():
                engine.dispose(close=False)
            self._engines.clear()
            self._pid = os.getpid()

    def get(self, tenant):
        with self._lock:
            self._forget_after_fork()
            entry = self._engines.get(tenant.id)
            if entry is not None and entry[0] == tenant.database_url:
                self._engines.move_to_end(tenant.id)
                return entry[1]
            if entry is not None:  # the tenant's database moved: drop the stale engine
                self._dispose(self._engines.pop(tenant.id)[1])
            engine = create_tenant_engine(tenant.database_url, self.pool_size, self.max_overflow)
            self._engines[tenant.id] = (tenant.database_url, engine)
            while len(self._engines) > self.max_size:
                _tid, (_url, evicted) = self._engines.popitem(last=False)
                self._dispose(evicted)
            return engine

    def remove(self, tenant_id):
        with self._lock:
            entry = self._engines.pop(tenant_id, None)
        if entry is not None:
            self._dispose(entry[1])

    def clear(self):
        with self._lock:
            entries = list(self._engines.values())
            self._engines.clear()
        for _url, engine in entries:
            self._dispose(engine)

    def _dispose(self, engine):
        engine.dispose()
        self.disposed += 1

    def __contains__(self, tenant_id):
        return tenant_id in self._engines

    def __len__(self):
        return len(self._engines)


def init_engine_registry(app):
    app.extensions["tenant_engines"] = EngineRegistry(
        app.config["TENANT_ENGINE_LRU_SIZE"],
        app.config["TENANT_DB_POOL_SIZE"],
        app.config["TENANT_DB_MAX_OVERFLOW"],
    )


def engine_registry():
    return current_app.extensions["tenant_engines"]


def engine_for(tenant):
    """The engine of `tenant`'s own database."""
    return engine_registry().get(tenant)
