"""A bounded LRU registry of SQLAlchemy engines, one per tenant database.

A thousand tenants must not hold a thousand connection pools: the least recently used engine is
disposed when the registry is full, and re-created on the tenant's next request.
"""

import contextlib
import logging
import os
import queue
import resource
import threading
from collections import OrderedDict

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.pool import NullPool, QueuePool
from sqlalchemy.util import LRUCache


def configure_sqlite(engine, mmap_bytes=0):
    """Enforced foreign keys, a busy timeout and case-sensitive LIKE on every connection; with `mmap_bytes`, the
    file read through a memory map of up to that size (`TENANT_SQLITE_MMAP_BYTES`).

    WAL is a property of the database file: `enable_wal` sets it once, when the file is created.
    """

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # `like` is case-sensitive on PostgreSQL; make SQLite agree so filters mean one thing.
        cursor.execute("PRAGMA case_sensitive_like=ON")
        if mmap_bytes:
            cursor.execute(f"PRAGMA mmap_size={int(mmap_bytes)}")
        cursor.close()


def enable_wal(engine):
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA journal_mode=WAL")


class _SharedDialects:
    """Tenant engines on one database server share one initialised dialect and one SQL cache.

    SQLAlchemy caches compiled statements per dialect. An engine re-created after LRU eviction
    would otherwise compile every statement again, and compiling, not connecting, is what a cold
    engine costs most (see README, performance). Only the pool, the connections, are per tenant.
    """

    def __init__(self, cache_size=2000):
        self._templates = {}
        self._lock = threading.Lock()
        self.compiled_cache = LRUCache(cache_size)

    def template_for(self, url):
        key = (url.drivername, url.host, url.port, url.username)
        with self._lock:
            template = self._templates.get(key)
            if template is None:
                # SQLite: an in-memory database; a server: the first tenant URL seen on it.
                template_url = URL.create(url.drivername) if url.get_backend_name() == "sqlite" else url
                template = sa.create_engine(template_url, poolclass=NullPool)
                with template.connect():  # runs dialect.initialize() once for this server
                    pass
                self._templates[key] = template
            return template


_shared = _SharedDialects()


def _engine_on_shared_dialect(url, pool_size, max_overflow, **pool_options):
    dialect = _shared.template_for(url).dialect
    connect_args, connect_kwargs = dialect.create_connect_args(url)
    pool = QueuePool(
        lambda: dialect.connect(*connect_args, **connect_kwargs),
        pool_size=pool_size,
        max_overflow=max_overflow,
        dialect=dialect,
        **pool_options,
    )
    on_connect = dialect.on_connect_url(url)  # what create_engine installs for this dialect
    if on_connect is not None:
        sa.event.listen(pool, "connect", lambda dbapi_connection, _record: on_connect(dbapi_connection))
    return Engine(pool, dialect, url, query_cache_size=0, execution_options={"compiled_cache": _shared.compiled_cache})


def create_tenant_engine(url, pool_size=2, max_overflow=3, sqlite_mmap_bytes=0):
    url = make_url(url)
    if url.get_backend_name() == "sqlite":
        engine = _engine_on_shared_dialect(url, pool_size, max_overflow)
        configure_sqlite(engine, sqlite_mmap_bytes)
        return engine
    return _engine_on_shared_dialect(url, pool_size, max_overflow, pre_ping=True, recycle=1800)


log = logging.getLogger(__name__)


class _Disposer:
    """Closes evicted engines' connections off the request path (closing a SQLite WAL
    database checkpoints it), in one daemon thread per process."""

    def __init__(self):
        self._queue = queue.SimpleQueue()
        self._thread = None
        self._pid = None
        self._lock = threading.Lock()

    def submit(self, engine):
        with self._lock:
            if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
                self._queue = queue.SimpleQueue()  # a forked child starts with a fresh queue and thread
                self._pid = os.getpid()
                self._thread = threading.Thread(target=self._run, name="engine-disposer", daemon=True)
                self._thread.start()
        self._queue.put(engine)

    def _run(self):
        while True:
            engine = self._queue.get()
            try:
                engine.dispose()
            except Exception:
                log.exception("Disposing an evicted tenant engine failed")

    def drain(self, timeout=10):
        """Wait until every submitted engine is disposed (tests, shutdown)."""
        done = threading.Event()
        self._queue.put(_Signal(done))
        return done.wait(timeout)


class _Signal:
    def __init__(self, event):
        self.event = event

    def dispose(self):
        self.event.set()


def _kind(url):
    return "sqlite" if str(url).startswith("sqlite") else "server"


class EngineRegistry:
    """At most `max_size` tenant engines on database servers (each holds server connections) and
    `sqlite_max_size` on SQLite files (each holds a file connection: three file handles and its parsed schema,
    which SQLite reads again on every new connection) hold connections; the least recently used of its kind is
    disposed.

    A disposed engine has closed every connection but is still a valid engine object. Up to
    `idle_factor` times the budgets of them are kept, so that a tenant coming back costs one new
    connection rather than a new engine and pool.
    """

    def __init__(
        self,
        max_size,
        pool_size=2,
        max_overflow=3,
        idle_factor=10,
        dispose_in_background=True,
        sqlite_max_size=None,
        sqlite_mmap_bytes=0,
    ):
        self.max_sizes = {"server": max_size, "sqlite": max_size if sqlite_max_size is None else sqlite_max_size}
        self.max_idle = sum(self.max_sizes.values()) * idle_factor
        self.pool_size = pool_size
        self.max_overflow = max_overflow
        self.sqlite_mmap_bytes = sqlite_mmap_bytes
        self.dispose_in_background = dispose_in_background
        self._open = OrderedDict()  # tenant id -> (url, engine): may hold connections
        self._open_count = {"server": 0, "sqlite": 0}
        self._idle = OrderedDict()  # tenant id -> (url, engine): disposed, no connections
        self._disposer = _Disposer()
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self.disposed = 0  # how many engines eviction or removal has disposed

    def _forget_after_fork(self):
        # Connections opened by the parent must not be shared with a forked child (RQ work horse).
        if os.getpid() != self._pid:
            for _url, engine in self._open.values():
                engine.dispose(close=False)
            self._open.clear()
            self._open_count = dict.fromkeys(self._open_count, 0)
            self._idle.clear()
            self._pid = os.getpid()

    def _pop_open(self, tenant_id):
        entry = self._open.pop(tenant_id, None)
        if entry is not None:
            self._open_count[_kind(entry[0])] -= 1
        return entry

    def get(self, tenant):
        with self._lock:
            self._forget_after_fork()
            entry = self._open.get(tenant.id)
            if entry is not None and entry[0] == tenant.database_url:
                self._open.move_to_end(tenant.id)
                return entry[1]
            if entry is not None:  # the tenant's database moved: drop the stale engine
                self._dispose_now(self._pop_open(tenant.id)[1])
            entry = self._idle.pop(tenant.id, None)
            if entry is None or entry[0] != tenant.database_url:
                entry = (
                    tenant.database_url,
                    create_tenant_engine(
                        tenant.database_url, self.pool_size, self.max_overflow, self.sqlite_mmap_bytes
                    ),
                )
            self._open[tenant.id] = entry
            kind = _kind(entry[0])
            self._open_count[kind] += 1
            if self._open_count[kind] > self.max_sizes[kind]:
                # the least recently used of this kind: the oldest entries come first
                oldest = next(key for key, (url, _engine) in self._open.items() if _kind(url) == kind)
                self._evict(oldest, self._pop_open(oldest))
            return entry[1]

    def _evict(self, tenant_id, entry):
        self.disposed += 1
        if self.dispose_in_background:
            self._disposer.submit(entry[1])
        else:
            entry[1].dispose()
        self._idle[tenant_id] = entry
        while len(self._idle) > self.max_idle:
            self._idle.popitem(last=False)

    def wait_for_disposals(self, timeout=10):
        return self._disposer.drain(timeout)

    def remove(self, tenant_id):
        """Forget a tenant's engine and close its connections now (suspend, archive, drop)."""
        with self._lock:
            entry = self._pop_open(tenant_id)
            self._idle.pop(tenant_id, None)
        if entry is not None:
            self._dispose_now(entry[1])

    def read_without_memory_map(self):
        """From now on, SQLite engines open without a memory map (`PRAGMA mmap_size=0`); engines opened before
        are closed, so that none keeps a mapped connection (see `app.jobs.ready_for_jobs`)."""
        self.sqlite_mmap_bytes = 0
        self.clear()

    def clear(self):
        with self._lock:
            entries = list(self._open.values())
            self._open.clear()
            self._open_count = dict.fromkeys(self._open_count, 0)
            self._idle.clear()
        for _url, engine in entries:
            self._dispose_now(engine)

    def _dispose_now(self, engine):
        engine.dispose()
        self.disposed += 1

    def open_engine(self, tenant_id):
        entry = self._open.get(tenant_id)
        return entry[1] if entry else None

    def __contains__(self, tenant_id):
        return tenant_id in self._open

    def __len__(self):
        return len(self._open)


def init_engine_registry(app):
    app.extensions["tenant_engines"] = EngineRegistry(
        app.config["TENANT_ENGINE_LRU_SIZE"],
        app.config["TENANT_DB_POOL_SIZE"],
        app.config["TENANT_DB_MAX_OVERFLOW"],
        sqlite_max_size=_sqlite_budget(app.config["TENANT_SQLITE_ENGINE_LRU_SIZE"]),
        sqlite_mmap_bytes=app.config["TENANT_SQLITE_MMAP_BYTES"],
    )


FILES_PER_SQLITE_ENGINE = 3  # the database, its WAL and its shared-memory index
FILES_FOR_THE_REST = 512  # sockets, logs, static files, the server's own databases


def _sqlite_budget(wanted):
    """The SQLite engines this process may keep open: the wanted number if the open-files limit allows it, raising
    the soft limit up to the hard one if needed (the soft default of 1 024 fits about 170); fewer, with a warning,
    if even the hard limit does not."""
    needed = wanted * FILES_PER_SQLITE_ENGINE + FILES_FOR_THE_REST
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        raised = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (raised, hard))
            soft = raised
    if soft != resource.RLIM_INFINITY and soft < needed:
        fitting = max((soft - FILES_FOR_THE_REST) // FILES_PER_SQLITE_ENGINE, 1)
        log.warning(
            "TENANT_SQLITE_ENGINE_LRU_SIZE %s needs %s open files and the limit is %s: keeping %s SQLite tenants "
            "open (raise LimitNOFILE / ulimit -n)",
            wanted,
            needed,
            soft,
            fitting,
        )
        return fitting
    return wanted


def engine_registry():
    return current_app.extensions["tenant_engines"]


def engine_for(tenant):
    """The engine of `tenant`'s own database."""
    return engine_registry().get(tenant)
