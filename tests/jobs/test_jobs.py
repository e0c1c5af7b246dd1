"""RQ jobs run inside the tenant that enqueued them, on a real Redis."""

from app.jobs import enqueue
from tests.conftest import make_user
from tests.conftest import run_jobs as work
from tests.support import jobs


def test_job_enqueued_by_a_sees_only_a(app, make_tenant):
    a = make_tenant(admin_email="admin-a@example.org")
    b = make_tenant(admin_email="admin-b@example.org")
    only_in_b = make_user(app, b, "student", email="b-student@example.org")
    make_user(app, b, "student", email="b-student2@example.org")
    with app.app_context():
        seen = enqueue(a, jobs.emails_seen_by_job)
        by_id = enqueue(a, jobs.look_up_user, only_in_b + 1)  # an id that exists in B only
        in_b = enqueue(b, jobs.look_up_user, only_in_b)
        assert seen.meta["tenant"] == a.slug
    work(app)
    for job in (seen, by_id, in_b):
        job.refresh()
        assert job.is_finished, job.latest_result().exc_string if job.latest_result() else job.get_status()
    assert seen.return_value() == {"tenant": a.slug, "emails": ["admin-a@example.org"]}
    assert by_id.return_value() is None
    assert in_b.return_value() == "b-student@example.org"


def test_job_of_a_suspended_tenant_does_not_run(app, make_tenant):
    from app.tenancy.provisioning import get_tenant, suspend_tenant

    tenant = make_tenant()
    with app.app_context():
        job = enqueue(tenant, jobs.emails_seen_by_job, retries=0)
        suspend_tenant(get_tenant(tenant.id))
    work(app)
    job.refresh()
    assert job.is_failed
    assert "not active" in job.latest_result().exc_string
