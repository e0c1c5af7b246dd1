"""The question bank's services: who reaches which bank, versions, tags, archive, sharing, drawing, preview."""

import io

import pytest
import sqlalchemy as sa
from PIL import Image
from werkzeug.datastructures import MultiDict

from app.api.listing import parse_list_query
from app.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from app.extensions import db
from app.storage import media_storage
from blueprints.assessments import bank
from blueprints.assessments.models import Question, QuestionVersion
from tests.support.questions import acting_as, create, sample

TEACHER, MANAGER, ADMIN, STUDENT = "teach@example.org", "boss@example.org", "admin@example.org", "north@example.org"


def listed(actor, **filters):
    args = {f"filter[{name}]": value for name, value in filters.items()}
    query = parse_list_query(MultiDict(args), bank.QUESTION_LIST)
    return [view.title for view in bank.list_questions(query, actor=actor)[1]]


def test_a_teacher_makes_a_question_in_their_course_sanitised_tagged_and_at_version_one(app, tenant, district):
    course = district["courses"]["north"]
    with acting_as(app, tenant, TEACHER) as teacher:
        question = bank.create_question(
            course,
            "single_choice",
            "  Capitals ",
            '<p onclick="x()">Capital of <b>France</b>?<script>alert(1)</script></p>',
            sample("single_choice")[1],
            tags=[" Week 1", "week  1", "GEOGRAPHY", ""],
            general_feedback_html="<p>Paris<script>x</script></p>",
            default_points=2,
            actor=teacher,
        )
        version = bank.current_version(question)
        assert (question.title, question.course_id, question.current_version) == ("Capitals", course, 1)
        assert version.stem_html == "<p>Capital of France?</p>"
        assert version.general_feedback_html == "<p>Paris</p>"
        assert version.default_points == 2.0
        assert bank.tags_of([question.id]) == {question.id: ["geography", "week 1"]}
        assert question.created_by_id == teacher.id and version.author_id == teacher.id


def test_a_bad_question_is_refused_with_every_field_named_and_nothing_written(app, tenant, district):
    with acting_as(app, tenant, TEACHER) as teacher:
        with pytest.raises(ValidationFailed) as refused:
            bank.create_question(
                district["courses"]["north"],
                "single_choice",
                "",
                "<script>only a script</script>",
                {"options": [{"id": "a", "text": "x", "correct": True}]},
                default_points=0,
                actor=teacher,
            )
        assert set(refused.value.details) == {"title", "stem_html", "default_points", "spec.options"}
        assert db.session.scalar(sa.select(sa.func.count(Question.id))) == 0


def test_who_reaches_a_course_bank_404_for_the_unseen_403_for_the_seen(app, tenant, district):
    north, south = district["courses"]["north"], district["courses"]["south"]
    with acting_as(app, tenant, TEACHER) as teacher:
        in_north, in_south = create(teacher, north, title="N").id, create(teacher, south, title="S").id
    with acting_as(app, tenant, MANAGER) as manager:
        assert bank.get_question(in_north, "manage", manager).id == in_north
        with pytest.raises(NotFound):
            bank.get_question(in_south, "see", manager)  # a South-only course is not theirs to see
        with pytest.raises(NotFound):
            create(manager, south)
        assert listed(manager) == ["N"]
    with acting_as(app, tenant, STUDENT) as student:
        with pytest.raises(PermissionDenied):  # a learner sees the published course, never its bank
            bank.get_question(in_north, "see", student)
        assert listed(student) == []
    with acting_as(app, tenant, ADMIN) as admin:
        assert sorted(listed(admin)) == ["N", "S"]
    with acting_as(app, tenant, TEACHER) as teacher, pytest.raises(NotFound):
        bank.get_question(10_000, "see", teacher)


def test_a_content_edit_is_a_new_version_and_the_old_one_stays_as_it_was(app, tenant, district):
    with acting_as(app, tenant, TEACHER) as teacher:
        question = create(teacher, district["courses"]["north"], tags=["a"])
        bank.update_question(question.id, title="Renamed", tags=["b", "B "], actor=teacher)
        assert question.current_version == 1  # labels only
        assert bank.tags_of([question.id])[question.id] == ["b"]
        _, spec = sample("single_choice")
        spec["options"][0]["text"] = "Paris, France"
        bank.update_question(question.id, spec=spec, default_points=3, change_note="Clearer option", actor=teacher)
        bank.update_question(question.id, spec=spec, default_points=3.0, actor=teacher)  # the same content again
        _, versions = bank.versions_of(question.id, teacher)
        assert [(v.number, v.change_note, v.default_points) for v in versions] == [
            (2, "Clearer option", 3.0),
            (1, "", 1.0),
        ]
        assert versions[1].spec == sample("single_choice")[1]
        assert bank.current_version(question).spec["options"][0]["text"] == "Paris, France"


def test_an_edit_may_not_change_the_kind_break_the_key_or_touch_an_archived_question(app, tenant, district):
    with acting_as(app, tenant, TEACHER) as teacher:
        question = create(teacher, district["courses"]["north"])
        with pytest.raises(ValidationFailed) as kind:
            bank.update_question(question.id, kind="essay", actor=teacher)
        assert list(kind.value.details) == ["kind"]
        with pytest.raises(ValidationFailed) as key:
            bank.update_question(question.id, spec={"options": []}, actor=teacher)
        assert key.value.details == {"spec.options": ["Give at least 2 options."]}
        bank.archive_question(question.id, teacher)
        with pytest.raises(Conflict):
            bank.update_question(question.id, title="x", actor=teacher)
        bank.restore_question(question.id, teacher)
        bank.update_question(question.id, title="x", actor=teacher)
        assert db.session.scalar(sa.select(sa.func.count(QuestionVersion.id))) == 1


def test_archived_questions_leave_the_list_and_the_draws_and_come_back(app, tenant, district):
    north = district["courses"]["north"]
    with acting_as(app, tenant, TEACHER) as teacher:
        kept = create(teacher, north, title="Kept", tags=["unit 1"])
        gone = create(teacher, north, title="Gone", tags=["Unit 1"])
        bank.archive_question(gone.id, teacher)
        assert listed(teacher) == ["Kept"]
        assert listed(teacher, archived="true") == ["Gone"]
        assert [q.id for q in bank.questions_with_tag(north, " UNIT 1")] == [kept.id]
        bank.restore_question(gone.id, teacher)
        assert sorted(listed(teacher)) == ["Gone", "Kept"]


def test_draws_take_the_course_bank_and_the_organization_bank_only(app, tenant, district):
    north, south = district["courses"]["north"], district["courses"]["south"]
    with acting_as(app, tenant, TEACHER) as teacher:
        mine = create(teacher, north, tags=["algebra"])
        other_course = create(teacher, south, tags=["algebra"])
        untagged = create(teacher, north)
        shared = create(teacher, None, tags=["algebra"])
        drawn = {q.id for q in bank.questions_with_tag(north, "Algebra")}
        assert drawn == {mine.id, shared.id}
        assert other_course.id not in drawn and untagged.id not in drawn


def test_sharing_moves_a_question_to_the_organization_bank_where_staff_read_it(app, tenant, district):
    north = district["courses"]["north"]
    with acting_as(app, tenant, MANAGER) as manager:
        question = create(manager, north, title="Shared one")
        question_id = question.id
        bank.share_question(question.id, manager)
        assert (question.course_id, question.shared_from_course_id) == (None, north)
        with pytest.raises(Conflict):
            bank.share_question(question.id, manager)
        assert listed(manager, bank="organization") == ["Shared one"]
        bank.update_question(question_id, title="Still mine to edit", actor=manager)  # the author
    with acting_as(app, tenant, TEACHER) as teacher:
        assert bank.get_question(question_id, "see", teacher).id == question_id
        assert listed(teacher, bank="organization") == ["Still mine to edit"]
        assert listed(teacher, bank="course") == []
        with pytest.raises(PermissionDenied):
            bank.update_question(question_id, title="Not mine", actor=teacher)
        with pytest.raises(PermissionDenied):
            bank.archive_question(question_id, teacher)
    with acting_as(app, tenant, ADMIN) as admin:
        bank.archive_question(question_id, admin)
    with acting_as(app, tenant, STUDENT) as student:
        with pytest.raises(NotFound):
            bank.get_question(question_id, "see", student)
        with pytest.raises(NotFound):
            create(student, None)


def test_only_a_manager_of_the_course_shares_its_question(app, tenant, district):
    with acting_as(app, tenant, TEACHER) as teacher:
        question_id = create(teacher, district["courses"]["south"]).id
    with acting_as(app, tenant, MANAGER) as manager, pytest.raises(NotFound):
        bank.share_question(question_id, manager)


def test_the_list_filters_by_kind_tag_text_and_course(app, tenant, district):
    north, everyone = district["courses"]["north"], district["courses"]["everyone"]
    with acting_as(app, tenant, TEACHER) as teacher:
        create(teacher, north, "single_choice", "Capitals", tags=["geo"])
        create(teacher, north, "numeric", "Pi", tags=["maths", "geo"])
        create(teacher, everyone, "essay", "Photosynthesis 100%", tags=["bio"])
        assert listed(teacher, kind="numeric") == ["Pi"]
        assert sorted(listed(teacher, tag="GEO")) == ["Capitals", "Pi"]
        assert sorted(listed(teacher, **{"tag][ne": "maths"})) == ["Capitals", "Photosynthesis 100%"]
        assert listed(teacher, q="france") == ["Capitals"]  # in the stem's text
        assert listed(teacher, q="100%") == ["Photosynthesis 100%"]
        assert listed(teacher, q="%") == ["Photosynthesis 100%"]  # a wildcard is a character here
        assert sorted(listed(teacher, course_id=north)) == ["Capitals", "Pi"]
        query = parse_list_query(MultiDict({"filter[kind]": "essay"}), bank.QUESTION_LIST)
        assert [v.title for v in bank.list_questions(query, course_id=north, actor=teacher)[1]] == []


def test_the_preview_shows_no_key_and_grades_a_sample(app, tenant, district):
    with acting_as(app, tenant, TEACHER) as teacher:
        stem, spec = sample("single_choice")
        shown = bank.preview(
            "single_choice", stem + "<script>x</script>", spec, response={"choice": "b"}, actor=teacher
        )
        assert shown.stem_html == stem
        assert "correct" not in repr(shown.view) and "feedback" not in repr(shown.view)
        assert sorted(option["id"] for option in shown.view["options"]) == ["a", "b", "c"]
        assert (shown.grade.fraction, shown.grade.feedback) == (0.0, ["No, that is a city."])
        assert shown.correct_response == {"choice": "a"}
        with pytest.raises(ValidationFailed) as refused:
            bank.preview("fill_blanks", "<p>No blanks</p>", sample("fill_blanks")[1], actor=teacher)
        assert "spec.blanks[0].id" in refused.value.details
    with acting_as(app, tenant, STUDENT) as student, pytest.raises(PermissionDenied):
        bank.preview("single_choice", stem, spec, actor=student)


def _photo_with_location():
    out = io.BytesIO()
    picture = Image.new("RGB", (3000, 2000), "navy")
    exif = Image.Exif()
    exif[0x8825] = {2: (51, 30, 0)}  # GPS latitude
    picture.save(out, "JPEG", exif=exif)
    return out.getvalue()


def test_a_stem_image_is_re_encoded_without_metadata_and_a_new_one_is_a_new_version(app, tenant, district):
    with acting_as(app, tenant, TEACHER) as teacher:
        with pytest.raises(ValidationFailed) as undescribed:
            create(teacher, district["courses"]["north"], image=io.BytesIO(_photo_with_location()))
        assert list(undescribed.value.details) == ["image_alt"]
        question = create(
            teacher, district["courses"]["north"], image=io.BytesIO(_photo_with_location()), image_alt="A navy flag"
        )
        first = bank.current_version(question)
        assert first.image_alt == "A navy flag"
        with media_storage().open(first.image_key) as stored, Image.open(stored) as image:
            assert image.format == "JPEG" and image.size == (1600, 1067)
            assert not image.getexif()
        bank.update_question(question.id, remove_image=True, change_note="No picture", actor=teacher)
        assert bank.current_version(question).image_key is None
        with media_storage().open(first.image_key):
            pass  # version 1 keeps its image: attempts may show it
        with pytest.raises(ValidationFailed) as refused:
            bank.update_question(question.id, image=io.BytesIO(b"not an image"), image_alt="A flag", actor=teacher)
        assert list(refused.value.details) == ["image"]
        assert question.current_version == 2


def test_a_stored_questions_preview_shows_each_version_without_its_key(app, tenant, district):
    with acting_as(app, tenant, TEACHER) as teacher:
        question = create(teacher, district["courses"]["north"], "ordering")
        _, spec = sample("ordering")
        spec["items"].append({"id": "d", "text": "Elephant"})
        bank.update_question(question.id, spec=spec, actor=teacher)
        first = bank.preview_question(question.id, 1, {"order": ["a", "b", "c"]}, actor=teacher)
        assert sorted(item["id"] for item in first.view["items"]) == ["a", "b", "c"] and first.grade.fraction == 1.0
        latest = bank.preview_question(question.id, response={"order": ["a", "b", "c"]}, actor=teacher)
        assert len(latest.view["items"]) == 4 and latest.grade.fraction == 0.75
        assert latest.view["items"] != spec["items"]  # shuffled: the order is the answer


def test_many_questions_are_written_at_once_sanitised_tagged_or_none_at_all(app, tenant, district):
    north, south = district["courses"]["north"], district["courses"]["south"]
    stem, spec = sample("true_false")
    with acting_as(app, tenant, TEACHER) as teacher:
        good = [
            bank.QuestionDraft("true_false", f" Q{n} ", f"<p>{n}<script>x</script></p>", spec, tags=["Week 1"])
            for n in range(3)
        ]
        good[2].change_note = "From line 9"
        made = bank.create_questions(north, good, actor=teacher, change_note="Batch")
        assert [question.title for question in made] == ["Q0", "Q1", "Q2"]
        versions = [bank.current_version(question) for question in made]
        assert [version.stem_html for version in versions] == ["<p>0</p>", "<p>1</p>", "<p>2</p>"]
        assert [version.change_note for version in versions] == ["Batch", "Batch", "From line 9"]
        assert bank.tags_of([made[0].id]) == {made[0].id: ["week 1"]}
        before = db.session.scalar(sa.select(sa.func.count()).select_from(Question))
        bad = [bank.QuestionDraft("true_false", "Fine", stem, spec), bank.QuestionDraft("true_false", "", stem, {})]
        with pytest.raises(ValidationFailed) as refused:
            bank.create_questions(north, bad, actor=teacher)
        assert refused.value.message.startswith("Question 2:") and {"title", "spec.answer"} <= set(
            refused.value.details
        )
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Question)) == before  # not even the good one
    with acting_as(app, tenant, MANAGER) as manager, pytest.raises(NotFound):
        bank.create_questions(south, good, actor=manager)
    with acting_as(app, tenant, STUDENT) as student, pytest.raises(NotFound):
        bank.create_questions(None, good, actor=student)
