"""Adding an item in the course editor: a refused item leaves nothing behind; the module is the one meant."""

import re

import sqlalchemy as sa

from app.extensions import db
from app.tenancy.context import tenant_context
from tests.conftest import make_user
from tests.support.browser import Browser


def editor_with_a_module(app, tenant):
    make_user(app, tenant, "teacher", email="teach@example.org")
    teacher = Browser(app, tenant)
    teacher.sign_in("teach@example.org")
    editor = teacher.post("/teach", {"title": "Chemistry", "summary": "Atoms"}, csrf_from="/teach").headers["Location"]
    item = {"form": "item", "kind": "text", "title": "Atoms", "body": "<p>Atoms</p>", "module_id": "0"}
    assert teacher.post(editor, item | {"module_title": "Unit 1"}, csrf_from=editor).status_code == 302
    unit = re.search(r'<option value="(\d+)">Unit 1</option>', teacher.get(editor).get_data(as_text=True)).group(1)
    return teacher, editor, unit


def outline(app, tenant):
    from blueprints.courses.models import ContentItem, CourseModule

    with tenant_context(tenant, app):
        rows = db.session.execute(
            sa.select(CourseModule.title, ContentItem.title)
            .join(ContentItem, ContentItem.module_id == CourseModule.id, isouter=True)
            .order_by(CourseModule.position, ContentItem.position)
        )
        return [tuple(row) for row in rows]


def test_a_link_with_a_bad_url_shows_the_error_and_leaves_no_item_or_module(app, tenant):
    teacher, editor, unit = editor_with_a_module(app, tenant)
    link = {"form": "item", "kind": "link", "title": "Periodic table", "body": "ftp://example.org/table"}
    refused = teacher.post(editor, link | {"module_id": unit, "module_title": ""}, csrf_from=editor)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "An https:// URL." in page
    assert "Periodic table</a>" not in page  # the outline on the error page shows no phantom item
    into_new = teacher.post(editor, link | {"module_id": "0", "module_title": "Unit 2"}, csrf_from=editor)
    assert into_new.status_code == 422
    assert outline(app, tenant) == [("Unit 1", "Atoms")]
    assert "Periodic table" not in teacher.get(editor).get_data(as_text=True)


def test_a_typed_new_module_wins_over_the_selected_one(app, tenant):
    teacher, editor, unit = editor_with_a_module(app, tenant)
    item = {"form": "item", "kind": "link", "title": "Table", "body": "https://example.org/table"}
    assert (
        teacher.post(editor, item | {"module_id": unit, "module_title": "Unit 2"}, csrf_from=editor).status_code == 302
    )
    assert outline(app, tenant) == [("Unit 1", "Atoms"), ("Unit 2", "Table")]


def test_no_module_at_all_is_a_message_next_to_the_field_in_plain_words(app, tenant):
    teacher, editor, _unit = editor_with_a_module(app, tenant)
    item = {
        "form": "item",
        "kind": "text",
        "title": "Bonds",
        "body": "<p>Bonds</p>",
        "module_id": "0",
        "module_title": " ",
    }
    refused = teacher.post(editor, item, csrf_from=editor)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert 'id="module_title-errors" class="field-error">Choose a module in the list, or type the name' in page
    assert "module_id" not in re.sub(r'(id|name|for)="module_id[^"]*"', "", page)
    assert outline(app, tenant) == [("Unit 1", "Atoms")]
