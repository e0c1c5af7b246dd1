"""Every page, every role, a phone and a desktop: the crawler of issue 10.

The demo organization (`app/demo.py`) is seeded into a fresh app. Each role signs in through the page and
visits every page its navigation reaches plus every GET page route of the URL map, its `<int:...>`
parameters filled from the demo data, at 375x812 and 1280x800. A page fails on a 5xx, horizontal
overflow or a visible element outside the viewport, a console error, or a serious or critical WCAG 2.2 AA
violation found by axe-core. Every failure is listed at the end, not only the first. Each role is a test
of its own, so that `make test` spreads the roles over its workers (`LONG_RUNNING_MODULES` in conftest.py).

`SCREENSHOT_DIR=screenshots` (what `make screenshots` sets) keeps a full-page PNG of every visit.
"""

import hashlib
import io
import os
import re
import time
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from app.demo import seed_demo
from app.extensions import db
from app.tenancy import provisioning
from app.tenancy.context import tenant_context
from blueprints.badges.models import Badge, BadgeAward
from blueprints.branches.models import Branch
from blueprints.branches.scope import scope_of
from blueprints.certificates.models import CertificateTemplate
from blueprints.classes.models import SchoolClass
from blueprints.courses.models import ContentItem, Course
from blueprints.imports import services as imports
from blueprints.notifications.unsubscribe import unsubscribe_token
from blueprints.users.services import find_user_by_email, principal_for_user
from tests.conftest import PASSWORD, build_app, destroy_tenant, run_jobs
from tests.support.announcements import demo_announcement_ids
from tests.support.attempts import demo_attempt_ids
from tests.support.browser import accessibility_violations, layout_problems, load_axe_on_every_page, serve
from tests.support.certificate_rows import demo_certificate_ids
from tests.support.integrations import demo_integration_ids, demo_roster_ids, demo_webhook_ids
from tests.support.notifications import demo_notification_id
from tests.support.questions import question_row
from tests.support.report_schedules import demo_report_ids

pytestmark = pytest.mark.browser

WIDTHS = [(375, 812), (1280, 800)]
ROLES = {  # role -> the e-mail that signs in (None: a visitor who does not)
    "org_admin": "admin@demo.example",
    "branch_manager": "manager@demo.example",
    "teacher": "teacher@demo.example",
    "student": "student@demo.example",
    "platform_operator": "operator@tessera.example",  # the app's OPERATOR_EMAIL, which seed_demo creates
    "visitor": None,
}
# Routes that answer bytes, not a page: files, downloads, the health probe and the branding stylesheet.
NOT_PAGES = {
    "static",
    "roster_pages.export",  # a zip download
    "home.branding_css",
    "home.logo",
    "operations.healthz",  # the probes and Prometheus' metrics (JSON and text, not pages)
    "operations.readyz",
    "operations.metrics",
    "learning_pages.cover",
    "learning_pages.media_file",
    "assessment_formats.export_questions",  # a GIFT/Aiken text download
    "assessment_bank.image",
    "assessment_attempts.attempt_image",  # a question's image (a JPEG)
    "credentials_public.issuer",  # JSON-LD, the JWKS and the log's head are JSON, the verifier a Python file
    "credentials_public.log_head",
    "credentials_public.verifier",
    # Open Badges 2.0 hosted JSON-LD and pictures, an award's credential (a VC-JWT download)
    "badges_hosted.issuer",
    "badges_hosted.badge_class_document",
    "badges_hosted.badge_image_svg",
    "badges_hosted.badge_image_png",
    "badges_hosted.assertion_document",
    "badges_hosted.baked_png",
    "badges_hosted.baked_svg",
    "badges_status.revocation_list",  # the badges' revocation list (a signed VC-JWT)
    "badge_pages.credential_download",
    "certificate_templates_pages.preview_pdf",  # a PDF
    "certificate_pages.pdf",  # a certificate's PDF
    "certificate_pages.archive_download",  # a ZIP of a course's certificates
    "achievement_pages.pdf",
    "report_pages.download",  # a report's file (CSV, XLSX or PDF)
    "privacy_pages.download",  # a person's data export (a ZIP)
    "notification_pages.stream",  # the bell's server-sent events (text/event-stream, open for minutes)
    "notification_pages.unread",  # the bell's count, a fragment its page polls
}
DOWNLOADS = (".csv", ".css", ".json")  # a route ending so answers a file, not a page
# A page may answer these to a role that may not see it (or, on the platform, to a tenant page):
# a proper page either way, checked like any other.
REFUSALS = {401, 403, 404}

# (role, path pattern, width or None for both, what, why): failures the lead has accepted for now.
ALLOWED = []
# Pages that draw themselves after `load`: checked once this element is there.
READY = {"/api/v1/docs": ".opblock"}
TIMINGS = {"load": 0.0, "layout": 0.0, "axe": 0.0}
# The document as axe would see it, less what changes from one response to the next without changing the
# page: the CSRF token (in hidden inputs and in the body's htmx headers) and the sign-in form's `next`.
DOCUMENT_JS = """() => {
    const root = document.documentElement.cloneNode(true);
    for (const input of root.querySelectorAll("input[type=hidden]")) input.removeAttribute("value");
    root.querySelector("body")?.removeAttribute("hx-headers");
    return root.outerHTML;
}"""


@pytest.fixture(scope="module")
def demo(app_config, tmp_path_factory):
    """A fresh app with the demo organization, as `make run` has it (with the development outbox)."""
    outbox = tmp_path_factory.mktemp("outbox")
    (outbox / "20260101T000000-000001.eml").write_text(
        "From: Tessera <no-reply@tessera.example>\nTo: sam@demo.example\nSubject: Welcome\n"
        "Date: Thu, 01 Jan 2026 00:00:00 +0000\n\nWelcome to Demo Academy.\n"
    )
    # The browser keeps the static files for the crawl instead of asking for each again on every page
    # (Flask's default makes it revalidate: six 304s per page). The same bytes either way.
    # The crawler leaves a page every half second; each page's bell stream holds a slot until its next keep-alive
    # (15 s): room for the crawl's, where people leave pages far more slowly.
    app = build_app(
        app_config, OUTBOX_DIR=str(outbox), SEND_FILE_MAX_AGE_DEFAULT=3600, NOTIFICATIONS_STREAMS_PER_PROCESS=200
    )
    assert app.config["OPERATOR_EMAIL"] == ROLES["platform_operator"]
    with app.app_context():
        list(seed_demo(PASSWORD))
        tenant = provisioning.get_tenant_by_slug("demo").ref()
    ids = demo_ids(app, tenant)
    port, stop = serve(app)
    yield app, port, ids
    stop()
    destroy_tenant(app, tenant.id)


def demo_ids(app, tenant):
    """One id per route parameter name, from the demo data (and a dry-run import made here)."""
    with tenant_context(tenant, app):
        course = db.session.scalar(sa.select(Course).where(Course.slug == "getting-started"))
        item = db.session.scalar(
            sa.select(ContentItem).where(ContentItem.course_id == course.id).order_by(ContentItem.id)
        )
        admin = principal_for_user(find_user_by_email("admin@demo.example").id)
        record = imports.start_import(
            io.BytesIO(
                b"email,first_name,last_name,role,branch\nnew@demo.example,Nia,New,student,north\nbad,B,R,x,y\n"
            ),
            "people.csv",
            "dry_run",
            False,
            admin,
            scope_of(admin),
        )
        ids = {
            "course_id": course.id,
            "item_id": item.id,
            "module_id": item.module_id,
            "user_id": find_user_by_email("student@demo.example").id,
            "class_id": db.session.scalar(sa.select(SchoolClass.id).where(SchoolClass.name == "Algebra 1")),
            "import_id": record.id,
            "branch_id": db.session.scalar(sa.select(Branch.id).where(Branch.code == "north")),
            "name": "20260101T000000-000001.eml",
            "organization_id": tenant.id,  # the operator's console page of the demo organization
            # the demo course's quiz (made here until the demo has one) and the demo student's open attempt at it
            **demo_attempt_ids(course.id, find_user_by_email("student@demo.example").id),
            "question_id": question_row(course.id, "fill_blanks", "Demo blanks", tags=("demo",)),
            # the demo course's badge, and the hand-given badge Sasha holds
            "badge_id": db.session.scalar(sa.select(Badge.id).where(Badge.course_id == course.id).order_by(Badge.id)),
            "public_id": db.session.scalar(sa.select(BadgeAward.public_id).order_by(BadgeAward.id)),
            "template_id": db.session.scalar(sa.select(CertificateTemplate.id).where(CertificateTemplate.is_default)),
            # the demo student's certificate of the demo course, and a ZIP of its certificates the teacher asked for
            **demo_certificate_ids(course.id, find_user_by_email("student@demo.example").id, "teacher@demo.example"),
            **demo_report_ids(),  # the demo's finished report and the org admin's weekly schedule
            "type_key": "enrolled",  # a notification type (the template editor's page)
            **demo_announcement_ids(),  # the teacher's announcement scheduled for tomorrow
            **demo_integration_ids(),  # the demo's webhook integration "Demo receiver" and its subscription
            **demo_roster_ids(admin),  # a OneRoster integration and a dry run of the sample (with a bad row)
            # a notification of the demo student (followed, it opens what it is about; anyone else's is a 404)
            "notification_id": demo_notification_id(find_user_by_email("student@demo.example").id),
            # the one-click unsubscribe page of the demo student's "enrolled" e-mails (no sign-in needed)
            "token": unsubscribe_token(find_user_by_email("student@demo.example").id, "enrolled"),
            **demo_webhook_ids(),  # part "hooks": the demo's webhook integration and one of its deliveries
        }
    run_jobs(app)
    return ids


def page_paths(app, ids):
    """Every GET page route, filled with demo ids; a parameter nobody can fill is a failure, not a skip."""
    paths, unfillable = set(), []
    for rule in app.url_map.iter_rules():
        if (
            "GET" not in rule.methods
            or rule.endpoint in NOT_PAGES
            or rule.rule.startswith("/api/")
            or rule.rule.endswith(DOWNLOADS)
        ):
            continue
        missing = [name for name in rule.arguments if name not in ids]
        if missing:
            unfillable.append(f"{rule.rule} ({rule.endpoint}): no demo id for {', '.join(missing)}")
            continue
        paths.add(re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: str(ids[m.group(1)]), rule.rule))
    return sorted(paths), unfillable


def navigation_paths(page, origin):
    """The same-site links of the header and footer (the footer's reaches the API docs)."""
    hrefs = page.eval_on_selector_all("header a[href], footer a[href]", "links => links.map(a => a.href)")
    return {urlsplit(href).path for href in hrefs if href.startswith(origin)}


def visit(page, url, console, axe_checked):
    """Open `url`; returns (status, problems).

    axe looks at every distinct page a role sees at a width, once: a refusal is one error page (its first
    one is checked), and a page whose document is the same as one already checked (the visitor's sign-in
    page, which every private path redirects to) is not checked again. The layout, console and status
    checks run on every visit."""
    console.clear()
    t0 = time.monotonic()
    response = page.goto(url, wait_until="load")
    status = response.status if response else 0
    problems = []
    if status >= 400 and status not in REFUSALS:
        problems.append(f"answered {status}")
    if "text/html" not in (response.headers.get("content-type", "") if response else ""):
        return status, [*problems, "is not an HTML page: add its endpoint to NOT_PAGES if it is a download"]
    if status in REFUSALS and not page.locator("h1").count():
        problems.append(f"answered {status} without a page (no heading)")
    if urlsplit(url).path in READY:
        page.wait_for_selector(READY[urlsplit(url).path])
    # panels a page asks for once it is there (`data-panel` placeholders, hx-trigger="load"): swapped in and
    # settled (tables.js has marked their wide tables) before the page is checked
    page.wait_for_function("() => !document.querySelector('[data-panel], .htmx-request, .htmx-settling')")
    t1 = time.monotonic()
    problems += layout_problems(page)
    problems += [f"console: {text}" for text in console if not _expected_refusal(text, status)]
    t2 = time.monotonic()
    seen_as = status if status in REFUSALS else hashlib.sha256(page.evaluate(DOCUMENT_JS).encode()).hexdigest()
    if seen_as not in axe_checked:
        problems += [f"axe {violation}" for violation in accessibility_violations(page)]
        axe_checked.add(seen_as)
    TIMINGS["load"] += t1 - t0
    TIMINGS["layout"] += t2 - t1
    TIMINGS["axe"] += time.monotonic() - t2
    return status, problems


def _console_line(message):
    where = message.location.get("url", "") if message.location else ""
    return f"{message.text} ({urlsplit(where).path})" if where else message.text


def _expected_refusal(text, status):
    """Chromium logs the page's own 4xx as a failed resource; that is the refusal we expect, not an error."""
    return status in REFUSALS and text.startswith(
        f"Failed to load resource: the server responded with a status of {status}"
    )


def allowed(role, path, width, problem):
    return any(
        r == role and re.fullmatch(p, path) and w in (None, width) and what in problem for r, p, w, what, _ in ALLOWED
    )


@pytest.mark.parametrize("role", ROLES)
def test_every_page_for_every_role_at_both_widths(demo, browser, role):
    if os.environ.get("CRAWL_ROLES") and role not in os.environ["CRAWL_ROLES"].split(","):
        pytest.skip(f"CRAWL_ROLES={os.environ['CRAWL_ROLES']}")
    app, port, ids = demo
    paths, failures = page_paths(app, ids)
    email = ROLES[role]
    TIMINGS.update(load=0.0, layout=0.0, axe=0.0)
    shots = os.environ.get("SCREENSHOT_DIR")
    only = os.environ.get("CRAWL_ONLY")  # a regular expression of paths, to look at a few pages while fixing them
    if shots:
        os.makedirs(shots, exist_ok=True)
    started, visits, axe_runs = time.monotonic(), 0, 0
    origin = f"http://localhost:{port}" if role == "platform_operator" else f"http://demo.localhost:{port}"
    for width, height in WIDTHS:
        context = browser.new_context(viewport={"width": width, "height": height})
        load_axe_on_every_page(context)
        page = context.new_page()
        console = []
        page.on("console", lambda msg, console=console: msg.type == "error" and console.append(_console_line(msg)))
        page.on("pageerror", lambda error, console=console: console.append(str(error)))
        page.goto(f"{origin}/login")
        if email:
            page.fill("input[name=email]", email)
            page.fill("input[name=password]", PASSWORD)
            with page.expect_navigation():
                page.get_by_role("button", name="Sign in").click()
            if "/login" in page.url:
                failures.append(f"{role} @{width}: could not sign in")
                context.close()
                continue
        targets = sorted(navigation_paths(page, origin) | set(paths) | {urlsplit(page.url).path})
        if only:
            targets = [path for path in targets if re.search(only, path)]
        axe_checked = set()  # refusal statuses and documents axe has looked at, at this width
        for path in targets:
            status, problems = visit(page, origin + path, console, axe_checked)
            visits += 1
            for problem in problems:
                if not allowed(role, path, width, problem):
                    failures.append(f"{path} as {role} @{width}px ({status}): {problem}")
            if shots:
                name = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "home"
                page.screenshot(path=os.path.join(shots, f"{role}-{name}-{width}.png"), full_page=True)
        axe_runs += len(axe_checked)
        context.close()
    elapsed = time.monotonic() - started
    print(f"\ncrawler, {role}: {visits} visits ({axe_runs} checked by axe) in {elapsed:.1f} s", TIMINGS)
    assert not failures, f"{len(failures)} problems:\n" + "\n".join(failures)
