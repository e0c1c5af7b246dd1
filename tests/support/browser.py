"""Browsers for tests: a test client on one host that fills in CSRF tokens (`Browser`), and the browser
suite's set-up: a live server for an app, one headless Chromium, and page checks.

`tests/conftest.py` loads this module as a plugin, so every test module has the `live_server` and `browser` fixtures.
"""

import functools
import os
import re
import threading
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright
from werkzeug.serving import make_server

from tests.conftest import PASSWORD, make_user, user_token
from tests.support.services import free_port

# Debian's headless shell: the same Blink and V8 as `chromium`, without the desktop browser around them, and
# what Playwright itself launches for headless runs. A page load costs about a third less CPU than in
# `chromium --headless`, which matters to the crawler's 700 visits.
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium-headless-shell")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]


class Browser:
    """A test client on one host that reads CSRF tokens from the forms it is shown."""

    def __init__(self, app, tenant):
        self.client = app.test_client()
        self.host = f"{tenant.slug}.localhost:5000" if tenant else "localhost:5000"

    def get(self, path, **kwargs):
        return self.client.get(path, headers={"Host": self.host, **kwargs.pop("headers", {})}, **kwargs)

    def post(self, path, data=None, csrf_from=None, **kwargs):
        data = dict(data or {})
        if csrf_from is not None:
            page = self.get(csrf_from).get_data(as_text=True)
            data["csrf_token"] = re.search(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        return self.client.post(path, data=data, headers={"Host": self.host, **kwargs.pop("headers", {})}, **kwargs)

    def sign_in(self, email, password=PASSWORD, next_path=None):
        path = "/login" + (f"?next={next_path}" if next_path else "")
        return self.post(path, {"email": email, "password": password}, csrf_from="/login")


AXE_SOURCE = Path(__file__).with_name("vendor").joinpath("axe.min.js")
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def serve(app):
    """Serve `app` on a free loopback port in a thread; returns (port, stop)."""
    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return port, server.shutdown


@pytest.fixture(scope="module")
def live_server(app):
    port, stop = serve(app)
    yield port
    stop()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def load_axe_on_every_page(context):
    """axe-core in every document of this browser context, from its start (see accessibility_violations).

    For a context that visits many pages: the source is handed to Chromium once, not per page (evaluating
    650 kB into each page cost more than axe's run on a small one)."""
    context.add_init_script(path=AXE_SOURCE)


def accessibility_violations(page, impacts=("serious", "critical")):
    """axe-core's WCAG 2.2 AA violations of these impacts, as 'rule (impact): targets - help' lines.

    axe-core is evaluated into the page through the DevTools protocol, which the page's CSP does not govern
    (unless the page's context already loads it, load_axe_on_every_page)."""
    if not page.evaluate("typeof axe === 'object'"):
        page.evaluate(_axe_source())
    return page.evaluate(
        """async ([tags, impacts]) => {
            const result = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
            return result.violations.filter(v => impacts.includes(v.impact)).map(v =>
                `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(", ")}`
                + `${v.nodes.length > 3 ? ` and ${v.nodes.length - 3} more` : ""} - ${v.help}`);
        }""",
        [WCAG_22_AA, list(impacts)],
    )


@functools.cache
def _axe_source():
    return AXE_SOURCE.read_text()


# Elements are "outside" when they stick out of the viewport sideways and no ancestor clips or scrolls
# them (a table in a scroll container is fine: the container is what is measured).
LAYOUT_PROBLEMS_JS = """() => {
    const width = window.innerWidth, problems = [];
    const overflow = document.documentElement.scrollWidth;
    if (overflow > width) problems.push(`page is ${overflow}px wide in a ${width}px viewport`);
    const clipped = el => {
        for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
            const s = getComputedStyle(a);
            if (s.overflowX !== "visible" || s.display === "none") return true;
            if (a.tagName === "DETAILS" && !a.open && el.closest("summary") === null) return true;
        }
        return false;
    };
    const describe = el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
        + (el.classList.length ? "." + [...el.classList].join(".") : "")
        + ` "${(el.innerText || el.getAttribute("aria-label") || "").trim().slice(0, 30)}"`;
    for (const el of document.body.querySelectorAll("*")) {
        const r = el.getBoundingClientRect();
        if (r.width === 0 || r.height === 0) continue;
        const s = getComputedStyle(el);
        if (s.visibility === "hidden" || s.position === "absolute" && s.clip !== "auto") continue;
        if ((r.right > width + 1 || r.left < -1) && !clipped(el)) {
            problems.push(`${describe(el)} spans ${Math.round(r.left)}..${Math.round(r.right)}px`);
            if (problems.length > 5) break;
        }
    }
    return problems;
}"""


def layout_problems(page):
    """Horizontal overflow of the page and visible elements outside the viewport, as readable lines."""
    return page.evaluate(LAYOUT_PROBLEMS_JS)


def open_signed_in(browser, live_server, tenant, email, path, width=375, height=740):
    """A new page in Chromium, signed in through the real form and landed on `path`."""
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(f"http://{tenant.slug}.localhost:{live_server}/login?next={path}")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**{path}")
    return page


def lesson_opened(page, title):
    """Wait for the lesson, and for the page's deferred scripts: a click on "Mark complete" before htmx has
    loaded is a plain form post, which (rightly) leads to the course summary instead of the swapped-in tick."""
    expect(page.locator("#lesson-title")).to_have_text(title)
    page.wait_for_load_state("load")


def published_course(app, api, tenant, title, items, learner_email, learner_name="Sam"):
    """A teacher's published course with these items (dicts for POST content) and one enrolled learner."""
    teacher_id = make_user(app, tenant, "teacher", email="teacher@example.org")
    student_id = make_user(app, tenant, "student", email=learner_email, first_name=learner_name)
    with app.app_context():
        teacher = api(tenant, user_token(app, tenant, teacher_id, "teacher"))
    course_id = teacher.post("/api/v1/courses", json={"title": title}).get_json()["data"]["id"]
    module, item_ids = None, []
    for item in items:
        where = {"module_id": module} if module else {"module_title": "Basics"}
        created = teacher.post(f"/api/v1/courses/{course_id}/content", json={**item, **where}).get_json()["data"]
        module = created["module_id"]
        item_ids.append(created["id"])
    teacher.put(f"/api/v1/courses/{course_id}", json={"status": "published"})
    teacher.post(f"/api/v1/courses/{course_id}/enrollments", json={"user_ids": [student_id]})
    return teacher, course_id, item_ids
