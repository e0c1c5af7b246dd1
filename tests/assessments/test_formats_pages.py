"""The import page: check a file (a report by line, nothing written), confirm, and the export downloads."""

import io
import re

from tests.conftest import make_user, user_token
from tests.support.browser import Browser
from tests.support.courses import make_course
from tests.support.formats import GOOD_AND_BAD_GIFT, add_question, question_count, questions_in, single_choice


def signed_in(app, tenant, role="teacher", email="teacher@example.org"):
    user_id = make_user(app, tenant, role, email=email)
    browser = Browser(app, tenant)
    browser.sign_in(email)
    browser.user_id = user_id
    return browser


def check(browser, url, text=None, file=None, fmt="gift"):
    data = {"format": fmt, "text": text or ""}
    if file is not None:
        data["file"] = (io.BytesIO(file), "quiz.txt")
    return browser.post(url, data, csrf_from=url, content_type="multipart/form-data")


def confirm(browser, page, **extra):
    action = re.search(r'<form method="post" action="([^"]+/import/confirm)"', page).group(1)
    fields = dict(re.findall(r'<input id="\w+" name="(csrf_token|token)" type="hidden" value="([^"]*)"', page))
    return browser.post(action, {**fields, **extra})


def test_a_teacher_checks_a_file_sees_each_bad_line_then_imports_only_the_valid_ones(app, tenant, api):
    teacher = signed_in(app, tenant)
    course_id = course_of(app, tenant, api, teacher)
    url = f"/courses/{course_id}/questions/import"
    page = teacher.get(url)
    assert page.status_code == 200
    assert "Download GIFT" in page.get_data(as_text=True)

    checked = check(teacher, url, file=GOOD_AND_BAD_GIFT.encode())
    assert checked.status_code == 200
    html = checked.get_data(as_text=True)
    assert "Checked: nothing is imported yet" in html
    assert "<strong>4</strong> questions can be imported" in html
    assert "<tr><td>11</td><td>The right answers&#39; weights add up to 90%, not 100%.</td></tr>" in html
    assert "<td>13</td>" in html and "Import 4 questions" in html
    assert question_count(app, tenant) == 0

    refused = confirm(teacher, html)  # errors in the file, and "only the valid ones" not ticked
    assert refused.status_code == 422
    assert "nothing was imported" in refused.get_data(as_text=True)
    assert question_count(app, tenant) == 0

    done = confirm(teacher, refused.get_data(as_text=True), only_valid="y")
    assert done.status_code == 200
    assert "4 questions imported" in done.get_data(as_text=True)
    assert [title for _, title, _, _ in questions_in(app, tenant, course_id)] == [
        "Capital",
        "Rivers",
        "The sun is a star.",
        "Pi to two decimals?",
    ]
    again = confirm(teacher, refused.get_data(as_text=True), only_valid="y")  # a second click imports nothing
    assert again.status_code == 422 and "check the file again" in again.get_data(as_text=True)
    assert question_count(app, tenant) == 4


def test_pasted_aiken_into_the_organization_bank_and_form_errors(app, tenant):
    teacher = signed_in(app, tenant)
    url = "/questions/import"
    empty = check(teacher, url, text="   ")
    assert empty.status_code == 422 and "Choose a file or paste questions." in empty.get_data(as_text=True)
    latin = check(teacher, url, file="Café{T}".encode("latin-1"))
    assert latin.status_code == 422 and "not UTF-8" in latin.get_data(as_text=True)
    html = check(teacher, url, text="Red planet?\nA. Venus\nB. Mars\nANSWER: B", fmt="aiken").get_data(as_text=True)
    assert "<strong>1</strong> question can be imported" in html
    done = confirm(teacher, html)
    assert done.status_code == 200 and "1 question imported" in done.get_data(as_text=True)
    assert [title for _, title, _, _ in questions_in(app, tenant, None)] == ["Red planet?"]


def test_export_downloads_and_who_reaches_the_pages(app, tenant, api):
    teacher = signed_in(app, tenant)
    course_id = course_of(app, tenant, api, teacher)
    add_question(app, tenant, course_id, *single_choice(), title="Capital")
    gift = teacher.get(f"/courses/{course_id}/questions/export?format=gift")
    assert gift.status_code == 200 and gift.mimetype == "text/plain"
    assert "::Capital::Stem?{" in gift.get_data(as_text=True)
    aiken = teacher.get(f"/courses/{course_id}/questions/export?format=aiken")
    assert aiken.get_data(as_text=True) == "Stem?\nA. Paris\nB. London\nANSWER: A\n"
    assert teacher.get(f"/courses/{course_id}/questions/export?format=qti").status_code == 404

    student = signed_in(app, tenant, "student", "learner@example.org")
    assert student.get("/questions/import").status_code == 403
    assert student.get(f"/courses/{course_id}/questions/export?format=gift").status_code == 403
    other = signed_in(app, tenant, "teacher", "other@example.org")
    assert other.get(f"/courses/{course_id}/questions/import").status_code == 403  # published: seen, not theirs
    assert other.get("/courses/999999/questions/import").status_code == 404


def course_of(app, tenant, api, teacher):
    """A published course of this teacher's (made through the API, as them)."""
    course_id, _ = make_course(api(tenant, user_token(app, tenant, teacher.user_id, "teacher")), items=1)
    return course_id


def test_a_checked_file_is_confirmed_only_by_its_teacher_into_its_bank(app, tenant, api):
    teacher = signed_in(app, tenant)
    course_id = course_of(app, tenant, api, teacher)
    html = check(teacher, f"/courses/{course_id}/questions/import", text="Q?{T}").get_data(as_text=True)
    token = re.search(r'name="token" type="hidden" value="([0-9a-f]{32})"', html).group(1)

    other = signed_in(app, tenant, "teacher", "other@example.org")
    other_course = course_of(app, tenant, api, other)
    stolen = other.post(
        f"/courses/{course_id}/questions/import/confirm", {"token": token}, csrf_from="/questions/import"
    )
    assert stolen.status_code == 403  # not their course
    elsewhere = other.post(
        f"/courses/{other_course}/questions/import/confirm", {"token": token}, csrf_from="/questions/import"
    )
    assert elsewhere.status_code == 422  # their course, but not their check
    wrong_bank = teacher.post("/questions/import/confirm", {"token": token}, csrf_from="/questions/import")
    assert wrong_bank.status_code == 422  # checked for the course, not for the organization bank
    assert question_count(app, tenant) == 0
    right = teacher.post(
        f"/courses/{course_id}/questions/import/confirm", {"token": token}, csrf_from="/questions/import"
    )
    assert right.status_code == 200 and question_count(app, tenant) == 1
