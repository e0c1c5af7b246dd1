"""The site header holds every role's menu and any e-mail at 375, 1024 and 1280 px: no two items overlap, nothing
leaves the window or widens the page, and a name too long for its place ends in an ellipsis with the whole
name in its title."""

import os

import pytest

from tests.conftest import PASSWORD, make_user
from tests.support.browser import open_signed_in

pytestmark = pytest.mark.browser
SIZES = [(1280, 800), (1024, 768), (375, 812)]
LONG_EMAIL = "alexandra.konstantinopoulou-whitfield.registrar@example.org"  # 60 characters
ROLES = ["org_admin", "branch_manager", "teacher", "student"]

# The visible header items (the brand, the menu button, each link and button of the menu) with their boxes, and
# those whose text does not fit the box without an ellipsis and a title that says the whole of it.
HEADER_ITEMS_JS = """() => {
  const header = document.querySelector("header.site-header");
  const items = [...header.querySelectorAll(".brand, summary, .site-menu li > a, .site-menu li button")];
  const seen = [];
  for (const el of items) {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (!box.width || !box.height || style.visibility === "hidden") continue;
    const cut = el.scrollWidth > el.clientWidth + 1;
    seen.push({
      name: (el.textContent || "").trim().slice(0, 40),
      box: {x: box.x, y: box.y, right: box.right, bottom: box.bottom},
      cutWithoutEllipsis: cut && !(style.textOverflow === "ellipsis" && el.title === el.textContent.trim()),
    });
  }
  return {items: seen, width: window.innerWidth, pageWidth: document.documentElement.scrollWidth};
}"""


def header_problems(page):
    found = page.evaluate(HEADER_ITEMS_JS)
    problems = []
    if found["pageWidth"] > found["width"]:
        problems.append(f"the page is {found['pageWidth']} px wide in a {found['width']} px window")
    items = found["items"]
    for n, item in enumerate(items):
        box = item["box"]
        if item["cutWithoutEllipsis"]:
            problems.append(f"{item['name']!r} is cut without an ellipsis and a title")
        if box["x"] < -0.5 or box["right"] > found["width"] + 0.5:
            problems.append(f"{item['name']!r} leaves the window: {box}")
        for other in items[n + 1 :]:
            o = other["box"]
            apart = (
                box["right"] <= o["x"] + 0.5
                or o["right"] <= box["x"] + 0.5
                or box["bottom"] <= o["y"] + 0.5
                or o["bottom"] <= box["y"] + 0.5
            )
            if not apart:
                problems.append(f"{item['name']!r} overlaps {other['name']!r}")
    return problems, [item["name"] for item in items]


def shoot(page, name):
    folder = os.environ.get("SCREENSHOT_DIR")
    if folder:
        page.screenshot(path=os.path.join(folder, f"header-{name}.png"))


def check_header(page, name, width):
    problems, names = header_problems(page)
    shoot(page, f"{name}-{width}")
    assert problems == [], (name, width, problems)
    if width < 1024:  # the menu folds away on a phone: open it, and the panel holds every item as well
        page.locator("header summary").click()
        problems, names = header_problems(page)
        shoot(page, f"{name}-{width}-open")
        assert problems == [], (name, width, "menu open", problems)
    return names


@pytest.mark.parametrize("role", ROLES)
def test_the_header_holds_each_roles_menu_and_a_long_email(browser, live_server, app, make_tenant, role):
    tenant = make_tenant(name="Riverside Secondary School of the Long Names")
    make_user(app, tenant, role, email=LONG_EMAIL, first_name="", last_name="")
    for width, height in SIZES:
        page = open_signed_in(browser, live_server, tenant, LONG_EMAIL, "/", width, height)
        names = check_header(page, role, width)
        assert "Sign out" in names
        page.close()


def test_the_header_holds_the_operators_menu_on_the_platform_host(browser, live_server, operator_token):
    for width, height in SIZES:
        page = browser.new_page(viewport={"width": width, "height": height})
        page.goto(f"http://localhost:{live_server}/login")
        page.fill("input[name=email]", "operator@example.org")
        page.fill("input[name=password]", PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"http://localhost:{live_server}/")
        names = check_header(page, "operator", width)
        assert "Organizations" in names
        page.close()
