"""Pages: the learner's "My achievements" and the staff's issued certificates of a course."""

import io
import re
import zipfile
from urllib.parse import unquote

import pytest

from tests.conftest import run_jobs
from tests.support.badges import create_badge
from tests.support.browser import Browser
from tests.support.certificate_rows import make_certificate
from tests.support.quizzes import make_classroom


@pytest.fixture
def classroom(app, api, tenant):
    return make_classroom(app, api, tenant)


def signed_in(app, tenant, email):
    browser = Browser(app, tenant)
    assert browser.sign_in(email).status_code == 302
    return browser


def test_a_learner_downloads_shares_and_hides_a_certificate_from_my_achievements(app, api, classroom):
    certificate_id, code = make_certificate(
        app, classroom.tenant, classroom.course_id, classroom.ids["learner"], holder_name="Ada Byron", pdf=b"%PDF-ada"
    )
    learner = signed_in(app, classroom.tenant, "ada@example.org")
    html = learner.get("/my-learning").get_data(as_text=True)
    assert 'href="/achievements"' in html
    page = learner.get("/achievements").get_data(as_text=True)
    assert "Physics" in page and code in page and "Private:" in page
    assert f"/verify/{code}" in page and "linkedin.com/profile/add" in page
    download = learner.get(f"/achievements/certificates/{certificate_id}/pdf")
    assert download.status_code == 200 and download.get_data() == b"%PDF-ada"
    assert "Ada-Byron-" in unquote(download.headers["Content-Disposition"])

    card = learner.post(
        f"/achievements/certificates/{certificate_id}/share",
        {"public": "true"},
        csrf_from="/achievements",
        headers={"HX-Request": "true"},
    )
    assert card.status_code == 200
    fragment = card.get_data(as_text=True)
    assert fragment.startswith(f'<li id="certificate-{certificate_id}">') and "Public:" in fragment
    assert "Ada Byron" in api(classroom.tenant).get(f"/verify/{code}").get_data(as_text=True)

    back = learner.post(
        f"/achievements/certificates/{certificate_id}/share", {"public": "false"}, csrf_from="/achievements"
    )
    assert back.status_code == 302
    assert "Ada Byron" not in api(classroom.tenant).get(f"/verify/{code}").get_data(as_text=True)


def test_nobody_else_shares_or_downloads_a_learners_certificate_from_their_pages(app, classroom):
    certificate_id, _ = make_certificate(
        app, classroom.tenant, classroom.course_id, classroom.ids["learner"], pdf=b"%PDF"
    )
    other = signed_in(app, classroom.tenant, "alan@example.org")
    assert other.get(f"/achievements/certificates/{certificate_id}/pdf").status_code == 404
    refused = other.post(
        f"/achievements/certificates/{certificate_id}/share", {"public": "true"}, csrf_from="/achievements"
    )
    assert refused.status_code == 404
    assert "No certificates yet" in other.get("/achievements").get_data(as_text=True)


def test_the_teacher_finds_revokes_reissues_and_zips_the_courses_certificates(app, api, classroom):
    ada_id, ada_code = make_certificate(
        app, classroom.tenant, classroom.course_id, classroom.ids["learner"], holder_name="Ada Byron", pdf=b"%PDF-a"
    )
    alan_id, alan_code = make_certificate(
        app, classroom.tenant, classroom.course_id, classroom.ids["learner2"], holder_name="Alan T", pdf=b"%PDF-b"
    )
    teacher = signed_in(app, classroom.tenant, "quizmaster@example.org")
    editor = teacher.get(f"/teach/{classroom.course_id}").get_data(as_text=True)
    assert f'href="/courses/{classroom.course_id}/certificates"' in editor
    listing = f"/courses/{classroom.course_id}/certificates"
    page = teacher.get(listing).get_data(as_text=True)
    assert "Ada Byron" in page and "Alan T" in page and "2 certificates" in page
    found = teacher.get(f"{listing}?q={alan_code.lower()}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert found.startswith('<section id="issued-results">') and "Alan T" in found and "Ada Byron" not in found

    refused = teacher.post(f"{listing}/{ada_id}/revoke", {"reason": ""}, csrf_from=f"{listing}/{ada_id}/revoke")
    assert refused.status_code == 422 and "Give a reason." in refused.get_data(as_text=True)
    revoked = teacher.post(
        f"{listing}/{ada_id}/revoke", {"reason": "Wrong learner"}, csrf_from=f"{listing}/{ada_id}/revoke"
    )
    assert revoked.status_code == 302
    assert "Wrong learner" in api(classroom.tenant).get(f"/verify/{ada_code}").get_data(as_text=True)
    only_revoked = teacher.get(f"{listing}?status=revoked").get_data(as_text=True)
    assert "Ada Byron" in only_revoked and "Alan T" not in only_revoked

    reissued = teacher.post(f"{listing}/{alan_id}/reissue", {}, csrf_from=listing)
    assert reissued.status_code == 302
    assert "now verifies as replaced" in teacher.get(listing).get_data(as_text=True)

    started = teacher.post(f"{listing}/archive", {}, csrf_from=listing)
    assert started.status_code == 302
    progress_path = started.headers["Location"]
    waiting = teacher.get(progress_path).get_data(as_text=True)
    assert 'hx-trigger="every 1s"' in waiting and "<progress" in waiting
    run_jobs(app)
    done = teacher.get(progress_path, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "every 1s" not in done and "Download the ZIP" in done
    link = re.search(r'href="([^"]+/download)"', done).group(1)
    names = zipfile.ZipFile(io.BytesIO(teacher.get(link).get_data())).namelist()
    # Ada's is revoked and Alan's old one replaced: neither is in the ZIP (Alan's re-issue is, once rendered)
    assert not [name for name in names if ada_code in name or alan_code in name]
    assert all(name.startswith("Alan-T-") for name in names)


def test_a_student_cannot_open_a_courses_certificate_list(app, classroom):
    learner = signed_in(app, classroom.tenant, "ada@example.org")
    assert learner.get(f"/courses/{classroom.course_id}/certificates").status_code == 403


def test_my_achievements_shows_the_badges_earned_and_the_progress_towards_the_others(app, classroom):
    teacher = classroom.teacher
    earned = create_badge(teacher, name="Helper", course_id=classroom.course_id)
    given = teacher.post(f"/api/v1/badges/{earned['id']}/award", json={"user_id": classroom.ids["learner"]})
    assert given.status_code in (200, 201), given.get_json()
    create_badge(
        teacher,
        name="Physics finisher",
        course_id=classroom.course_id,
        criteria_strategy="course_completed",
        criteria={"course_id": classroom.course_id},
    )
    page = signed_in(app, classroom.tenant, "ada@example.org").get("/achievements").get_data(as_text=True)
    badges = page[page.index('id="badges-heading"') :]
    assert "Helper" in badges and "Earned" in badges
    assert "Badges you can earn" in badges and "Physics finisher" in badges and "<progress" in badges


def test_a_badge_given_only_by_hand_shows_how_it_is_earned_not_a_progress_bar(app, classroom):
    create_badge(classroom.teacher, name="Helpful neighbour", course_id=classroom.course_id)
    page = signed_in(app, classroom.tenant, "ada@example.org").get("/achievements").get_data(as_text=True)
    earnable = page[page.index("Badges you can earn") :]
    assert "Helpful neighbour" in earnable and "Given by hand" in earnable
    assert "<progress" not in earnable and "0 %" not in earnable
