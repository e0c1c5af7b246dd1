"""What the achievements page reads: a learner's badges (revoked ones marked) and their progress towards the
others, in a handful of queries whatever the number of badges."""

from app.tenancy.context import tenant_context
from blueprints.badges import queries
from tests.conftest import run_jobs
from tests.support.badges import badge_course, complete_course, create_badge
from tests.support.courses import make_course
from tests.support.statements import count_statements


def test_badges_of_and_progress_of_a_learner(app, school):
    tenant, teacher = school["tenant"], school["teacher"]
    course_id, item_ids, quiz_id = badge_course(app, school)
    other_id, _ = make_course(teacher, title="Geometry", items=1)
    me, learner = school["students"][0], school["learners"][0]
    done = create_badge(teacher, name="Done", course_id=course_id, criteria_strategy="course_completed")
    two = create_badge(
        teacher,
        name="Two of two",
        course_id=course_id,
        criteria_strategy="courses",
        criteria={"course_ids": [course_id, other_id], "mode": "all"},
    )
    for n in range(8):  # more badges do not mean more queries
        create_badge(
            teacher,
            name=f"Quiz {n}",
            course_id=course_id,
            criteria_strategy="assessment_score",
            criteria={"quiz_id": quiz_id, "min_percent": 50 + n},
        )
    create_badge(teacher, name="Hidden draft", course_id=course_id, status="draft")
    complete_course(learner, item_ids)
    run_jobs(app)

    with tenant_context(tenant, app):
        held = queries.badges_of(me)
        assert [b["name"] for b in held] == ["Done"]
        assert held[0]["urls"]["baked_png"].endswith("/baked.png") and held[0]["revoked"] is False
        rows = queries.progress_of(me)
        by_name = {row["name"]: row for row in rows}
        assert "Done" not in by_name and "Hidden draft" not in by_name
        assert by_name["Two of two"]["percent"] == 50 and by_name["Two of two"]["met"] is False
        assert [item["label"] for item in by_name["Two of two"]["missing"]] == ["Complete Geometry"]
        assert by_name["Quiz 0"]["percent"] == 0 and len(rows) == 9
        assert two["id"] in {row["badge_id"] for row in rows} and done["id"] not in {row["badge_id"] for row in rows}

    def read():
        with tenant_context(tenant, app):
            queries.progress_of(me)

    assert count_statements(app, tenant, read) <= 8
