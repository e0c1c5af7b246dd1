"""What authors type into courses: titles in any script make slugs; rich text is bounded and sanitised."""

import pytest

from tests.test_courses import school  # noqa: F401 (a fixture)


@pytest.fixture
def teacher(school):  # noqa: F811
    return school["teacher"]


def create(client, title, **fields):
    return client.post("/api/v1/courses", json={"title": title, **fields})


def test_titles_in_any_script_get_a_readable_slug(teacher):
    slugs = {
        title: create(teacher, title).get_json()["data"]["slug"]
        for title in ("Основы алгебры", "Ελληνική ιστορία", "数学入门", "Álgebra básica", "🎉")
    }
    assert slugs == {
        "Основы алгебры": "osnovy-algebry",
        "Ελληνική ιστορία": "elliniki-istoria",
        "数学入门": "shuxuerumen",
        "Álgebra básica": "algebra-basica",
        "🎉": "tada",
    }


def test_a_generated_slug_is_never_a_conflict(teacher):
    first, second, third = (create(teacher, "Основы алгебры") for _ in range(3))
    assert [r.status_code for r in (first, second, third)] == [201, 201, 201]
    assert [r.get_json()["data"]["slug"] for r in (first, second, third)] == [
        "osnovy-algebry",
        "osnovy-algebry-2",
        "osnovy-algebry-3",
    ]
    nothing = [create(teacher, title).get_json()["data"]["slug"] for title in ("!!!", "???")]
    assert nothing == ["course", "course-2"]
    long_titles = [create(teacher, "x" * 150).get_json()["data"]["slug"] for _ in range(2)]
    assert long_titles == ["x" * 110, "x" * 110 + "-2"]


def test_a_slug_the_author_chose_is_still_refused_when_taken(teacher):
    assert create(teacher, "Algebra", slug="algebra").status_code == 201
    taken = create(teacher, "Algebra again", slug="algebra")
    assert taken.status_code == 409 and "slug" in taken.get_json()["error"]["details"]
    assert create(teacher, "Algebra").get_json()["data"]["slug"] == "algebra-2"


def test_a_slug_taken_by_a_concurrent_request_gets_a_random_suffix(app, teacher, monkeypatch):
    from blueprints.courses import services

    assert create(teacher, "Geometry").status_code == 201
    monkeypatch.setattr(services, "_free_slug", lambda base: base)  # as if another request took it meanwhile
    again = create(teacher, "Geometry")
    assert again.status_code == 201
    assert again.get_json()["data"]["slug"].startswith("geometry-") and len(again.get_json()["data"]["slug"]) == 15
