"""Badge pages: a teacher makes a badge from the editor (criteria fields per strategy, the live preview), gives
it to a learner found by search, revokes it with a reason; the award's page and its downloads."""

import io
import re

from tests.support.badges import badge_course
from tests.support.browser import Browser


def _csrf(page):
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def test_a_teacher_makes_gives_and_revokes_a_badge_from_the_pages(app, school):
    tenant = school["tenant"]
    course_id, _items, quiz_id = badge_course(app, school)
    page = Browser(app, tenant)
    page.sign_in("teacher@example.org")

    editor = page.get(f"/badges/new?course_id={course_id}")
    assert editor.status_code == 200
    html = editor.get_data(as_text=True)
    assert 'name="criteria-course_id"' in html and "<svg" in html  # the course's strategy, the preview

    fields = page.get("/badges/criteria-fields?criteria_strategy=assessment_score", headers={"HX-Request": "true"})
    assert 'name="criteria-quiz_id"' in fields.get_data(
        as_text=True
    ) and 'name="criteria-min_percent"' in fields.get_data(as_text=True)
    preview = page.get("/badges/preview?colour=%23000000&accent=%23ffffff&initials=zz")
    assert ">ZZ<" in preview.get_data(as_text=True) and 'fill="#ffffff"' in preview.get_data(as_text=True)

    refused = page.post(
        "/badges/new",
        {
            "csrf_token": _csrf(html),
            "name": "Ace",
            "course_id": course_id,
            "status": "active",
            "criteria_strategy": "assessment_score",
            "criteria-quiz_id": str(quiz_id),
            "criteria-min_percent": "150",
            "colour": "#1d4ed8",
            "accent": "#f59e0b",
        },
    )
    assert refused.status_code == 422 and "A percent above 0, at most 100." in refused.get_data(as_text=True)

    made = page.post(
        "/badges/new",
        {
            "csrf_token": _csrf(html),
            "name": "Helper",
            "course_id": course_id,
            "status": "active",
            "criteria_strategy": "manual",
            "colour": "#0f766e",
            "accent": "#fbbf24",
            "initials": "hp",
        },
    )
    assert made.status_code == 302, made.get_data(as_text=True)
    badge_id = int(made.headers["Location"].rstrip("/").split("/")[-2])
    edit = page.get(f"/badges/{badge_id}/edit").get_data(as_text=True)
    assert 'value="Algebra" readonly' in edit and "Helper" in edit
    renamed = page.post(
        f"/badges/{badge_id}/edit",
        {
            "csrf_token": _csrf(edit),
            "name": "Helper of the week",
            "status": "active",
            "criteria_strategy": "manual",
            "colour": "#0f766e",
            "accent": "#fbbf24",
            "initials": "HW",
        },
    )
    assert renamed.status_code == 302
    uploaded = page.post(
        f"/badges/{badge_id}/image",
        {
            "csrf_token": _csrf(edit),
            "image": (io.BytesIO(b"<svg xmlns='http://www.w3.org/2000/svg'><script>x</script></svg>"), "x.svg"),
        },
        content_type="multipart/form-data",
    )
    assert uploaded.status_code == 302
    assert "image.svg" in page.get(f"/badges/{badge_id}/edit").get_data(as_text=True)
    listed = page.get("/badges").get_data(as_text=True)
    assert "Helper of the week" in listed and f"/badges/{badge_id}/edit" in listed

    awards_page = page.get(f"/badges/{badge_id}")
    assert awards_page.status_code == 200
    found = page.get(f"/badges/{badge_id}/learners?q=s1", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "s1@example.org" in found and "s0@example.org" not in found
    assert "Nobody" in page.get(f"/badges/{badge_id}/learners?q=zzz").get_data(as_text=True)
    given = page.post(
        f"/badges/{badge_id}/award",
        {
            "csrf_token": _csrf(awards_page.get_data(as_text=True)),
            "user_id": school["students"][1],
            "reason": "Helped a friend",
        },
    )
    assert given.status_code == 302
    rows = page.get(f"/badges/{badge_id}").get_data(as_text=True)
    assert "Helped a friend" in rows and "valid" in rows
    award_link = re.search(r'href="(/badges/awards/[0-9a-f]{32})"', rows).group(1)

    public = Browser(app, tenant).get(award_link)  # anyone with the link
    text = public.get_data(as_text=True)
    assert public.status_code == 200 and "Helper" in text and "Valid" in text
    assert "s1@example.org" not in text and "credential.jwt" not in text  # no e-mail; the credential is the holder's
    assert "baked.png" in text and "baked.svg" in text

    holder = Browser(app, tenant)
    holder.sign_in("s1@example.org")
    mine = holder.get(award_link).get_data(as_text=True)
    assert "to you" in mine and "credential.jwt" in mine
    jwt_file = holder.get(f"{award_link}/credential.jwt")
    assert jwt_file.status_code == 200 and jwt_file.get_data(as_text=True).count(".") == 2
    other = Browser(app, tenant)
    other.sign_in("s0@example.org")
    assert other.get(f"{award_link}/credential.jwt").status_code == 404

    revoked = page.post(
        f"/badges/{badge_id}/revoke",
        {"csrf_token": _csrf(rows), "user_id": school["students"][1], "reason": "Given by mistake"},
    )
    assert revoked.status_code == 302
    assert "Revoked on" in Browser(app, tenant).get(award_link).get_data(as_text=True)
    assert "Given by mistake" in page.get(f"/badges/{badge_id}").get_data(as_text=True)

    learner_menu = holder.get("/badges")
    assert learner_menu.status_code == 200 and "Helper" in learner_menu.get_data(as_text=True)
    assert holder.get(f"/badges/{badge_id}").status_code == 403  # managing it is the staff's
    assert holder.get("/badges/new").status_code == 403


def test_a_new_badges_criteria_fields_are_those_of_the_strategy_the_select_shows(app, school):
    tenant = school["tenant"]
    badge_course(app, school)
    page = Browser(app, tenant)
    page.sign_in("teacher@example.org")
    html = page.get("/badges/new").get_data(as_text=True)
    shown = re.search(r'<select[^>]*name="criteria_strategy".*?</select>', html, re.S).group(0)
    selected = re.search(r"<option[^>]*\bselected\b[^>]*>", shown) or re.search(r"<option[^>]*>", shown)
    assert 'value="course_completed"' in selected.group(0)  # what the select shows: chosen, or else the first
    assert 'name="criteria-course_id"' in html  # not the manual strategy's "only its managers give it"
