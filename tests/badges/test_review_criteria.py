"""Review of issue 13: a course badge's criteria name only what its maker manages."""

from tests.support.badges import badge_course, create_badge
from tests.support.courses import make_course


def test_a_course_badge_names_only_courses_its_maker_manages(app, school):
    """A teacher sees other teachers' published courses in the catalog, but a badge of their own course whose
    criteria name one of those would show them, through its progress, which of their learners finished a
    course they do not teach: a 422 on the criteria. An organization badge (org admins) may name any."""
    course_id, _items, _quiz = badge_course(app, school)
    teacher, admin = school["teacher"], school["admin"]
    other_course, _ = make_course(admin, title="Biology")
    assert teacher.get(f"/api/v1/courses/{other_course}").status_code == 200  # in the catalog: seen

    named = create_badge(
        teacher,
        expect=422,
        course_id=course_id,
        criteria_strategy="course_completed",
        criteria={"course_id": other_course},
    )
    assert "criteria.course_id" in named["error"]["details"]
    several = create_badge(
        teacher,
        expect=422,
        course_id=course_id,
        criteria_strategy="courses",
        criteria={"course_ids": [course_id, other_course], "mode": "all"},
    )
    assert "criteria.course_ids" in several["error"]["details"]

    own = create_badge(teacher, course_id=course_id, criteria_strategy="course_completed")
    edited = teacher.put(
        f"/api/v1/badges/{own['id']}",
        json={"criteria_strategy": "courses", "criteria": {"course_ids": [course_id, other_course], "mode": "any"}},
    )
    assert edited.status_code == 422 and "criteria.course_ids" in edited.get_json()["error"]["details"]

    organization = create_badge(
        admin, criteria_strategy="courses", criteria={"course_ids": [course_id, other_course], "mode": "all"}
    )
    assert organization["criteria"]["course_ids"] == sorted([course_id, other_course])
