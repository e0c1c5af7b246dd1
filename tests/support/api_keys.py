"""API keys for tests: a client that signs its requests with a new key (the `X-API-Key` header)."""

from app.tenancy.context import tenant_context
from blueprints.api_keys.services import create_api_key
from tests.conftest import tenant_host


def key_client(app, tenant, roles, past_user_id=0):
    """A client signed with a new API key whose id is past `past_user_id` (so that no person shares it, or the
    one who does is known), and that id."""
    with tenant_context(tenant, app):
        created = create_api_key("integration", roles, None)
        while created.key.id <= past_user_id:
            created = create_api_key("integration", roles, None)
        key_id, secret = created.key.id, created.secret
    client = app.test_client()

    def call(method, path, **kwargs):
        headers = {"Host": tenant_host(tenant), "X-API-Key": secret}
        return client.open(path, method=method, headers=headers, **kwargs)

    return call, key_id
