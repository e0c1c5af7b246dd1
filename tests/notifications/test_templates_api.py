"""`/api/v1/notifications/templates`: org admins word each type their own way; a template is refused with the line
and reason of each problem (syntax, a variable or attribute the type does not have, the sandbox, cost bombs, sizes),
previewed with the type's sample, used by `notify` in its organization only, and set aside for the default (with
`last_error`) when it fails on real data."""

from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.extensions import db
from app.tenancy.context import tenant_context
from blueprints.notifications.models import Notification, NotificationTemplate
from blueprints.notifications.producing import notify
from blueprints.notifications.template_editor import check, common_variables_markdown, variables_markdown
from blueprints.notifications.types import TYPES
from tests.conftest import make_user
from tests.support.statements import recorded_statements

TEMPLATES = "/api/v1/notifications/templates"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "notifications.md"


def _admin(api, tenant, login_as):
    return api(tenant, login_as(tenant, "org_admin"))


def _problems(response):
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    return error["details"]


GOOD_BODY = "Hello {{ person.first_name }},\n\n{{ course.title }} is yours.\n\n{{ url }}"

# (what, type, subject, body, the part refused, its message starts with)
REFUSALS = [
    ("a syntax error", "enrolled", "Hi", "Hello\n\n{{ course.title }\n", "body", "line 3: unexpected '}'"),
    ("an unknown variable", "enrolled", "Hi", "Hello\n{{ foo }}", "body", "line 2: 'foo' is undefined"),
    ("an unknown variable in the subject", "enrolled", "Hi\n{{ bar }}", GOOD_BODY, "subject", "line 2: 'bar' is"),
    ("a key its dict lacks", "enrolled", "Hi", "A\nB\n{{ course.price }}", "body", "line 3: course has no 'price'"),
    ("a key by subscript", "badge_earned", "Hi", "{{ badge['colour'] }}", "body", "line 1: badge has no 'colour'"),
    ("an attribute of a number", "due_soon", "Hi", "{{ days.real }}", "body", "line 1: days is a number"),
    ("another type's variable", "badge_earned", "{{ course.title }}", GOOD_BODY, "subject", "line 1: 'course' is"),
    ("Python's internals", "enrolled", "Hi", "{{ ''.__class__ }}", "body", "line 1: access to attribute '__class__'"),
    ("internals of a variable", "enrolled", "Hi", "{{ url.__len__() }}", "body", "line 1: url is text"),
    ("a huge range", "enrolled", "Hi", "{{ range(10**9)|list }}", "body", "line 1: range() gives at most 10000"),
    (
        "nested loops",
        "enrolled",
        "Hi",
        "{% set r = range(5000) %}\n{% for a in r %}{% for b in r %}{% endfor %}{% endfor %}",
        "body",
        "line 2: the template loops more than 10000 times",
    ),
    ("a string bomb", "enrolled", "Hi", "{{ 'x' * 10**9 }}", "body", "line 1: the template builds a value longer"),
    (
        "doubling with ~",
        "enrolled",
        "Hi",
        "{% set a = 'x' * 20000 %}\n{% set b = a ~ a %}{{ b }}",
        "body",
        "line 2: the template builds a value longer",
    ),
    ("a number bomb", "enrolled", "Hi", "{{ 9 ** 999 }}", "body", "line 1: the template builds a number of more"),
    (
        "lists doubling by sharing",
        "enrolled",
        "Hi",
        "{% set l0 = ['x' * 10000] %}\n"
        + "".join(f"{{% set l{i + 1} = [l{i}, l{i}] %}}" for i in range(20))
        + "\n{{ l20 }}",
        "body",
        "line 2: the template builds a value longer",
    ),
    ("a list of lists printed", "enrolled", "Hi", "{{ [[1] * 10000] * 20000 }}", "body", "line 1: the template builds"),
    ("a list of lists as text", "enrolled", "Hi", "{{ ([[1] * 9000] * 3)|string }}", "body", "line 1: the template"),
    ("sum of lists", "enrolled", "Hi", "{{ [[1], [2]]|sum(start=[]) }}", "body", "line 1: No filter named 'sum'"),
    ("a padding method", "enrolled", "Hi", "{{ 'a'.ljust(10**9) }}", "body", "line 1: access to attribute 'ljust'"),
    ("a variable's padding", "enrolled", "Hi", "{{ url.ljust(10**9) }}", "body", "line 1: url is text: 'ljust' is"),
    ("str.format", "enrolled", "Hi", "{{ '{:999999999}'.format(1) }}", "body", "line 1: access to attribute 'format'"),
    ("% formatting", "enrolled", "Hi", "{{ '%0999999999d' % 1 }}", "body", "line 1: formatting text with %"),
    ("a padding filter", "enrolled", "Hi", "\n{{ url|center(10**9) }}", "body", "line 2: No filter named 'center'"),
    ("lipsum", "enrolled", "Hi", "{{ lipsum(10**6) }}", "body", "line 1: 'lipsum' is undefined"),
    ("a changed context", "enrolled", "Hi", "{{ course.update({}) }}", "body", "line 1: course has no 'update'"),
    (
        "a changed context under another name",
        "enrolled",
        "Hi",
        "{% set c = course %}{{ c.update({'title': 'x'}) }}",
        "body",
        "line 1: access to attribute 'update' of 'dict'",
    ),
    (
        "too much output",
        "enrolled",
        "Hi",
        "{% for i in range(3000) %}0123456789{% endfor %}",
        "body",
        "the template writes more than 20000 characters",
    ),
    ("a macro", "enrolled", "Hi", "{% macro f() %}{% endmacro %}", "body", "line 1: macros are not available"),
    (
        "a filter block",
        "enrolled",
        "Hi",
        "\n{% filter upper %}{% for i in range(9000) %}{{ 'x' * 20000 }}{% endfor %}{% endfilter %}",
        "body",
        "line 2: filter blocks are not available",
    ),
    ("a set block", "enrolled", "Hi", "{% set x %}{{ url }}{% endset %}{{ x }}", "body", "line 1: {% set %} blocks"),
    (
        "parentheses by the thousand",
        "enrolled",
        "Hi",
        "{{ " + "(" * 3000 + "1" + ")" * 3000 + " }}",
        "body",
        "It nests",
    ),
    ("a long chain of +", "enrolled", "Hi", "{{ 1" + " + 1" * 4000 + " }}", "body", "It nests more than 40 levels"),
    ("ifs in ifs", "enrolled", "Hi", "{% if 1 %}\n" * 45 + "x" + "{% endif %}" * 45, "body", "line 41: it nests more"),
    (
        "a division by zero",
        "due_soon",
        "Hi",
        "A\n{{ days // 0 }}",
        "body",
        "line 2: integer division or modulo by zero",
    ),
    ("a long subject", "enrolled", "{{ course.title * 30 }}", GOOD_BODY, "subject", "The subject is 330 characters"),
    ("a subject source too long", "enrolled", "x" * 301, GOOD_BODY, "subject", "At most 300 characters (301 given)"),
    ("a body source too long", "enrolled", "Hi", "x" * 20_001, "body", "At most 20000 characters"),
    ("an empty subject", "enrolled", "  ", GOOD_BODY, "subject", "The subject is empty."),
    ("a subject empty once rendered", "enrolled", "{% if false %}x{% endif %}", GOOD_BODY, "subject", "The subject is"),
    ("a body empty once rendered", "enrolled", "Hi", "{% if false %}x{% endif %}\n", "body", "The body is empty with"),
]


@pytest.mark.parametrize(
    ("type_key", "subject", "body", "part", "message"),
    [case[1:] for case in REFUSALS],
    ids=[case[0] for case in REFUSALS],
)
def test_every_refusal_names_the_part_its_line_and_reason_and_nothing_is_saved(
    app, api, tenant, login_as, type_key, subject, body, part, message
):
    admin = _admin(api, tenant, login_as)
    data = {"type": type_key, "subject": subject, "body": body}
    details = _problems(admin.post(TEMPLATES, json=data))
    assert any(problem.startswith(message) for problem in details[part]), details
    assert _problems(admin.post(f"{TEMPLATES}/preview", json=data)) == details
    with tenant_context(tenant, app):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(NotificationTemplate)) == 0


def test_an_admin_saves_replaces_previews_lists_and_resets_a_template(api, tenant, login_as):
    admin = _admin(api, tenant, login_as)
    listed = admin.get(TEMPLATES).get_json()["data"]
    assert [row["type"] for row in listed][:3] == ["enrolled", "due_soon", "overdue"]
    enrolled = listed[0]
    assert not enrolled["customized"] and enrolled["subject"] is None and enrolled["last_error"] is None
    assert enrolled["default_subject"] == "You are enrolled in {{ course.title }}"
    variables = {v["name"]: v for v in enrolled["variables"]}
    assert variables["course"]["keys"] == ["title"] and variables["course"]["description"] == "the course: title"
    assert set(variables) == {"person", "organization", "url", "course", "due_date"}

    words = {"type": "enrolled", "subject": "Welcome to {{ course.title }}!", "body": "Hi {{ person.first_name }}."}
    preview = admin.post(f"{TEMPLATES}/preview", json={**words, "body": "Hi <b>{{ person.first_name }}</b>."})
    assert preview.status_code == 200
    shown = preview.get_json()["data"]
    assert (shown["subject"], shown["text"]) == ("Welcome to Fire safety!", "Hi <b>Ada</b>.")
    # the e-mail in the organization's look, the text escaped (it is plain text), a button to the sample's link
    assert ">Welcome to Fire safety!</h1>" in shown["html"] and "Hi &lt;b&gt;Ada&lt;/b&gt;." in shown["html"]
    assert f"{tenant.name}</p>" in shown["html"] and 'href="https://northwind.tessera.example/learn"' in shown["html"]
    assert "Stop these e-mails" not in shown["html"]
    assert admin.get(f"{TEMPLATES}/enrolled").get_json()["data"]["customized"] is False  # a preview saves nothing

    created = admin.post(TEMPLATES, json=words)
    assert created.status_code == 201 and created.get_json()["data"]["subject"] == words["subject"]
    replaced = admin.post(TEMPLATES, json={**words, "subject": "Enrolled: {{ course.title }}"})
    assert replaced.status_code == 200
    assert admin.get(f"{TEMPLATES}/enrolled").get_json()["data"]["subject"] == "Enrolled: {{ course.title }}"
    assert [row["type"] for row in admin.get(TEMPLATES).get_json()["data"] if row["customized"]] == ["enrolled"]

    reset = admin.delete(f"{TEMPLATES}/enrolled")
    assert reset.status_code == 200 and reset.get_json()["data"] == {"type": "enrolled", "customized": False}
    assert admin.get(f"{TEMPLATES}/enrolled").get_json()["data"]["customized"] is False
    assert admin.delete(f"{TEMPLATES}/enrolled").status_code == 200  # already the default: nothing to remove
    assert admin.delete(f"{TEMPLATES}/no_such_type").status_code == 404
    assert admin.get(f"{TEMPLATES}/no_such_type").status_code == 404
    unknown = admin.post(TEMPLATES, json={**words, "type": "no_such_type"})
    assert unknown.status_code == 422 and "type" in unknown.get_json()["error"]["details"]


def test_only_org_admins_and_their_keys_reach_templates(api, tenant, login_as):
    words = {"type": "enrolled", "subject": "Hi", "body": "Hello"}
    for role in ("branch_manager", "teacher", "student"):
        client = api(tenant, login_as(tenant, role))
        assert client.get(TEMPLATES).status_code == 403
        assert client.post(TEMPLATES, json=words).status_code == 403
        assert client.post(f"{TEMPLATES}/preview", json=words).status_code == 403
        assert client.delete(f"{TEMPLATES}/enrolled").status_code == 403
    assert api(tenant).get(TEMPLATES).status_code == 401


def _rows(app, tenant):
    with tenant_context(tenant, app):
        rows = db.session.scalars(sa.select(Notification).order_by(Notification.user_id)).all()
        return [(row.subject, row.body) for row in rows]


def test_notify_uses_an_organizations_template_there_and_nowhere_else(app, api, make_tenant, login_as):
    ours, theirs = make_tenant(), make_tenant()
    admin = _admin(api, ours, login_as)
    words = {"type": "enrolled", "subject": "Welcome aboard {{ course.title }}", "body": "{{ person.first_name }}!"}
    assert admin.post(TEMPLATES, json=words).status_code == 201
    context = {"course": {"title": "Algebra"}, "due_date": ""}
    for tenant in (ours, theirs):
        learner = make_user(app, tenant, "student", first_name="Noor", last_name="K")
        with tenant_context(tenant, app):
            assert notify("enrolled", [learner], source_key="e1", context=context) == 1
            db.session.commit()
    assert _rows(app, ours) == [("Welcome aboard Algebra", "Noor!")]
    assert _rows(app, theirs) == [("You are enrolled in Algebra", "Hello Noor,\n\nyou are now enrolled in Algebra.")]


def test_a_template_that_fails_on_real_data_gives_way_to_the_default_and_says_why(app, api, tenant, login_as):
    admin = _admin(api, tenant, login_as)
    # the sample's due date has a second word; a course without a due date has none
    words = {"type": "enrolled", "subject": "{{ course.title }}", "body": "Due on the\n{{ due_date.split()[1] }}."}
    assert admin.post(TEMPLATES, json=words).status_code == 201
    late, free = (make_user(app, tenant, "student", first_name=name) for name in ("Late", "Free"))
    with tenant_context(tenant, app):
        notify("enrolled", [late], source_key="e1", context={"course": {"title": "Fire"}, "due_date": "Monday 7 Dec"})
        notify("enrolled", [free], source_key="e2", context={"course": {"title": "Fire"}, "due_date": ""})
        db.session.commit()
    assert _rows(app, tenant) == [
        ("Fire", "Due on the\n7."),
        ("You are enrolled in Fire", "Hello Free,\n\nyou are now enrolled in Fire."),
    ]
    state = admin.get(f"{TEMPLATES}/enrolled").get_json()["data"]
    assert state["last_error"] == "body: line 2: list object has no element 1"
    assert state["last_error_at"] is not None
    assert admin.post(TEMPLATES, json={**words, "body": "Due {{ due_date }}."}).status_code == 200
    assert admin.get(f"{TEMPLATES}/enrolled").get_json()["data"]["last_error"] is None  # new words, no old failure


def test_a_template_failing_for_many_people_is_written_down_once_and_everyone_is_told(app, api, tenant, login_as):
    admin = _admin(api, tenant, login_as)
    words = {"type": "due_soon", "subject": "{{ course.title }}", "body": "{{ progress // days }} % a day"}
    assert admin.post(TEMPLATES, json=words).status_code == 201  # the sample has 3 days left
    people = [make_user(app, tenant, "student") for _ in range(3)]
    context = {"course": {"title": "Fire"}, "due_date": "today", "days": 0, "progress": 10}
    with tenant_context(tenant, app), recorded_statements(app, tenant) as recorded:
        assert notify("due_soon", people, source_key="d1", context=context) == 3
        db.session.commit()
    assert {subject for subject, _body in _rows(app, tenant)} == {"Fire is due in 0 days"}
    updates = [
        sql
        for sql, _parameters in recorded.statements
        if sql.lstrip().upper().startswith("UPDATE NOTIFICATION_TEMPLATES")
    ]
    assert len(updates) == 1
    last_error = admin.get(f"{TEMPLATES}/due_soon").get_json()["data"]["last_error"]
    assert last_error == "body: line 1: integer division or modulo by zero (ZeroDivisionError)"


TOKENS = st.sampled_from(
    (
        *("{{", "}}", "{%", "%}", "{#", "#}", " ", "\n", "course", ".", "title", "(", ")", "[", "]", "'", '"', "|"),
        *("*", "**", "~", "if", "for", "in", "endif", "endfor", "set", "=", "range", "9", "0", "person", "x"),
        *("__class__", "upper", "join", "loop", "else", ",", "-", "/", "%", "macro", "not", "and", "None", "raw"),
    )
)
SOURCES = st.one_of(st.lists(TOKENS, max_size=30).map("".join), st.text(max_size=60))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(subject=SOURCES, body=SOURCES, type_key=st.sampled_from(["enrolled", "due_soon", "no_such", ""]))
def test_no_input_makes_the_preview_or_save_fail_with_a_server_error(api, tenant, login_as, subject, body, type_key):
    admin = _admin(api, tenant, login_as)
    for path in (f"{TEMPLATES}/preview", TEMPLATES):
        response = admin.post(path, json={"type": type_key, "subject": subject, "body": body})
        assert response.status_code in (200, 201, 422), (subject, body, response.get_json())
        assert response.get_json()["success"] is (response.status_code < 400)


def test_the_documented_variables_are_the_types_own():
    documented = DOCS.read_text()
    assert variables_markdown() in documented
    assert common_variables_markdown() in documented


@pytest.mark.parametrize("type_key", list(TYPES))
def test_every_default_passes_the_editors_checks(type_key):
    """The editor refuses nothing the app itself writes: each type's default words pass, with the sample."""
    kind = TYPES[type_key]
    problems, shown = check(type_key, kind.subject, kind.body)
    assert problems == {} and shown.subject and shown.text
