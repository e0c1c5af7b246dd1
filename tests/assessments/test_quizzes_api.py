"""`/api/v1/assessments`: what teachers build, what learners may read of it (settings, never questions), the
list's scope and filters, 422s that name the field, deleting with history, accommodations."""

from tests.support.quizzes import make_attempt, make_classroom, make_question

SETTINGS = {
    "time_limit_minutes": 15,
    "opens_at": "2026-03-01T09:00:00Z",
    "closes_at": "2026-03-08T09:00:00+01:00",
    "attempts_allowed": 3,
    "grading_method": "last",
    "pass_percent": 60,
    "shuffle_questions": True,
    "shuffle_options": False,
    "layout": "one_per_page",
    "review_score": "immediately",
    "review_answers": "never",
    "review_feedback": "after_close",
}


def _data(response, status=200):
    assert response.status_code == status, response.get_json()
    return response.get_json()["data"]


def _details(response):
    assert response.status_code == 422, response.get_json()
    return response.get_json()["error"]["details"]


def test_a_teacher_builds_and_publishes_a_quiz_that_learners_read_without_its_questions(app, api, tenant):
    room = make_classroom(app, api, tenant)
    question_id = make_question(app, tenant, room.course_id, "Newton's second law", tags=("forces",))
    make_question(app, tenant, None, "Shared", tags=("forces",))
    created = _data(
        room.teacher.post(
            "/api/v1/assessments",
            json={"course_id": room.course_id, "title": "Forces", "module_title": "Checks", **SETTINGS},
        ),
        201,
    )
    quiz_id = created["id"]
    assert created["closes_at"] == "2026-03-08T08:00:00Z"  # stored and answered in UTC
    assert {k: created[k] for k in SETTINGS if k not in ("opens_at", "closes_at")} == {
        k: v for k, v in SETTINGS.items() if k not in ("opens_at", "closes_at")
    }
    assert created["published"] is False and created["item_id"]
    outline = _data(room.teacher.get(f"/api/v1/courses/{room.course_id}/content"))
    assert [(i["kind"], i["title"]) for i in outline[-1]["items"]] == [("assessment", "Forces")]

    assert room.learner.get(f"/api/v1/assessments/{quiz_id}").status_code == 404  # not published yet
    refused = room.teacher.put(f"/api/v1/assessments/{quiz_id}", json={"published": True})
    assert "published" in _details(refused)

    slots = _data(
        room.teacher.put(
            f"/api/v1/assessments/{quiz_id}/slots",
            json={"slots": [{"question_id": question_id, "points": 2}, {"draw_tag": "forces", "draw_count": 1}]},
        )
    )
    assert [(s["question_id"], s["title"], s["points"]) for s in slots] == [
        (question_id, "Newton's second law", 2.0),
        (None, None, None),
    ]
    assert slots[1]["available"] == 1  # two carry the tag, one of them is in the quiz already
    assert _data(room.teacher.put(f"/api/v1/assessments/{quiz_id}", json={"published": True}))["published"]

    seen = _data(room.learner.get(f"/api/v1/assessments/{quiz_id}"))
    assert seen["title"] == "Forces" and seen["time_limit_minutes"] == 15
    assert not {"slots", "question_id", "draw_tag", "questions"} & set(seen)
    assert "Newton" not in room.learner.get(f"/api/v1/assessments/{quiz_id}").get_data(as_text=True)
    assert room.learner.get(f"/api/v1/assessments/{quiz_id}/slots").status_code == 403
    assert room.outsider.get(f"/api/v1/assessments/{quiz_id}").status_code == 404  # not enrolled
    assert room.other_teacher.put(f"/api/v1/assessments/{quiz_id}", json={"title": "Mine"}).status_code == 403


def test_bad_bodies_are_422s_naming_each_field(app, api, tenant):
    room = make_classroom(app, api, tenant)
    details = _details(
        room.teacher.post(
            "/api/v1/assessments",
            json={
                "course_id": room.course_id,
                "title": "",
                "pass_percent": "50",
                "time_limit_minutes": 0,
                "grading_method": "best",
                "layout": "grid",
                "shuffle_options": "yes",
            },
        )
    )
    assert {"title", "pass_percent", "time_limit_minutes", "grading_method", "layout", "shuffle_options"} <= set(
        details
    )
    window = room.teacher.post(
        "/api/v1/assessments",
        json={
            "course_id": room.course_id,
            "title": "Backwards",
            "opens_at": "2026-03-02T00:00:00Z",
            "closes_at": "2026-03-01T00:00:00Z",
        },
    )
    assert list(_details(window)) == ["closes_at"]
    quiz_id = _data(room.teacher.post("/api/v1/assessments", json={"course_id": room.course_id, "title": "Q"}), 201)[
        "id"
    ]
    assert "_schema" in _details(room.teacher.put(f"/api/v1/assessments/{quiz_id}", json={}))
    assert "course_id" in _details(room.teacher.put(f"/api/v1/assessments/{quiz_id}", json={"course_id": 5}))
    nested = room.teacher.put(
        f"/api/v1/assessments/{quiz_id}/slots", json={"slots": [{"question_id": 1}, {"points": -1, "draw_count": 0}]}
    )
    assert set(_details(nested)) == {"slots[1].points", "slots[1].draw_count"}
    missing = room.teacher.put(f"/api/v1/assessments/{quiz_id}/slots", json={"slots": [{"question_id": 999_999}]})
    assert _details(missing) == {
        "slots": ["Check slot 1."],
        "slots[0].question_id": ["No question 999999 in this course's bank or the organization's."],
    }
    hidden = room.teacher.post("/api/v1/assessments", json={"course_id": 999_999, "title": "Nowhere"})
    assert list(_details(hidden)) == ["course_id"]
    seen_not_mine = room.other_teacher.post("/api/v1/assessments", json={"course_id": room.course_id, "title": "X"})
    assert seen_not_mine.status_code == 403  # the course is published: seen, not theirs to change


def test_the_list_shows_each_person_what_they_may_see_and_filters(app, api, tenant, district):
    teacher = district["teacher"]
    everyone, north, south = (district["courses"][k] for k in ("everyone", "north", "south"))
    question = {c: make_question(app, tenant, c) for c in (everyone, north, south)}
    ids = {}
    for name, course_id in (("everyone", everyone), ("north", north), ("south", south)):
        ids[name] = _data(teacher.post("/api/v1/assessments", json={"course_id": course_id, "title": name}), 201)["id"]
        teacher.put(f"/api/v1/assessments/{ids[name]}/slots", json={"slots": [{"question_id": question[course_id]}]})
    ids["draft"] = _data(teacher.post("/api/v1/assessments", json={"course_id": everyone, "title": "draft"}), 201)["id"]
    for name in ("everyone", "north", "south"):
        teacher.put(f"/api/v1/assessments/{ids[name]}", json={"published": True})

    def listed(client, query=""):
        return sorted(q["title"] for q in _data(client.get(f"/api/v1/assessments?per_page=100{query}")))

    assert listed(teacher) == ["draft", "everyone", "north", "south"]
    assert listed(district["admin"]) == ["draft", "everyone", "north", "south"]
    # North's manager follows the learners of published courses open to North; South's are not theirs
    assert listed(district["manager"]) == ["draft", "everyone", "north"]
    assert district["manager"].get(f"/api/v1/assessments/{ids['south']}").status_code == 404

    assert listed(teacher, f"&filter[course_id]={everyone}") == ["draft", "everyone"]
    assert listed(teacher, "&filter[published]=false") == ["draft"]
    page = teacher.get("/api/v1/assessments?per_page=2&sort=-title&fields=id,title")
    assert page.get_json()["meta"] == {"page": 1, "per_page": 2, "total": 4}
    assert page.get_json()["data"] == [{"id": ids["south"], "title": "south"}, {"id": ids["north"], "title": "north"}]
    assert teacher.get("/api/v1/assessments?filter[secret]=1").status_code == 400


def test_learners_list_the_published_quizzes_of_their_courses_only(app, api, tenant):
    room = make_classroom(app, api, tenant)
    question_id = make_question(app, tenant, room.course_id)
    for title, publish in (("Ready", True), ("Not yet", False)):
        quiz_id = _data(
            room.teacher.post("/api/v1/assessments", json={"course_id": room.course_id, "title": title}), 201
        )["id"]
        room.teacher.put(f"/api/v1/assessments/{quiz_id}/slots", json={"slots": [{"question_id": question_id}]})
        if publish:
            room.teacher.put(f"/api/v1/assessments/{quiz_id}", json={"published": True})
    assert [q["title"] for q in _data(room.learner.get("/api/v1/assessments"))] == ["Ready"]
    assert _data(room.outsider.get("/api/v1/assessments")) == []
    assert _data(room.other_teacher.get("/api/v1/assessments")) == []


def test_deleting_a_quiz_with_attempts_needs_force(app, api, tenant):
    room = make_classroom(app, api, tenant)
    quiz_id = _data(room.teacher.post("/api/v1/assessments", json={"course_id": room.course_id, "title": "Q"}), 201)[
        "id"
    ]
    make_attempt(app, tenant, quiz_id, room.ids["learner"])
    refused = room.teacher.delete(f"/api/v1/assessments/{quiz_id}")
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "QUIZ_HAS_ATTEMPTS"
    assert "1 attempt of this quiz" in refused.get_json()["error"]["message"]
    assert room.other_teacher.delete(f"/api/v1/assessments/{quiz_id}?force=true").status_code == 403
    deleted = _data(room.teacher.delete(f"/api/v1/assessments/{quiz_id}?force=true"))
    assert deleted == {"id": quiz_id, "outcome": "deleted", "attempts_removed": 1}
    assert room.teacher.get(f"/api/v1/assessments/{quiz_id}").status_code == 404


def test_accommodations_through_the_api(app, api, tenant):
    room = make_classroom(app, api, tenant)
    quiz_id = _data(room.teacher.post("/api/v1/assessments", json={"course_id": room.course_id, "title": "Q"}), 201)[
        "id"
    ]
    path = f"/api/v1/assessments/{quiz_id}/accommodations"
    learner = room.ids["learner"]
    assert _data(room.teacher.put(f"{path}/{learner}", json={"extra_minutes": 20})) == {
        "quiz_id": quiz_id,
        "user_id": learner,
        "extra_minutes": 20,
        "extra_attempts": 0,
    }
    assert room.teacher.put(f"{path}/{room.ids['outsider']}", json={"extra_minutes": 5}).status_code == 404
    assert "extra_attempts" in _details(room.teacher.put(f"{path}/{learner}", json={"extra_attempts": -1}))
    assert room.learner.put(f"{path}/{learner}", json={"extra_minutes": 500}).status_code == 403
    assert _data(room.teacher.delete(f"{path}/{learner}"))["outcome"] == "removed"
    assert room.teacher.delete(f"{path}/{learner}").status_code == 404
