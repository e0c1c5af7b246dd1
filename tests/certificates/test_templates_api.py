"""`/api/v1/certificate-templates`: org admins only, 422 with the line of a syntax error, PDF previews."""

import time

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


LONG_TEXT = "x" * 10_000
COST_BOMBS = {
    # 50 MB of spaces (1 GB with 10**9) that the output cap never saw: string methods that grow are not offered
    "format": ("<p>Hello</p>\n{{ '{:50000000}'.format(1) }}", "Line 2: access to attribute 'format' of 'str'"),
    "ljust": ("<p>Hello</p>\n<p>\n{{ 'a'.ljust(50000000) }}</p>", "Line 3: access to attribute 'ljust' of 'str'"),
    # 100 million turns, none of which read an attribute or called anything: about 6 s past a 2 s deadline
    "nested loops": (
        f"{{% set s = '{LONG_TEXT}' %}}\n{{% for a in s %}}{{% for b in s %}}{{% endfor %}}{{% endfor %}}",
        "Line 2: the template loops more than 10000 times",
    ),
}


def test_cost_bombs_are_refused_on_save_and_preview_with_their_line(api, tenant, login_as):
    admin = api(tenant, login_as(tenant, "org_admin"))
    shipped = admin.get("/api/v1/certificate-templates").get_json()["data"][0]
    for name, (html, reason) in COST_BOMBS.items():
        for url in ("/api/v1/certificate-templates", f"/api/v1/certificate-templates/{shipped['id']}/preview"):
            started = time.monotonic()
            refused = admin.post(url, json={"name": name, "html": html})
            took = time.monotonic() - started
            assert refused.status_code == 422, (name, url, refused.status_code)
            (problem,) = refused.get_json()["error"]["details"]["html"]
            assert problem.startswith(reason), (name, problem)
            assert took < 1.5, (name, url, took)  # refused at once, not at the end of a 2 s deadline (or never)
    names = [row["name"] for row in admin.get("/api/v1/certificate-templates").get_json()["data"]]
    assert names == [shipped["name"]]  # nothing of them was kept


def test_loops_are_counted_whatever_they_go_over(api, tenant, login_as):
    """Nested loops over a 3 000-character string: 9 million turns, cut at the loop budget (they ran to the end)."""
    admin = api(tenant, login_as(tenant, "org_admin"))
    html = "{% set s = '" + "y" * 3_000 + "' %}{% for a in s %}{% for b in s %}.{% endfor %}{% endfor %}{{ code }}"
    refused = admin.post("/api/v1/certificate-templates", json={"name": "Dots", "html": html})
    assert refused.status_code == 422
    assert refused.get_json()["error"]["details"]["html"] == ["Line 1: the template loops more than 10000 times"]
    fine = "{% for s in signatures %}{% for letter in learner_name %}{{ letter }}{% endfor %}{% endfor %}{{ code }}"
    saved = admin.post("/api/v1/certificate-templates", json={"name": "Letters", "html": fine})
    assert saved.status_code == 201, saved.get_json()
