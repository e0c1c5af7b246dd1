"""The envelope, error handling and the OpenAPI document."""

import pytest

from tests.conftest import build_app


def test_success_envelope(api, tenant, login_as):
    body = api(tenant, login_as(tenant, "student")).get(f"/api/v1/organizations/{tenant.id}").get_json()
    assert list(body) == ["success", "data", "meta", "error"]
    assert body["success"] is True and body["error"] is None and body["data"]["id"] == tenant.id


@pytest.mark.parametrize(
    "method, path, status, code",
    [
        ("GET", "/api/v1/no-such-thing", 404, "NOT_FOUND"),
        ("PATCH", "/api/v1/organizations", 405, "METHOD_NOT_ALLOWED"),
        ("GET", "/api/v1/organizations", 401, "UNAUTHORIZED"),
    ],
)
def test_errors_under_api_are_envelopes(api, method, path, status, code):
    response = api().open(method, path)
    assert response.status_code == status
    body = response.get_json()
    assert body["success"] is False and body["data"] is None
    assert body["error"]["code"] == code and body["error"]["message"]


def test_html_routes_keep_html_errors(client):
    response = client.get("/no-such-page", headers={"Host": "localhost:5000"})
    assert response.status_code == 404
    assert response.content_type.startswith("text/html")
    assert "Not found" in response.get_data(as_text=True)


def test_validation_errors_name_the_fields(api, operator_token):
    response = api(None, operator_token).post("/api/v1/organizations", json={"slug": "ok-slug", "admin_email": "nope"})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert set(error["details"]) == {"name", "admin_email"}


def test_malformed_json_is_a_clear_400_or_422(api, operator_token):
    response = api(None, operator_token).post(
        "/api/v1/organizations", data="{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code in (400, 422)
    assert response.get_json()["success"] is False


def test_500_is_an_envelope_without_traceback(app_config):
    app = build_app(app_config)

    @app.get("/api/v1/_boom")
    def boom():
        raise RuntimeError("secret internals /etc/passwd")

    @app.get("/_boom")
    def boom_page():
        raise RuntimeError("secret internals /etc/passwd")

    client = app.test_client()
    response = client.get("/api/v1/_boom", headers={"Host": "localhost:5000"})
    assert response.status_code == 500
    text = response.get_data(as_text=True)
    assert response.get_json()["error"]["code"] == "INTERNAL_ERROR"
    assert "secret internals" not in text and "Traceback" not in text
    page = client.get("/_boom", headers={"Host": "localhost:5000"})
    assert page.status_code == 500 and "secret internals" not in page.get_data(as_text=True)


def test_openapi_document_describes_every_api_route(app, client):
    spec = client.get("/api/v1/openapi.json", headers={"Host": "localhost:5000"}).get_json()
    assert spec["openapi"].startswith("3.")
    documented = set(spec["paths"])
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") and rule.endpoint.startswith(("organizations", "users", "auth")):
            path = rule.rule.replace("<int:", "{").replace("<", "{").replace(">", "}")
            assert path in documented, path
    listing = spec["paths"]["/api/v1/organizations"]["get"]
    assert {"page", "per_page", "sort", "fields", "filter"} <= {p["name"] for p in listing["parameters"]}
    envelope = spec["components"]["schemas"]["OrganizationListEnvelope"]["properties"]
    assert {"success", "data", "meta", "error"} <= set(envelope)


def test_swagger_ui_is_served_locally(client):
    page = client.get("/api/v1/docs", headers={"Host": "localhost:5000"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in html and "cdn" not in html.lower()
    assert client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 200


def test_security_headers_on_every_response(client, tenant):
    for host in ("localhost:5000", f"{tenant.slug}.localhost:5000"):
        response = client.get("/", headers={"Host": host})
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert "unsafe-inline" not in response.headers["Content-Security-Policy"]


def test_production_config_refuses_to_start_without_secrets(monkeypatch):
    from app import create_app
    from config import ProductionConfig

    for name in ProductionConfig.REQUIRED_IN_PRODUCTION:
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(ProductionConfig)


@pytest.mark.parametrize(
    "module",
    [
        "wsgi",
        "blueprints.auth.services",
        "blueprints.users.services",
        "blueprints.imports.services",
        "blueprints.users.api",
        "app.jobs",
    ],
)
def test_entry_points_import_in_a_fresh_interpreter(module, tmp_path):
    """Import cycles hide in a test run that imported everything already; a worker or `flask` does not."""
    import subprocess
    import sys

    code = f"import {module}; from app import create_app; create_app()"
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={"LMS_INSTANCE_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
