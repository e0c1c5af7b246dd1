"""Host resolution from a per-process cache, kept right across processes by a Redis channel.

Two apps built from the same configuration stand for two processes (two gunicorn workers): each has its own
cache and its own listener, and they share only the control database and Redis, as processes do.
"""

import time

from app.extensions import db
from app.jobs import redis_connection
from app.tenancy import resolution
from app.tenancy.models import Tenant
from app.tenancy.provisioning import activate_tenant, suspend_tenant
from app.tenancy.resolution import ActiveTenantCache, tenant_cache
from tests.conftest import build_app
from tests.support.statements import recorded_on
from tests.support.waiting import eventually


def _process(app_config):
    return build_app(app_config, TENANT_CACHE_SECONDS=5, TENANT_CACHE_LISTENING_SECONDS=600)


def _host(tenant):
    return {"Host": f"{tenant.slug}.localhost:5000"}


def _listening(app):
    with app.app_context():
        return eventually(lambda: tenant_cache(app).listening)


def _set_status(app, tenant, change):
    with app.app_context():
        change(db.session.get(Tenant, tenant.id))


def test_a_suspension_in_one_process_is_seen_by_another_at_once(app_config, tenant):
    first, second = _process(app_config), _process(app_config)
    client = second.test_client()
    assert client.get("/api/v1/organizations", headers=_host(tenant)).status_code == 401  # resolved and kept
    assert _listening(second)

    _set_status(first, tenant, suspend_tenant)
    # without the channel the second process would go on serving it for TENANT_CACHE_SECONDS (5 s)
    assert eventually(
        lambda: client.get("/api/v1/organizations", headers=_host(tenant)).status_code == 403, seconds=1.5
    )
    assert client.get("/api/v1/organizations", headers=_host(tenant)).get_json()["error"]["code"] == (
        "ORGANIZATION_SUSPENDED"
    )
    _set_status(first, tenant, activate_tenant)
    assert eventually(lambda: client.get("/api/v1/organizations", headers=_host(tenant)).status_code == 401)


def test_requests_cost_no_control_plane_query_while_changes_are_heard(app_config, tenant):
    app = _process(app_config)
    client = app.test_client()
    client.get("/api/v1/organizations", headers=_host(tenant))
    assert _listening(app)
    client.get("/api/v1/organizations", headers=_host(tenant))  # kept again after the listener's first clear
    with app.app_context():
        control_database = db.engine
    with recorded_on(control_database) as recorded:
        time.sleep(5.2)  # past the short time-to-live: the listening one applies
        for _ in range(20):
            assert client.get("/api/v1/organizations", headers=_host(tenant)).status_code == 401
    assert recorded.statements == []


def test_changes_made_while_the_listener_was_cut_off_are_not_missed(app_config, tenant):
    first, second = _process(app_config), _process(app_config)
    client = second.test_client()
    client.get("/api/v1/organizations", headers=_host(tenant))
    assert _listening(second)
    with first.app_context():
        redis_connection(first).client_kill_filter(_type="pubsub")  # every listener's connection dropped
    _set_status(first, tenant, suspend_tenant)  # maybe published while nobody listened
    assert eventually(lambda: client.get("/api/v1/organizations", headers=_host(tenant)).status_code == 403, seconds=3)
    _set_status(first, tenant, activate_tenant)


def test_a_row_read_while_a_change_is_heard_is_not_kept(app, tenant, monkeypatch):
    """The listener drops an organization while this process is reading its row: that row may be the one the
    change replaced, so it answers this request but is not kept for the next ten minutes."""
    cache = ActiveTenantCache(listening_seconds=600)
    cache.listening = True
    read = resolution.find_active_tenant

    def read_while_a_change_is_heard(slug):
        row = read(slug)
        cache.forget(slug)  # what the listener's thread does when it hears the change
        return row

    with app.app_context():
        monkeypatch.setattr(resolution, "find_active_tenant", read_while_a_change_is_heard)
        assert cache.load(tenant.slug).id == tenant.id
        assert cache.cached(tenant.slug, 5) is None  # read again next time
        monkeypatch.setattr(resolution, "find_active_tenant", read)
        cache.load(tenant.slug)
        assert cache.cached(tenant.slug, 5).id == tenant.id  # a quiet read is kept
