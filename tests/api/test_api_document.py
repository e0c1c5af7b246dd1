"""The OpenAPI document tells the truth: what generated clients read is what the server does (issue 9)."""

import importlib
import pkgutil
import re
from collections import defaultdict

import marshmallow as ma
import pytest

import blueprints
from app import create_app
from app.api.types import UtcDateTime
from app.extensions import api as smorest_api
from config import TestConfig

OFFSET = re.compile(r"(Z|[+-]\d\d:\d\d)$")


@pytest.fixture(scope="module")
def document(app):
    client = app.test_client()
    return client.get("/api/v1/openapi.json", headers={"Host": "localhost:5000"}).get_json()


def _operations(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in ("get", "post", "put", "delete", "patch"):
                yield path, method, operation


def _schema(document, ref):
    return document["components"]["schemas"][ref.rsplit("/", 1)[1]]


def test_every_timestamp_field_is_sent_in_utc_with_an_offset():
    """Every DateTime in every schema module is a UtcDateTime (a naive one is not an RFC 3339 date-time)."""
    naive = []
    for module_info in pkgutil.iter_modules(blueprints.__path__):
        try:
            module = importlib.import_module(f"blueprints.{module_info.name}.schemas")
        except ModuleNotFoundError:
            continue
        for schema in vars(module).values():
            if isinstance(schema, type) and issubclass(schema, ma.Schema):
                for name, field in schema._declared_fields.items():
                    if isinstance(field, ma.fields.DateTime) and not isinstance(field, UtcDateTime):
                        naive.append(f"{schema.__name__}.{name}")
    assert naive == []


def test_no_two_schemas_share_a_component_name(app_config):
    """flask-smorest names a schema's component after its class, less "Schema" (apispec's resolver). A second class
    of that name (privacy's archiving preview next to notifications' `PreviewSchema`) was dropped from the document
    (its operation documented with the other's shape) or registered as "Preview1", and which one keeps "Preview"
    would depend on the order blueprints register: a generated client's `Preview` changes shape."""
    create_app(TestConfig, **app_config)  # a spec of its own, every blueprint registered
    converter = smorest_api.ma_plugin.converter
    classes_by_name = defaultdict(set)
    renamed = []
    for (schema_class, *modifiers), component in converter.refs.items():
        name = converter.schema_name_resolver(schema_class)
        classes_by_name[name].add(schema_class)
        if component != name:
            renamed.append(f"{component}: {schema_class.__module__}.{schema_class.__qualname__} {modifiers}")
    shared = {
        name: sorted(f"{c.__module__}.{c.__qualname__}" for c in classes)
        for name, classes in classes_by_name.items()
        if len(classes) > 1
    }
    assert shared == {}, 'rename all but one of each: the component is the class name less "Schema"'
    assert renamed == []  # also: one class registered twice with different only/exclude/partial
    components = smorest_api.spec.to_dict()["components"]["schemas"]
    assert {"Preview", "ArchivingPreview", "ArchivingPreviewEnvelope"} <= set(components)


def test_timestamps_in_responses_carry_an_offset(api, tenant, login_as):
    admin = api(tenant, login_as(tenant, "org_admin"))
    course = admin.post("/api/v1/courses", json={"title": "Clock"}).get_json()["data"]
    key = admin.post("/api/v1/api-keys", json={"name": "k", "roles": ["teacher"]}).get_json()["data"]
    user = admin.get("/api/v1/users").get_json()["data"][0]
    for value in (course["created_at"], key["created_at"], user["created_at"]):
        assert OFFSET.search(value), value


def test_api_keys_are_a_declared_scheme_and_an_alternative_wherever_they_work(document, api, tenant, login_as):
    assert document["components"]["securitySchemes"]["apiKeyAuth"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": "An organization's API key.",
    }
    security = {(path, method): op.get("security") for path, method, op in _operations(document)}
    assert security[("/api/v1/users", "get")] == [{"bearerAuth": []}, {"apiKeyAuth": []}]
    # Learning is personal: an API key is never a learner, so the document does not offer it there.
    assert security[("/api/v1/content/{item_id}/time", "post")] == [{"bearerAuth": []}]
    assert security[("/api/v1/auth/login", "post")] is None
    # And the server agrees with the document.
    admin = api(tenant, login_as(tenant, "org_admin"))
    key = admin.post("/api/v1/api-keys", json={"name": "svc", "roles": ["org_admin"]}).get_json()["data"]["key"]
    client = api(tenant)
    assert client.get("/api/v1/users", headers={"X-API-Key": key}).status_code == 200
    assert client.post("/api/v1/content/1/time", json={"seconds": 5}, headers={"X-API-Key": key}).status_code == 403


def test_imports_are_documented_as_one_multipart_body_with_the_file_part(document):
    operation = document["paths"]["/api/v1/imports"]["post"]
    assert "parameters" not in operation
    content = operation["requestBody"]["content"]
    assert list(content) == ["multipart/form-data"]
    schema = _schema(document, content["multipart/form-data"]["schema"]["$ref"])
    assert schema["properties"]["file"]["format"] == "binary"
    assert {"file", "mode", "send_invitations"} <= set(schema["properties"])
    assert schema["required"] == ["file"]


def test_every_secured_operation_documents_its_error_statuses(document):
    for path, method, operation in _operations(document):
        statuses = set(operation["responses"])
        assert {"400", "401", "404", "429"} <= statuses, (method, path)
        if operation.get("security"):
            assert "403" in statuses, (method, path)
        if method in ("post", "put", "delete"):
            assert {"409", "422"} <= statuses, (method, path)
    error = document["components"]["responses"]["CONFLICT"]["content"]["application/json"]["schema"]
    assert error["$ref"].endswith("/ErrorEnvelope")


def test_change_bodies_need_one_field_and_the_document_says_so(document):
    for name in ("CourseUpdate", "ClassUpdate", "UserUpdate", "Profile", "SettingsUpdate", "BranchSettingsUpdate"):
        assert document["components"]["schemas"][name]["minProperties"] == 1, name


def test_ranges_and_patterns_the_code_enforces_are_in_the_document(document):
    schemas = document["components"]["schemas"]
    settings = schemas["SettingsUpdate"]["properties"]
    assert settings["primary_color"]["pattern"] == "^#[0-9a-fA-F]{6}$"
    assert settings["locale"]["pattern"]
    assert "Europe/Paris" in settings["time_zone"]["enum"]
    branch_zones = schemas["BranchSettingsUpdate"]["properties"]["time_zone"]["enum"]
    assert branch_zones == [*settings["time_zone"]["enum"], None]  # null removes a branch's override
    seconds = schemas["TimeReport"]["properties"]["seconds"]
    assert (seconds["minimum"], seconds["maximum"]) == (1, 120)
    ids = schemas["AddMembers"]["properties"]["user_ids"]["items"]
    assert (ids["minimum"], ids["maximum"]) == (1, 2**31 - 1)
    parameters = {p["name"]: p["schema"] for p in document["paths"]["/api/v1/users"]["get"]["parameters"]}
    assert (parameters["per_page"]["minimum"], parameters["per_page"]["maximum"]) == (1, 100)
    assert parameters["page"]["maximum"] == 1_000_000
    path_id = document["paths"]["/api/v1/users/{user_id}"]["parameters"][0]["schema"]
    assert (path_id["minimum"], path_id["maximum"]) == (1, 2**31 - 1)


def test_post_content_creates_an_item_in_a_course_module(api, tenant, login_as):
    admin = api(tenant, login_as(tenant, "org_admin"))
    course = admin.post("/api/v1/courses", json={"title": "Geometry"}).get_json()["data"]
    body = {"course_id": course["id"], "module_title": "Angles", "kind": "text", "title": "Right", "body": "<p>90</p>"}
    created = admin.post("/api/v1/content", json=body)
    assert created.status_code == 201, created.get_json()
    item = created.get_json()["data"]
    assert item["course_id"] == course["id"] and item["title"] == "Right"
    outline = admin.get(f"/api/v1/courses/{course['id']}/content").get_json()["data"]
    assert [(m["title"], [i["id"] for i in m["items"]]) for m in outline] == [("Angles", [item["id"]])]
    again = admin.post("/api/v1/content", json={**body, "module_id": item["module_id"]})
    assert again.status_code == 201
    student = api(tenant, login_as(tenant, "student"))
    assert student.post("/api/v1/content", json=body).status_code == 403
    teacher = api(tenant, login_as(tenant, "teacher"))
    assert teacher.post("/api/v1/content", json=body).status_code in (403, 422)  # not their course
