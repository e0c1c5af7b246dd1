"""The template pages (org admins): the list, a new template, the editor with its live preview; and a course's
certificate page (its managers)."""

import re

from tests.conftest import make_user, user_token
from tests.support.browser import Browser
from tests.support.certificates import pdf_text
from tests.support.courses import make_course


def signed_in(app, tenant, role, email):
    make_user(app, tenant, role, email=email)
    browser = Browser(app, tenant)
    browser.sign_in(email)
    return browser


def fields_of(html):
    """The editor form's values, as a browser would post them."""
    form = html.split('id="template-form"', 1)[1].split("</form>", 1)[0]
    values = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form))
    for name, text in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', form, re.S):
        values[name] = (
            text.replace("&lt;", "<").replace("&gt;", ">").replace("&#34;", '"').replace("&amp;", "&").strip("\n")
        )
    values.update(dict(re.findall(r'<select[^>]*name="([^"]+)".*?<option selected value="([^"]*)"', form, re.S)))
    values.pop("is_default", None)
    return values


def test_an_admin_creates_a_template_and_previews_changes_before_saving(app, tenant):
    admin = signed_in(app, tenant, "org_admin", "boss@example.org")
    index = admin.get("/settings/certificates")
    assert index.status_code == 200 and "Classic (shipped)" in index.get_data(as_text=True)
    created = admin.post("/settings/certificates", {"name": "Gold"}, csrf_from="/settings/certificates")
    assert created.status_code == 303
    editor_url = created.headers["Location"]
    page = admin.get(editor_url).get_data(as_text=True)
    assert 'type="application/pdf"' in page and "Open the preview" in page and "learner_name" in page

    values = fields_of(page)
    values["html"] = "<h1>Gold for {{ learner_name }}</h1>"
    preview = admin.post(f"{editor_url}/preview", values, headers={"HX-Request": "true"})
    fragment = preview.get_data(as_text=True)
    pdf_url = re.search(r'<object data="([^"]+)"', fragment).group(1)
    pdf = admin.get(pdf_url)
    assert pdf.headers["Content-Type"] == "application/pdf" and "Gold for Zoë" in pdf_text(pdf.data)
    saved_pdf = admin.get(re.search(r'<object data="([^"]+)"', page).group(1))
    assert "Gold for" not in pdf_text(saved_pdf.data)  # not saved yet

    broken = admin.post(f"{editor_url}/preview", {**values, "html": "{% if %}"}, headers={"HX-Request": "true"})
    assert "Line 1:" in broken.get_data(as_text=True)

    saved = admin.post(editor_url, values)
    assert saved.status_code == 200 and "Saved." in saved.get_data(as_text=True)
    assert "Gold for Zoë" in pdf_text(admin.get(re.search(r'<object data="([^"]+)"', page).group(1)).data)


def test_teachers_cannot_open_the_template_pages(app, tenant):
    teacher = signed_in(app, tenant, "teacher", "t@example.org")
    assert teacher.get("/settings/certificates").status_code == 403


def test_a_course_manager_sets_the_certificate_of_their_course(app, api, tenant):
    teacher_id = make_user(app, tenant, "teacher", email="tess@example.org")
    course_id, _items = make_course(api(tenant, user_token(app, tenant, teacher_id, "teacher")), title="Ethics")
    teacher = Browser(app, tenant)
    teacher.sign_in("tess@example.org")
    assert f'/courses/{course_id}/certificate">Certificate</a>' in teacher.get(f"/teach/{course_id}").get_data(
        as_text=True
    )
    url = f"/courses/{course_id}/certificate"
    page = teacher.get(url)
    assert page.status_code == 200 and "Completing this course gives a certificate" in page.get_data(as_text=True)
    saved = teacher.post(url, {"enabled": "y", "template_id": "0", "valid_months": "24"}, csrf_from=url)
    assert saved.status_code == 200 and "Saved." in saved.get_data(as_text=True)
    assert 'value="24"' in teacher.get(url).get_data(as_text=True)
    refused = teacher.post(url, {"enabled": "y", "template_id": "0", "valid_months": "0"}, csrf_from=url)
    assert refused.status_code == 422
    student = signed_in(app, tenant, "student", "s@example.org")
    assert student.get(url).status_code in (403, 404)


def test_a_course_manager_issues_a_certificate_by_hand_from_the_course_page(app, api, tenant):
    teacher_id = make_user(app, tenant, "teacher", email="tess@example.org")
    teacher_api = api(tenant, user_token(app, tenant, teacher_id, "teacher"))
    course_id, _items = make_course(teacher_api, title="Ethics")
    learner_id = make_user(app, tenant, "student", email="lea@example.org", first_name="Léa", last_name="Dupont")
    teacher_api.post(f"/api/v1/courses/{course_id}/enrollments", json={"user_ids": [learner_id]})
    teacher = Browser(app, tenant)
    teacher.sign_in("tess@example.org")
    url = f"/courses/{course_id}/certificate"
    assert "Léa Dupont (lea@example.org)" in teacher.get(url).get_data(as_text=True)

    issued = teacher.post(f"{url}/issue", {"issue-user_id": str(learner_id)}, csrf_from=url)
    assert issued.status_code == 303
    page = teacher.get(issued.headers["Location"]).get_data(as_text=True)
    assert "Issued: certificate" in page and "Every learner of this course holds a certificate of it." in page
    again = teacher.post(f"{url}/issue", {"issue-user_id": str(learner_id)}, csrf_from=url)
    assert again.status_code == 422  # not among the choices any more


def test_the_editor_names_a_cost_bomb_under_the_html_with_its_line(app, tenant):
    admin = signed_in(app, tenant, "org_admin", "boss@example.org")
    created = admin.post("/settings/certificates", {"name": "Wide"}, csrf_from="/settings/certificates")
    editor_url = created.headers["Location"]
    values = {**fields_of(admin.get(editor_url).get_data(as_text=True)), "html": "<p>Hi</p>\n{{ 'a'.ljust(50000000) }}"}
    preview = admin.post(f"{editor_url}/preview", values, headers={"HX-Request": "true"})
    assert "Line 2: access to attribute &#39;ljust&#39; of &#39;str&#39; object is unsafe." in preview.get_data(
        as_text=True
    )
    saved = admin.post(editor_url, values)
    assert saved.status_code == 422 and "Line 2: access to attribute" in saved.get_data(as_text=True)
