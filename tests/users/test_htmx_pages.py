"""Pages answer htmx with a fragment, except when htmx restores a page it no longer has in its history cache."""

from tests.support.browser import Browser


def test_a_history_restore_gets_the_whole_page_not_a_fragment(app, tenant):
    browser = Browser(app, tenant)
    browser.sign_in("admin@example.org")
    fragment = browser.get("/people?q=admin", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert fragment.lstrip().startswith('<section id="people-results">') and "<html" not in fragment
    # Back button after htmx's cache dropped the page: without the layout it would show a bare fragment.
    restored = browser.get(
        "/people?q=admin", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    ).get_data(as_text=True)
    assert "<html" in restored and '<section id="people-results">' in restored
