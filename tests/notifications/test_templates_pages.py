"""The notification template pages (org admins): the types and which are their own, the editor with its preview
(htmx fragment with each problem next to its field), insert buttons that work without JavaScript, save, reset."""

import html
import re

import sqlalchemy as sa

from app.extensions import db
from app.security.actor import Actor
from app.tenancy.context import tenant_context
from blueprints.notifications.models import NotificationTemplate
from blueprints.notifications.template_demo import seed_templates
from blueprints.notifications.template_editor import template_of
from blueprints.users.services import find_user_by_email, principal_for_user
from tests.conftest import make_user
from tests.support.browser import Browser

EDITOR = "/notifications/templates/enrolled"


def signed_in(app, tenant, role="org_admin"):
    email = f"{role}-pages@example.org"
    make_user(app, tenant, role, email=email)
    browser = Browser(app, tenant)
    browser.sign_in(email)
    return browser


def fields_of(page):
    """The editor form's values, as a browser would post them."""
    form = page.split('id="template-form"', 1)[1].split("</form>", 1)[0]
    values = {"csrf_token": re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)}
    values["subject"] = html.unescape(re.search(r'<input[^>]*name="subject"[^>]*value="([^"]*)"', form).group(1))
    body = re.search(r'<textarea[^>]*name="body"[^>]*>(.*?)</textarea>', form, re.S).group(1)
    values["body"] = html.unescape(body).removeprefix("\n")
    values["insert_into"] = "body"
    return values


def saved(app, tenant):
    with tenant_context(tenant, app):
        return [(t.type, t.subject, t.body) for t in db.session.scalars(sa.select(NotificationTemplate))]


def test_an_admin_edits_previews_saves_and_resets_a_type(app, tenant):
    admin = signed_in(app, tenant)
    assert 'href="/notifications/templates"' in admin.get("/settings").get_data(as_text=True)
    index = admin.get("/notifications/templates").get_data(as_text=True)
    assert "Enrolled in a course" in index and "Password changed" in index and "Your own words" not in index

    page = admin.get(EDITOR).get_data(as_text=True)
    values = fields_of(page)
    assert values["subject"] == "You are enrolled in {{ course.title }}"
    assert "The default words (nothing of your own saved yet)" in page
    assert "You are enrolled in Fire safety" in page  # the preview, with the sample
    assert 'aria-label="Insert course.title"' in page and 'value="{{ person.first_name }}"' in page

    values["body"] = "Hello {{ person.first_name }}\n\n{{ course.titel }}"
    fragment = admin.post(f"{EDITOR}/preview", values, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'id="body-problems" class="template-problems" hx-swap-oob="true"' in fragment
    assert "line 3: course has no &#39;titel&#39; (it has: title)" in fragment
    assert 'id="subject-problems" class="template-problems" hx-swap-oob="true"></div>' in fragment

    odd = admin.post(f"{EDITOR}/preview", {**values, "insert_into": "footer"}, headers={"HX-Request": "true"})
    assert odd.status_code == 200 and "The form could not be read: reload the page." in odd.get_data(as_text=True)

    values["body"] = "Hello {{ person.first_name }}, {{ course.title }} awaits."
    fragment = admin.post(f"{EDITOR}/preview", values, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Hello Ada, Fire safety awaits." in fragment and "field-error" not in fragment
    assert saved(app, tenant) == []  # a preview saves nothing

    refused = admin.post(EDITOR, {**values, "action": "save", "body": "{{ nope }}"})
    assert refused.status_code == 422
    assert "line 1: &#39;nope&#39; is undefined" in refused.get_data(as_text=True) and saved(app, tenant) == []

    done = admin.post(EDITOR, {**values, "action": "save"})
    assert done.status_code == 303
    page = admin.get(EDITOR).get_data(as_text=True)
    assert "Saved: notifications of this type use these words from now on." in page
    assert "Your organization's own words" in page and "Hello Ada, Fire safety awaits." in page
    assert saved(app, tenant) == [("enrolled", values["subject"], values["body"])]
    assert '<span class="words-status own">Your own words</span>' in admin.get("/notifications/templates").get_data(
        as_text=True
    )

    token = fields_of(page)["csrf_token"]
    assert admin.post(f"{EDITOR}/reset", {"csrf_token": token}).status_code == 303
    assert saved(app, tenant) == []
    assert "The default words (nothing of your own saved yet)" in admin.get(EDITOR).get_data(as_text=True)


def test_an_insert_button_without_javascript_adds_the_variable_to_the_chosen_field(app, tenant):
    admin = signed_in(app, tenant)
    values = fields_of(admin.get(EDITOR).get_data(as_text=True))
    answer = admin.post(EDITOR, {**values, "insert": "{{ due_date }}", "insert_into": "subject"})
    assert answer.status_code == 200
    assert (
        fields_of(answer.get_data(as_text=True))["subject"] == "You are enrolled in {{ course.title }} {{ due_date }}"
    )
    assert "You are enrolled in Fire safety Tuesday 1 December 2026" in answer.get_data(as_text=True)
    answer = admin.post(EDITOR, {**values, "insert": "{{ url }}"})
    assert fields_of(answer.get_data(as_text=True))["body"].endswith("\n\n{{ url }} {{ url }}")
    assert saved(app, tenant) == []


def test_the_editor_shows_why_saved_words_were_set_aside(app, tenant):
    admin = signed_in(app, tenant)
    with tenant_context(tenant, app):
        db.session.add(
            NotificationTemplate(type="enrolled", subject="Hi", body="{{ x }}", last_error="body: line 1: boom")
        )
        db.session.commit()
    page = admin.get(EDITOR).get_data(as_text=True)
    assert "the default was used instead: <strong>body: line 1: boom</strong>" in page
    assert "Failed once: the default was used." in admin.get("/notifications/templates").get_data(as_text=True)


def test_only_org_admins_reach_the_pages(app, tenant):
    for role in ("branch_manager", "teacher", "student"):
        person = signed_in(app, tenant, role)
        assert person.get("/notifications/templates").status_code == 403
        assert person.get(EDITOR).status_code == 403
    admin = signed_in(app, tenant)
    assert admin.get("/notifications/templates/no_such_type").status_code == 404


def test_the_demo_words_one_type_its_own_way_once(app, tenant):
    make_user(app, tenant, "org_admin", email="admin@demo.example")
    with tenant_context(tenant, app):
        assert len(list(seed_templates("unused"))) == 1
        assert list(seed_templates("unused")) == []
        assert template_of(
            "course_completed", actor=Actor(principal_for_user(find_user_by_email("admin@demo.example").id))
        ).customized
