"""The import/export API: a dry run reports each bad question by line and writes nothing; limits are clear
4xx; exports are text files of the bank the caller manages, naming what the format cannot hold."""

import io

import pytest

from blueprints.assessments.models import QuestionKind
from tests.conftest import make_user, user_token
from tests.support.courses import make_course
from tests.support.formats import (
    AIKEN,
    GOOD_AND_BAD_GIFT,
    add_question,
    question_count,
    questions_in,
    single_choice,
)


def upload(client, text=None, *, file=None, **form):
    data = {key: str(value).lower() if isinstance(value, bool) else str(value) for key, value in form.items()}
    if text is not None:
        data["text"] = text
    if file is not None:
        data["file"] = (io.BytesIO(file), "questions.txt")
    return client.post("/api/v1/questions/import", data=data, content_type="multipart/form-data")


@pytest.fixture
def bank(school, app):
    teacher = school["teacher"]
    course_id, _ = make_course(teacher, items=1)
    return {**school, "course_id": course_id, "app": app}


def test_a_dry_run_reports_good_questions_and_each_bad_one_by_line_and_writes_nothing(bank):
    response = upload(bank["teacher"], file=GOOD_AND_BAD_GIFT.encode(), format="gift", course_id=bank["course_id"])
    assert response.status_code == 200, response.get_json()
    report = response.get_json()["data"]
    assert (report["dry_run"], report["total"], report["valid"], report["invalid"]) == (True, 6, 4, 2)
    assert [(q["line"], q["kind"], q["title"], q["tags"]) for q in report["questions"]] == [
        (4, QuestionKind.SINGLE, "Capital", ["geography"]),
        (6, QuestionKind.SINGLE, "Rivers", ["geography"]),
        (9, QuestionKind.TRUE_FALSE, "The sun is a star.", ["geography"]),
        (15, QuestionKind.NUMERIC, "Pi to two decimals?", ["geography"]),
    ]
    assert [(error["line"], error["message"]) for error in report["errors"]] == [
        (11, "The right answers' weights add up to 90%, not 100%."),
        (
            13,
            "The answers opened with { are not closed with }. "
            "A blank line ends a question, so keep its answers together.",
        ),
    ]
    assert report["imported"] == []
    assert question_count(bank["app"], bank["tenant"]) == 0


def test_pasted_aiken_text_and_the_organization_bank(bank):
    response = upload(bank["teacher"], AIKEN, format="aiken")
    assert response.status_code == 200, response.get_json()
    report = response.get_json()["data"]
    assert (report["course_id"], report["valid"], report["invalid"]) == (None, 2, 0)
    assert report["questions"][0]["spec"]["options"][1] == {"id": "b", "text": "Mars", "correct": True, "feedback": ""}


@pytest.mark.parametrize(
    ("form", "field", "code"),
    [
        ({"format": "gift"}, "file", "VALIDATION_ERROR"),  # neither file nor text
        ({"format": "gift", "text": "Q{T}", "file": b"Q{T}"}, "file", "VALIDATION_ERROR"),
        ({"format": "qti", "text": "Q{T}"}, "format", "VALIDATION_ERROR"),
        ({"format": "gift", "file": "Caf\u00e9{T}".encode("latin-1")}, "file", "INVALID_FILE"),
        ({"format": "gift", "file": b"Q\0{T}"}, "file", "INVALID_FILE"),
        ({"format": "gift", "file": b"  \n"}, "file", "INVALID_FILE"),
        ({"format": "gift", "text": "   "}, "text", "VALIDATION_ERROR"),
    ],
)
def test_bad_uploads_are_422_naming_the_field(bank, form, field, code):
    form = dict(form)
    response = upload(bank["teacher"], form.pop("text", None), file=form.pop("file", None), **form)
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == code and field in error["details"]


def test_utf16_files_with_a_byte_order_mark_are_read(bank):
    response = upload(bank["teacher"], file="Café?{T}".encode("utf-16"), format="gift", course_id=bank["course_id"])
    assert response.get_json()["data"]["questions"][0]["stem_html"] == "Café?"


def test_files_over_the_size_or_question_limit_are_413(bank, app, monkeypatch):
    monkeypatch.setitem(app.config, "QUESTION_IMPORT_MAX_BYTES", 1000)
    too_big = upload(bank["teacher"], file=b"Q{T}\n\n" * 200, format="gift", course_id=bank["course_id"])
    assert too_big.status_code == 413
    assert too_big.get_json()["error"]["code"] == "FILE_TOO_LARGE"
    assert too_big.get_json()["error"]["message"] == "The file is larger than 1000 bytes: split it into several files."
    monkeypatch.setitem(app.config, "QUESTION_IMPORT_MAX_BYTES", 100_000)
    monkeypatch.setitem(app.config, "QUESTION_IMPORT_MAX_QUESTIONS", 5)
    too_many = upload(bank["teacher"], "Q{T}\n\n" * 6, format="gift", course_id=bank["course_id"])
    assert too_many.status_code == 413
    assert "more than 5 questions" in too_many.get_json()["error"]["message"]
    assert upload(bank["teacher"], "Q{T}\n\n" * 5, format="gift").status_code == 200


def test_who_may_import_where(bank, app, api):
    learner = bank["learners"][0]
    assert upload(learner, "Q{T}", format="gift", course_id=bank["course_id"]).status_code == 403
    assert upload(learner, "Q{T}", format="gift").status_code == 403
    other_id = make_user(app, bank["tenant"], "teacher", email="other@example.org")
    other = api(bank["tenant"], user_token(app, bank["tenant"], other_id, "teacher"))
    # A published course is in every teacher's catalogue: seen, not theirs to change (403); a draft is unseen.
    assert upload(other, "Q{T}", format="gift", course_id=bank["course_id"]).status_code == 403
    draft_id, _ = make_course(bank["teacher"], title="Draft", items=1, publish=False)
    assert upload(other, "Q{T}", format="gift", course_id=draft_id).status_code == 404
    assert upload(other, "Q{T}", format="gift", course_id=999999).status_code == 404
    assert upload(other, "Q{T}", format="gift").status_code == 200  # the organization bank is every teacher's
    assert upload(bank["admin"], "Q{T}", format="gift", course_id=bank["course_id"]).status_code == 200


def export(client, **args):
    query = "&".join(
        f"{key}={value}" for key, values in args.items() for value in (values if isinstance(values, list) else [values])
    )
    return client.get(f"/api/v1/questions/export?{query}")


def test_export_of_a_course_bank_as_gift_and_aiken(bank):
    app, tenant, course_id = bank["app"], bank["tenant"], bank["course_id"]
    capital = add_question(app, tenant, course_id, *single_choice(), title="Capital", tags=["europe"])
    ordering = add_question(
        app,
        tenant,
        course_id,
        QuestionKind.ORDERING,
        {"items": [{"id": "a", "text": "1"}], "scoring": "partial"},
        title="Order",
    )
    add_question(app, tenant, course_id, *single_choice("Old"), title="Archived", archived=True)
    add_question(app, tenant, None, *single_choice("Org"), title="In the organization bank")
    gift = export(bank["teacher"], format="gift", course_id=course_id)
    assert gift.status_code == 200
    assert gift.mimetype == "text/plain"
    assert gift.headers["Content-Disposition"] == 'attachment; filename="questions.gift.txt"'
    assert (gift.headers["X-Questions-Exported"], gift.headers["X-Questions-Skipped"]) == ("1", str(ordering))
    text = gift.get_data(as_text=True)
    assert "// skipped: Order: ordering questions have no GIFT form" in text
    assert "$CATEGORY: europe" in text and f"// question: {capital}  name: Capital" in text
    assert "Archived" not in text and "organization bank" not in text
    # What was exported imports again as the same question (dry run into the organization bank).
    again = upload(bank["teacher"], file=gift.get_data(), format="gift").get_json()["data"]
    assert [(q["title"], q["tags"], q["spec"]["options"][0]["text"]) for q in again["questions"]] == [
        ("Capital", ["europe"], "Paris")
    ]
    aiken = export(bank["teacher"], format="aiken", course_id=course_id)
    assert aiken.get_data(as_text=True) == "Stem?\nA. Paris\nB. London\nANSWER: A\n"
    assert aiken.headers["X-Questions-Skipped"] == str(ordering)


def test_export_of_the_organization_bank_and_of_chosen_questions(bank):
    app, tenant = bank["app"], bank["tenant"]
    first = add_question(app, tenant, None, *single_choice("One"), title="First")
    add_question(app, tenant, None, *single_choice("Two"), title="Second")
    third = add_question(app, tenant, None, *single_choice("Three"), title="Third")
    everything = export(bank["teacher"], format="aiken").get_data(as_text=True)
    assert [line for line in everything.splitlines() if line.startswith("A. ")] == ["A. One", "A. Two", "A. Three"]
    chosen = export(bank["teacher"], format="aiken", ids=[third, first]).get_data(as_text=True)
    assert [line for line in chosen.splitlines() if line.startswith("A. ")] == ["A. One", "A. Three"]
    # An id of another bank is not part of this one: nothing leaks through `ids`.
    course_question = add_question(app, tenant, bank["course_id"], *single_choice("Mine"), title="Course's")
    assert "Mine" not in export(bank["teacher"], format="aiken", ids=[course_question]).get_data(as_text=True)


def test_who_may_export_what(bank, app, api):
    add_question(app, bank["tenant"], bank["course_id"], *single_choice(), title="Capital")
    assert export(bank["learners"][0], format="gift", course_id=bank["course_id"]).status_code == 403
    assert export(bank["learners"][0], format="gift").status_code == 403
    other_id = make_user(app, bank["tenant"], "teacher", email="other@example.org")
    other = api(bank["tenant"], user_token(app, bank["tenant"], other_id, "teacher"))
    assert export(other, format="gift", course_id=bank["course_id"]).status_code == 403
    draft_id, _ = make_course(bank["teacher"], title="Draft", items=1, publish=False)
    assert export(other, format="gift", course_id=draft_id).status_code == 404
    assert export(bank["admin"], format="gift", course_id=bank["course_id"]).status_code == 200
    bad = export(bank["teacher"], format="qti", course_id=bank["course_id"])
    assert bad.status_code == 422 and "format" in bad.get_json()["error"]["details"]


def test_a_file_with_errors_is_refused_whole_unless_only_the_valid_ones_are_asked_for(bank):
    app, tenant, teacher, course_id = bank["app"], bank["tenant"], bank["teacher"], bank["course_id"]
    refused = upload(teacher, file=GOOD_AND_BAD_GIFT.encode(), format="gift", course_id=course_id, dry_run=False)
    assert refused.status_code == 422
    error = refused.get_json()["error"]
    assert error["code"] == "IMPORT_HAS_ERRORS" and "nothing was imported" in error["message"]
    assert error["details"]["file"][0] == "Line 11: The right answers' weights add up to 90%, not 100%."
    assert question_count(app, tenant) == 0

    done = upload(
        teacher, file=GOOD_AND_BAD_GIFT.encode(), format="gift", course_id=course_id, dry_run=False, only_valid=True
    )
    assert done.status_code == 201, done.get_json()
    report = done.get_json()["data"]
    assert (report["dry_run"], report["valid"], report["invalid"]) == (False, 4, 2)
    assert [(q["line"], q["title"]) for q in report["imported"]] == [
        (4, "Capital"),
        (6, "Rivers"),
        (9, "The sun is a star."),
        (15, "Pi to two decimals?"),
    ]
    stored = questions_in(app, tenant, course_id)
    assert [(title, tags, note) for _, title, tags, note in stored] == [
        ("Capital", ["geography"], "Imported from GIFT (line 4)"),
        ("Rivers", ["geography"], "Imported from GIFT (line 6)"),
        ("The sun is a star.", ["geography"], "Imported from GIFT (line 9)"),
        ("Pi to two decimals?", ["geography"], "Imported from GIFT (line 15)"),
    ]
    assert [question_id for question_id, *_ in stored] == [q["id"] for q in report["imported"]]


def test_the_banks_own_checks_are_part_of_the_dry_run(bank):
    long_option = "x" * 1001
    text = f"Good?{{T}}\n\nToo long an option{{=ok ~{long_option}}}\n"
    report = upload(bank["teacher"], text, format="gift", course_id=bank["course_id"]).get_json()["data"]
    assert report["valid"] == 1
    assert report["errors"][0]["line"] == 3 and report["errors"][0]["message"].startswith("Answers: ")


def test_aiken_into_the_organization_bank(bank):
    done = upload(bank["teacher"], AIKEN, format="aiken", dry_run=False)
    assert done.status_code == 201
    stored = questions_in(bank["app"], bank["tenant"], None)
    assert [title for _, title, _, _ in stored] == ["Which planet is red?", "Which planet is largest?"]


def test_when_a_question_fails_to_save_none_of_the_file_is_kept(bank, app, monkeypatch):
    # The second stem passes the file's checks but is larger than rich text may be once stored.
    monkeypatch.setitem(app.config, "RICH_TEXT_MAX_BYTES", 200)
    text = "Short?{T}\n\n" + "Long " * 60 + "?{T}\n"
    response = upload(bank["teacher"], text, format="gift", course_id=bank["course_id"], dry_run=False)
    assert response.status_code == 422
    assert question_count(app, bank["tenant"]) == 0


EVERY_KIND = r"""$CATEGORY: $course$/top/Unit 1

::Capital::[html]<p>What is the <strong>capital</strong> of France?</p>{=Paris#Yes ~London#No ~Berlin####Since 508.}

::Primes::Which are primes?{~%50%2 ~%50%3 ~%-100%4}

::Sun::The sun is a star.{TRUE#Look up.#Right}

::Tomb::Who is buried in Grant's tomb?{=no one =%50%Grant#Half}

::Pi::Pi to two decimals?{#=3.14:0.005 =%50%3.1:0.05#Close}

::Capitals::Match the capitals.{=Canada -> Ottawa =Italy -> Rome = -> Paris}

::Gap::The capital of France is {=Paris} in 2024.

// tessera: {"points": 5, "min_words": 100}
::Essay::Write about your day.{####Thanks}
"""


def test_every_kind_gift_holds_goes_through_the_bank_and_back_unchanged(bank):
    teacher, course_id = bank["teacher"], bank["course_id"]
    first = upload(teacher, EVERY_KIND, format="gift", course_id=course_id, dry_run=False)
    assert first.status_code == 201, first.get_json()
    exported = export(teacher, format="gift", course_id=course_id)
    assert exported.headers["X-Questions-Exported"] == "8" and exported.headers["X-Questions-Skipped"] == ""
    before = upload(teacher, EVERY_KIND, format="gift").get_json()["data"]["questions"]
    after = upload(teacher, file=exported.get_data(), format="gift").get_json()["data"]
    assert after["errors"] == [] and after["warnings"] == []
    keep = ("kind", "title", "stem_html", "spec", "general_feedback_html", "default_points", "tags")
    assert [{k: q[k] for k in keep} for q in after["questions"]] == [{k: q[k] for k in keep} for q in before]


def test_only_valid_with_nothing_valid_writes_nothing_and_says_so(bank):
    response = upload(bank["teacher"], "Broken {=a", format="gift", dry_run=False, only_valid=True)
    assert response.status_code == 422
    assert response.get_json()["error"]["message"] == "The file has no question that can be imported."
    assert question_count(bank["app"], bank["tenant"]) == 0
