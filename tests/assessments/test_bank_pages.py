"""The question bank's pages: lists, the editor of each kind with its rows and live preview, versions, actions."""

import io
import re

import pytest

from blueprints.assessments.models import QuestionKind
from tests.support.browser import Browser
from tests.support.questions import acting_as, create
from tests.support.world import png_bytes

TEACHER = "teach@example.org"


@pytest.fixture
def teacher_page(app, tenant, district):
    page = Browser(app, tenant)
    page.sign_in(TEACHER)
    return page


def text_of(response):
    return response.get_data(as_text=True)


def hx(page, path):
    token = re.search(r'"X-CSRFToken": "([^"]+)"', text_of(page.get(path))).group(1)
    return {"HX-Request": "true", "X-CSRFToken": token}


def test_the_course_bank_lists_filters_and_links_from_the_course_editor(app, tenant, district, teacher_page):
    north = district["courses"]["north"]
    with acting_as(app, tenant, TEACHER) as teacher:
        create(teacher, north, "numeric", "Pi to two places", tags=["maths"])
        create(teacher, north, "essay", "Photosynthesis", tags=["bio"])
    assert f"/courses/{north}/questions" in text_of(teacher_page.get(f"/teach/{north}"))
    assert 'href="/questions"' in text_of(teacher_page.get("/teach"))
    page = text_of(teacher_page.get(f"/courses/{north}/questions"))
    assert "Pi to two places" in page and "Photosynthesis" in page and "2 questions" in page
    fragment = teacher_page.get(f"/courses/{north}/questions?tag=maths", headers={"HX-Request": "true"})
    assert "Pi to two places" in text_of(fragment) and "Photosynthesis" not in text_of(fragment)
    assert "<html" not in text_of(fragment)
    assert "Photosynthesis" in text_of(teacher_page.get(f"/courses/{north}/questions?kind=essay"))
    assert teacher_page.get(f"/courses/{district['courses']['south']}/questions?q=x").status_code == 200  # theirs too
    manager = Browser(app, tenant)
    manager.sign_in("boss@example.org")
    assert manager.get(f"/courses/{district['courses']['south']}/questions").status_code == 404
    student = Browser(app, tenant)
    student.sign_in("north@example.org")
    assert student.get(f"/courses/{north}/questions").status_code == 403
    assert student.get("/questions").status_code == 403


@pytest.mark.parametrize("kind", QuestionKind.ALL)
def test_every_kind_has_an_editor_with_a_preview(teacher_page, district, kind):
    north = district["courses"]["north"]
    page = teacher_page.get(f"/courses/{north}/questions/new?kind={kind}")
    assert page.status_code == 200
    assert 'id="spec-fields"' in text_of(page) and 'id="preview"' in text_of(page)


def test_a_single_choice_question_made_through_the_form_with_a_row_added(app, tenant, district, teacher_page):
    north = district["courses"]["north"]
    path = f"/courses/{north}/questions/new?kind=single_choice"
    form = {
        "kind": "single_choice",
        "title": "Capital",
        "stem_html": "<p>Capital of France?</p>",
        "default_points": "2",
        "tags": "geo, Europe",
        "rows": "3",
        **{f"opt-{i}-id": letter for i, letter in enumerate("abc")},
        "opt-0-text": "Paris",
        "opt-1-text": "Lyon",
        "opt-2-text": "Nice",
        "correct": "0",
        "opt-1-feedback": "A city, not the capital.",
    }
    added = teacher_page.post(path, form | {"op": "add:"}, headers=hx(teacher_page, path))
    assert added.status_code == 200 and text_of(added).strip().startswith('<fieldset id="spec-fields"')
    assert 'name="opt-3-text"' in text_of(added) and 'value="Lyon"' in text_of(added)
    removed = teacher_page.post(path, form | {"op": "remove:2"}, csrf_from=path)  # without htmx: the whole editor
    assert (
        "<html" in text_of(removed)
        and 'value="Nice"' not in text_of(removed)
        and 'name="rows" value="2"' in text_of(removed)
    )
    saved = teacher_page.post(path, form, csrf_from=path)
    assert saved.status_code == 302, text_of(saved)[:2000]
    edited = text_of(teacher_page.get(saved.headers["Location"]))
    assert 'value="Capital"' in edited and 'value="europe, geo"' in edited and "Paris" in edited


def test_a_bad_form_comes_back_with_each_message_next_to_its_input(teacher_page, district):
    north = district["courses"]["north"]
    path = f"/courses/{north}/questions/new?kind=matching"
    form = {
        "kind": "matching",
        "title": "",
        "stem_html": "<p>Match</p>",
        "default_points": "two",
        "rows": "2",
        "pair-0-id": "p1",
        "pair-0-prompt": "France",
        "pair-0-answer": "Paris",
        "pair-1-id": "p2",
        "pair-1-prompt": "Italy",
        "pair-1-answer": " Paris ",
        "distractors": "Rome",
    }
    answer = teacher_page.post(path, form, csrf_from=path)
    page = text_of(answer)
    assert answer.status_code == 422
    assert 'id="title-errors"' in page and 'id="default_points-errors"' in page
    assert 'aria-describedby="spec-pairs-1-answer-errors"' in page
    assert "this one is used twice" in page and 'value="Italy"' in page


def test_the_live_preview_shows_no_key_and_grades_a_tried_answer(teacher_page, district):
    north = district["courses"]["north"]
    path = f"/courses/{north}/questions/new?kind=fill_blanks"
    form = {
        "kind": "fill_blanks",
        "title": "Colours",
        "stem_html": "<p>Roses are [[1]], violets are [[2]].</p>",
        "default_points": "1",
        "rows": "2",
        "blank-0-id": "1",
        "blank-0-rows": "2",
        "blank-0-ans-0-text": "red",
        "blank-0-ans-0-match": "case_insensitive",
        "blank-0-ans-1-text": "scarlet",
        "blank-0-ans-1-match": "case_insensitive",
        "blank-0-ans-1-credit": "100",
        "blank-1-id": "2",
        "blank-1-rows": "1",
        "blank-1-ans-0-text": "blue",
        "blank-1-ans-0-match": "exact",
    }
    preview = f"/courses/{north}/questions/preview"
    shown = text_of(teacher_page.post(preview, form, headers=hx(teacher_page, path)))
    assert 'name="r-blank-1"' in shown and 'name="r-blank-2"' in shown
    assert "scarlet" not in shown and "blue" not in shown
    tried = text_of(
        teacher_page.post(
            preview, form | {"try": "y", "r-blank-1": "Scarlet", "r-blank-2": "green"}, headers=hx(teacher_page, path)
        )
    )
    assert "<strong>50.0 %</strong>" in tried and 'value="Scarlet"' in tried
    broken = text_of(teacher_page.post(preview, form | {"blank-1-id": "3"}, headers=hx(teacher_page, path)))
    assert "Not a complete question yet" in broken and "[[2]] is in the text but is no blank below." in broken


def test_editing_versions_archive_and_share_through_the_pages(app, tenant, district, teacher_page):
    north = district["courses"]["north"]
    with acting_as(app, tenant, TEACHER) as teacher:
        question_id = create(teacher, north, "true_false", "Boiling").id
    path = f"/courses/{north}/questions/{question_id}"
    form = {
        "kind": "true_false",
        "title": "Boiling water",
        "stem_html": "<p>Water boils at 90 °C.</p>",
        "default_points": "1",
        "answer": "false",
        "change_note": "Made it false",
    }
    assert teacher_page.post(path, form, csrf_from=path).status_code == 302
    versions = text_of(teacher_page.get(f"{path}/versions"))
    assert "Made it false" in versions and "Version 2" in versions
    assert "Water boils at 100" in text_of(teacher_page.get(f"{path}/versions?number=1"))
    assert teacher_page.get(f"/questions/{question_id}").status_code == 404  # not in the organization bank
    archived = teacher_page.post(f"{path}/archive", csrf_from=path, follow_redirects=True)
    assert "Question archived." in text_of(archived) and "Restore" in text_of(archived)
    teacher_page.post(f"{path}/restore", csrf_from=path)
    shared = teacher_page.post(f"{path}/share", csrf_from=path)
    assert shared.headers["Location"].endswith(f"/questions/{question_id}")
    assert "Boiling water" in text_of(teacher_page.get("/questions"))
    assert teacher_page.get(path).status_code == 404  # it left the course's bank


def test_a_teacher_reads_but_cannot_change_anothers_question_of_the_organization_bank(app, tenant, teacher_page):
    with acting_as(app, tenant, "admin@example.org") as admin:
        question_id = create(admin, None, "true_false", "The admin's").id
    path = f"/questions/{question_id}"
    page = text_of(teacher_page.get(path))
    assert "only its author and org admins change it" in page and "Save as a new version" not in page
    form = {"kind": "true_false", "title": "Taken over", "stem_html": "<p>x</p>", "answer": "true"}
    assert teacher_page.post(path, form, csrf_from=path).status_code == 403
    assert teacher_page.post(f"{path}/archive", csrf_from=path).status_code == 403
    assert "The admin&#39;s" in text_of(teacher_page.get("/questions"))


def test_credits_are_typed_and_explained_in_percent(teacher_page, district):
    path = f"/courses/{district['courses']['north']}/questions/new?kind=short_answer"
    form = {
        "kind": "short_answer",
        "title": "Planet",
        "stem_html": "<p>Largest planet?</p>",
        "rows": "1",
        "ans-0-text": "Jupiter",
        "ans-0-match": "exact",
        "ans-0-credit": "150",
    }
    page = text_of(teacher_page.post(path, form, csrf_from=path))
    assert "A credit from 0 to 100 %." in page and "fraction of" not in page
    saved = teacher_page.post(path, form | {"ans-0-credit": "100"}, csrf_from=path)
    assert saved.status_code == 302
    assert 'name="ans-0-credit" value="100"' in text_of(teacher_page.get(saved.headers["Location"]))


def test_a_teacher_finds_import_and_export_on_the_bank_pages(app, tenant, district, teacher_page):
    north = district["courses"]["north"]
    with acting_as(app, tenant, TEACHER) as teacher:
        create(teacher, north, "single_choice", "Capital")
    for bank_path in (f"/courses/{north}/questions", "/questions"):
        page = text_of(teacher_page.get(bank_path))
        links = re.findall(r'href="([^"]+)"', page)
        assert f"{bank_path}/import" in links
        for file_format in ("gift", "aiken"):
            assert f"{bank_path}/export?format={file_format}" in links
    assert teacher_page.get(f"/courses/{north}/questions/import").status_code == 200
    download = teacher_page.get(f"/courses/{north}/questions/export?format=aiken")
    assert download.status_code == 200 and "ANSWER: A" in text_of(download)


def test_an_image_is_saved_only_with_its_description_which_becomes_its_alt(app, tenant, district, teacher_page):
    north = district["courses"]["north"]
    with acting_as(app, tenant, TEACHER) as teacher:
        question_id = create(teacher, north, "true_false", "Boiling").id
    path = f"/courses/{north}/questions/{question_id}"
    form = {
        "kind": "true_false",
        "title": "Boiling",
        "stem_html": "<p>The kettle in the picture boils.</p>",
        "default_points": "1",
        "answer": "true",
    }
    undescribed = teacher_page.post(
        path, form | {"image": (io.BytesIO(png_bytes((40, 30))), "kettle.png")}, csrf_from=path
    )
    assert undescribed.status_code == 422
    assert re.search(r'id="q-image-alt" name="image_alt" value=""[^>]*aria-invalid="true"', text_of(undescribed))
    assert "Describe what the image shows" in text_of(undescribed)
    alt = "A kettle on a stove, steam rising"
    image = (io.BytesIO(png_bytes((40, 30))), "kettle.png")
    saved = teacher_page.post(path, form | {"image": image, "image_alt": alt}, csrf_from=path)
    assert saved.status_code == 302, text_of(saved)[:2000]
    editor = text_of(teacher_page.get(path))
    assert f'alt="{alt}"' in editor and f'name="image_alt" value="{alt}"' in editor
    assert f'alt="{alt}"' in text_of(teacher_page.get(f"{path}/versions"))
    unchanged = teacher_page.post(path, form | {"image_alt": alt}, csrf_from=path)  # saved as it is: no version
    assert unchanged.status_code == 302 and "Version 3" not in text_of(teacher_page.get(f"{path}/versions"))
