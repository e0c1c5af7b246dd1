"""`/api/v1/certificate-templates`: org admins only, 422 with the line of a syntax error, PDF previews."""

from tests.support.certificates import pdf_text


def test_admins_list_create_change_preview_and_archive_templates(api, tenant, login_as):
    admin = api(tenant, login_as(tenant, "org_admin"))

    listed = admin.get("/api/v1/certificate-templates")
    assert listed.status_code == 200
    (shipped,) = listed.get_json()["data"]
    assert shipped["is_default"] and shipped["page_size"] == "A4" and shipped["orientation"] == "landscape"

    refused = admin.post("/api/v1/certificate-templates", json={"name": "Bad", "html": "<p>\n{% for %}\n"})
    assert refused.status_code == 422
    assert refused.get_json()["error"]["details"]["html"][0].startswith("Line 2:")
    sneaky = admin.post("/api/v1/certificate-templates", json={"name": "Bad", "html": "{{ code.__class__ }}"})
    assert sneaky.status_code == 422

    created = admin.post(
        "/api/v1/certificate-templates",
        json={"name": "Letter", "page_size": "Letter", "signatures": [{"name": "Ada", "title": "Dean"}]},
    )
    assert created.status_code == 201, created.get_json()
    template = created.get_json()["data"]
    assert template["signatures"] == [{"name": "Ada", "title": "Dean", "has_image": False}]

    changed = admin.put(f"/api/v1/certificate-templates/{template['id']}", json={"is_default": True})
    assert changed.status_code == 200 and changed.get_json()["data"]["is_default"]
    assert admin.delete(f"/api/v1/certificate-templates/{template['id']}").status_code == 409

    preview = admin.post(
        f"/api/v1/certificate-templates/{template['id']}/preview", json={"html": "<h1>{{ learner_name }} draft</h1>"}
    )
    assert preview.status_code == 200 and preview.headers["Content-Type"] == "application/pdf"
    assert "Zoë Ångström-Núñez draft" in pdf_text(preview.data)

    admin.put(f"/api/v1/certificate-templates/{shipped['id']}", json={"is_default": True})
    deleted = admin.delete(f"/api/v1/certificate-templates/{template['id']}")
    assert deleted.status_code == 200 and deleted.get_json()["data"]["outcome"] == "archived"
    assert admin.get(f"/api/v1/certificate-templates/{template['id']}").status_code == 404


def test_teachers_and_learners_cannot_reach_templates(api, tenant, login_as):
    for role in ("teacher", "student", "branch_manager"):
        client = api(tenant, login_as(tenant, role))
        assert client.get("/api/v1/certificate-templates").status_code == 403
        assert client.post("/api/v1/certificate-templates", json={"name": "x"}).status_code == 403
