"""The analytics read model kept by its subscribers: after a scenario of several days done through the API and
pages and delivered through the relay, it holds what direct SQL over the source tables says, and
`flask analytics rebuild` gives the same rows."""

from tests.support.analytics import differences, expected_read_model, read_model, scenario  # noqa: F401 (fixture)


def test_the_subscribers_keep_what_the_sources_say_and_a_rebuild_gives_the_same_rows(app, tenant, scenario):  # noqa: F811
    enrollments, days = read_model(app, tenant)
    expected_enrollments, expected_days = expected_read_model(app, tenant)
    assert differences(enrollments, expected_enrollments) == []
    assert differences(days, expected_days) == []
