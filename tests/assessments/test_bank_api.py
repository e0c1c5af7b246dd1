"""`/api/v1/questions`: the banks through the API, as each role and as an API key."""

import io

import sqlalchemy as sa
from PIL import Image

from app.extensions import db
from app.tenancy.context import tenant_context
from blueprints.assessments.models import Question
from tests.conftest import tenant_host
from tests.support.questions import sample
from tests.support.world import png_bytes


def body(kind="single_choice", course_id=None, **extra):
    stem, spec = sample(kind)
    return {"course_id": course_id, "kind": kind, "title": f"A {kind}", "stem_html": stem, "spec": spec, **extra}


def created(client, payload):
    response = client.post("/api/v1/questions", json=payload)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["data"]


def test_a_teacher_builds_edits_and_reads_back_a_question_with_its_versions(district):
    teacher, north = district["teacher"], district["courses"]["north"]
    question = created(teacher, body(course_id=north, tags=["Geo", " geo "], default_points=2))
    assert question["bank"] == "course" and question["tags"] == ["geo"] and question["can_edit"] is True
    assert question["version"]["number"] == 1 and question["version"]["spec"]["options"][0]["correct"] is True
    _, spec = sample("single_choice")
    spec["options"][0]["text"] = "Paris (France)"
    edited = teacher.put(
        f"/api/v1/questions/{question['id']}", json={"spec": spec, "change_note": "Say the country", "title": "Capital"}
    )
    assert edited.status_code == 200, edited.get_json()
    assert (edited.get_json()["data"]["current_version"], edited.get_json()["data"]["title"]) == (2, "Capital")
    versions = teacher.get(f"/api/v1/questions/{question['id']}/versions").get_json()["data"]
    assert [(v["number"], v["change_note"]) for v in versions] == [(2, "Say the country"), (1, "")]
    first = teacher.get(f"/api/v1/questions/{question['id']}/versions/1").get_json()["data"]
    assert first["spec"]["options"][0]["text"] == "Paris"
    assert teacher.get(f"/api/v1/questions/{question['id']}/versions/3").status_code == 404


def test_a_question_that_cannot_be_graded_is_a_422_naming_each_field(district):
    teacher, north = district["teacher"], district["courses"]["north"]
    bad = body(course_id=north)
    bad["spec"]["options"][1]["correct"] = True
    bad["spec"]["options"][2]["id"] = "a"
    response = teacher.post("/api/v1/questions", json=bad)
    assert response.status_code == 422
    details = response.get_json()["error"]["details"]
    assert details == {
        "spec.options[2].id": ["The id 'a' is used twice."],
        "spec.options": ["Mark exactly one option correct (2 are)."],
    }
    for wrong in (
        {"default_points": "2"},
        {"default_points": 0},
        {"default_points": 10**400},
        {"kind": "poem"},
        {"spec": "a"},
        {"tags": "x"},
    ):
        answer = teacher.post("/api/v1/questions", json=body(course_id=north) | wrong)
        assert answer.status_code == 422 and set(answer.get_json()["error"]["details"]) <= {"json"} | set(wrong), wrong
    assert teacher.put("/api/v1/questions/1", json={}).status_code in (404, 422)


def test_the_list_filters_pages_and_selects_fields(district):
    teacher, north, everyone = district["teacher"], district["courses"]["north"], district["courses"]["everyone"]
    created(teacher, body("numeric", north, tags=["maths"]))
    created(teacher, body("essay", everyone, tags=["bio"]))
    created(teacher, body("true_false", None, tags=["maths"]))

    def titles(query):
        answer = teacher.get(f"/api/v1/questions?{query}")
        assert answer.status_code == 200, answer.get_json()
        return sorted(row["title"] for row in answer.get_json()["data"])

    assert titles("") == ["A essay", "A numeric", "A true_false"]
    assert titles("filter[bank]=organization") == ["A true_false"]
    assert titles(f"filter[course_id]={north}") == ["A numeric"]
    assert titles("filter[tag]=MATHS&filter[kind]=numeric") == ["A numeric"]
    assert titles("filter[q]=photosynthesis") == ["A essay"]
    page = teacher.get("/api/v1/questions?per_page=1&sort=title&fields=id,title").get_json()
    assert page["meta"] == {"page": 1, "per_page": 1, "total": 3} and list(page["data"][0]) == ["id", "title"]
    assert teacher.get("/api/v1/questions?filter[bank]=elsewhere").status_code == 400
    assert teacher.get("/api/v1/questions?filter[secret]=1").status_code == 400


def test_archive_restore_and_share_and_who_may_then_edit(district, api, tenant, login_as):
    teacher, manager, admin = district["teacher"], district["manager"], district["admin"]
    question = created(teacher, body(course_id=district["courses"]["north"]))
    path = f"/api/v1/questions/{question['id']}"
    assert teacher.delete(path).get_json()["data"]["archived_at"] is not None
    assert teacher.get("/api/v1/questions").get_json()["meta"]["total"] == 0
    assert teacher.put(path, json={"title": "x"}).status_code == 409
    assert teacher.post(f"{path}/restore").get_json()["data"]["archived_at"] is None
    shared = teacher.post(f"{path}/share")
    assert shared.status_code == 200
    assert (shared.get_json()["data"]["bank"], shared.get_json()["data"]["shared_from_course_id"]) == (
        "organization",
        district["courses"]["north"],
    )
    assert teacher.post(f"{path}/share").status_code == 409
    other_teacher = api(tenant, login_as(tenant, "teacher"))
    assert other_teacher.get(path).status_code == 200
    assert other_teacher.get(path).get_json()["data"]["can_edit"] is False
    assert other_teacher.put(path, json={"title": "Mine now"}).get_json()["error"]["code"] == "NOT_QUESTION_EDITOR"
    assert manager.delete(path).status_code == 403
    assert admin.put(path, json={"title": "Tidied"}).status_code == 200
    assert teacher.put(path, json={"title": "Author's"}).status_code == 200  # still its author


def test_learners_and_out_of_scope_staff_reach_no_bank(district, api, tenant, login_as):
    teacher, manager = district["teacher"], district["manager"]
    south = created(teacher, body(course_id=district["courses"]["south"]))
    north = created(teacher, body(course_id=district["courses"]["north"]))
    student = api(tenant, login_as(tenant, "student"))
    for path in ("/api/v1/questions", f"/api/v1/questions/{north['id']}", f"/api/v1/questions/{north['id']}/versions"):
        assert student.get(path).status_code == 403
    assert student.post("/api/v1/questions/preview", json=body()).status_code == 403
    assert manager.get(f"/api/v1/questions/{south['id']}").status_code == 404
    assert manager.put(f"/api/v1/questions/{south['id']}", json={"title": "x"}).status_code == 404
    assert manager.post("/api/v1/questions", json=body(course_id=district["courses"]["south"])).status_code == 404
    assert manager.get(f"/api/v1/questions/{north['id']}").status_code == 200
    assert [row["id"] for row in manager.get("/api/v1/questions").get_json()["data"]] == [north["id"]]
    assert api(tenant).get("/api/v1/questions").status_code == 401


def test_the_preview_renders_the_learners_view_and_grades_a_sample_without_saving(district, app, tenant):
    teacher = district["teacher"]
    payload = body("matching") | {"response": {"matches": {"p1": "Paris", "p2": "Madrid"}}}
    payload.pop("course_id"), payload.pop("title")
    answer = teacher.post("/api/v1/questions/preview", json=payload)
    assert answer.status_code == 200, answer.get_json()
    shown = answer.get_json()["data"]
    assert shown["grade"] == {"fraction": 0.5, "feedback": []}
    assert sorted(shown["view"]["answers"]) == ["Madrid", "Paris", "Rome"]
    assert "pairs" not in shown["view"] and "answer" not in str(shown["view"]["prompts"])
    blanks = {"kind": "fill_blanks", "stem_html": "<p>[[9]]</p>", "spec": sample("fill_blanks")[1], "response": {}}
    broken = teacher.post("/api/v1/questions/preview", json=blanks)
    assert broken.status_code == 422
    assert broken.get_json()["error"]["details"]["stem_html"] == ["[[9]] is in the text but is no blank below."]
    with tenant_context(tenant, app):
        assert db.session.scalar(sa.select(sa.func.count(Question.id))) == 0


def test_a_stem_image_through_the_api_is_a_new_version_served_as_jpeg(district):
    teacher = district["teacher"]
    question = created(teacher, body(course_id=district["courses"]["north"]))
    path = f"/api/v1/questions/{question['id']}/image"
    assert teacher.get(path).status_code == 404
    undescribed = teacher.put(path, data={"file": (io.BytesIO(png_bytes((40, 30))), "map.png")})
    assert undescribed.status_code == 422 and list(undescribed.get_json()["error"]["details"]) == ["image_alt"]
    alt = "A map of Europe with Paris marked"
    upload = teacher.put(path, data={"file": (io.BytesIO(png_bytes((40, 30))), "map.png"), "image_alt": f" {alt} "})
    assert upload.status_code == 200, upload.get_json()
    assert upload.get_json()["data"]["version"]["image_url"] == f"{path}?version=2"
    assert upload.get_json()["data"]["version"]["image_alt"] == alt
    cleared = teacher.put(f"/api/v1/questions/{question['id']}", json={"image_alt": "  "})
    assert cleared.status_code == 422 and list(cleared.get_json()["error"]["details"]) == ["image_alt"]
    described = teacher.put(f"/api/v1/questions/{question['id']}", json={"image_alt": "A map of France"})
    assert described.get_json()["data"]["version"]["image_alt"] == "A map of France"
    assert described.get_json()["data"]["current_version"] == 3  # the description is content: a new version
    image = teacher.get(f"{path}?version=2")
    assert image.status_code == 200 and image.mimetype == "image/jpeg"
    assert Image.open(io.BytesIO(image.data)).size == (40, 30)
    assert teacher.get(f"{path}?version=1").status_code == 404
    assert teacher.get(f"{path}?version=3").status_code == 200  # the new description keeps the image
    refused = teacher.put(path, data={"file": (io.BytesIO(b"%PDF-1.4"), "x.png")})
    assert refused.status_code == 422 and list(refused.get_json()["error"]["details"]) == ["image"]
    removed = teacher.put(f"/api/v1/questions/{question['id']}", json={"remove_image": True})
    assert removed.get_json()["data"]["version"]["image_url"] is None
    assert removed.get_json()["data"]["version"]["image_alt"] == ""  # nothing left to describe


def test_an_api_key_acts_with_its_roles_and_is_recorded_as_the_author(district, client, tenant, app):
    admin = district["admin"]
    key = admin.post("/api/v1/api-keys", json={"name": "Bank sync", "roles": ["org_admin"]}).get_json()["data"]
    headers = {"Host": tenant_host(tenant), "X-API-Key": key["key"]}
    made = client.post("/api/v1/questions", json=body(course_id=district["courses"]["south"]), headers=headers)
    assert made.status_code == 201, made.get_json()
    with tenant_context(tenant, app):
        question = db.session.get(Question, made.get_json()["data"]["id"])
        assert (question.created_by_id, question.created_by_api_key_id) == (None, key["id"])
    student_key = admin.post("/api/v1/api-keys", json={"name": "Learner", "roles": ["student"]}).get_json()["data"]
    refused = client.get("/api/v1/questions", headers={"Host": tenant_host(tenant), "X-API-Key": student_key["key"]})
    assert refused.status_code == 403
