"""The server-drawn charts: a daily series' line goes through each day's value on the chart's own scale, bars are
as long as their share of the scale, and labels stay readable (cut names, spread day labels)."""

from datetime import date, timedelta

from blueprints.analytics import charts
from blueprints.analytics.display import format_figure


def _days(values, start=date(2026, 3, 1)):
    return [{"day": (start + timedelta(days=n)).isoformat(), "active": value} for n, value in enumerate(values)]


def test_the_axis_top_is_a_round_number_at_or_above_the_largest_value():
    assert [charts.nice_ceiling(v) for v in (0, 1, 3, 7, 10, 11, 23, 240, 2600, 0.4)] == [
        1, 1, 5, 10, 10, 20, 25, 250, 5000, 0.5,
    ]  # fmt: skip


def test_a_daily_series_puts_each_day_at_its_value_on_the_scale():
    chart = charts.line_chart(_days([0, 5, 10, 2]), "active")
    assert chart["top"] == 10 and chart["total"] == 17 and not chart["empty"]
    assert chart["line"] == "M0.0,100.0 L33.333,50.0 L66.667,0.0 L100.0,80.0"
    assert chart["area"].startswith("M0,100 L0.0,100.0") and chart["area"].endswith("L100,100 Z")
    top, bottom = chart["plot_top"], chart["plot_top"] + chart["plot_height"]
    # no dot on a day with nothing
    assert [(dot["x"], dot["y"]) for dot in chart["dots"]] == [(33.333, top + 80), (66.667, top), (100.0, bottom - 32)]
    assert [tick["value"] for tick in chart["ticks"]] == [0, 5, 10]
    assert [label["text"] for label in chart["labels"]] == ["1 Mar", "2 Mar", "3 Mar", "4 Mar"]
    assert chart["labels"][0]["anchor"] == "start" and chart["labels"][-1]["anchor"] == "end"


def test_the_axis_counts_whole_people_and_whole_minutes():
    people = charts.line_chart(_days([3, 1]), "active")
    assert [tick["value"] for tick in people["ticks"]] == [0, 2, 4]  # not 0, 2.5, 5 people
    assert [tick["value"] for tick in charts.line_chart(_days([5]), "active")["ticks"]] == [0, 3, 6]
    assert [tick["value"] for tick in charts.line_chart(_days([1]), "active")["ticks"]] == [0, 1, 2]
    time = charts.line_chart(_days([200, 30]), "active", unit=60)
    assert [tick["value"] for tick in time["ticks"]] == [0, 120, 240]  # 2 and 4 min, not 100 and 200 s
    assert [tick["value"] for tick in charts.line_chart(_days([500]), "active", unit=60)["ticks"]] == [0, 300, 600]


def test_a_long_period_has_five_day_labels_and_no_dots():
    chart = charts.line_chart(_days([1] * 366, start=date(2025, 1, 1)), "active")
    assert [label["text"] for label in chart["labels"]] == ["1 Jan", "2 Apr", "2 Jul", "2 Oct", "1 Jan"]
    assert chart["dots"] == []


def test_a_quiet_period_is_an_empty_chart_on_a_scale_of_two():
    chart = charts.line_chart(_days([0, 0]), "active")
    assert chart["empty"] and chart["top"] == 2 and chart["line"] == "M0.0,100.0 L100.0,100.0"
    single = charts.line_chart(_days([6]), "active")
    assert single["line"] == "M50.0,0.0" and single["area"] == "" and single["labels"][0]["anchor"] == "middle"


def test_bars_are_as_long_as_their_share_and_a_missing_figure_has_none():
    rows = [{"name": "North", "rate": 50.0}, {"name": "A branch with a very long name indeed, longer", "rate": None}]
    chart = charts.bar_chart(rows, "name", "rate", maximum=100)
    assert [bar["width"] for bar in chart["bars"]] == [50.0, 0]
    assert chart["bars"][1]["label"] == "A branch with a very long name indeed…"
    assert chart["bars"][1]["full_label"] == rows[1]["name"]
    counts = charts.bar_chart([{"n": "a", "v": 3}, {"n": "b", "v": 12}], "n", "v")
    assert counts["scale"] == 20 and [bar["width"] for bar in counts["bars"]] == [15.0, 60.0]


def test_figures_read_as_people_say_them():
    assert format_figure(None) == "—"
    assert format_figure(12345) == "12,345"
    assert format_figure(72.25, "percent") == "72.2 %"
    assert format_figure(3 * 3600 + 5 * 60, "duration") == "3 h 05 min"
    assert format_figure(0, "duration") == "0 min"
    assert format_figure("2026-03-04", "day") == "4 Mar 2026"


def _courses(rates):
    return [{"title": f"Course {n:02}", "learners": 10, "rate": rate} for n, rate in enumerate(rates)]


def test_more_rows_than_a_chart_draws_show_the_lowest_figures_lowest_first():
    rows = _courses([90.0, None, 10.0, 55.0, 30.0, None, 20.0, 75.0])
    shown = charts.needing_attention(rows, "rate", "title", most=4)
    assert [row["title"] for row in shown] == ["Course 02", "Course 06", "Course 04", "Course 03"]
    # rows with no figure take no slot, even when there are fewer figures than slots
    assert [row["rate"] for row in charts.needing_attention(rows, "rate", "title", most=7)] == [
        10.0, 20.0, 30.0, 55.0, 75.0, 90.0,
    ]  # fmt: skip
    chart = charts.bar_chart(rows, "title", "rate", maximum=100, most=4)
    assert [bar["value"] for bar in chart["bars"]] == [10.0, 20.0, 30.0, 55.0]
    assert chart["of"] == 8 and chart["height"] == 4 * charts.BAR_ROW
    assert chart["bars"][1]["bar_y"] == charts.BAR_ROW + 22  # drawn one under the other, not at their row's place


def test_a_tie_goes_to_the_row_with_the_most_learners_then_to_the_name():
    rows = [
        {"name": "b", "learners": 5, "rate": 0.0},
        {"name": "A", "learners": 5, "rate": 0.0},
        {"name": "c", "learners": 40, "rate": 0.0},
        {"name": "d", "learners": 90, "rate": 50.0},
    ]
    assert [row["name"] for row in charts.needing_attention(rows, "rate", "name", most=3)] == ["c", "A", "b"]
    by_enrollments = [{"name": n, "enrollments": e, "rate": 1.0} for n, e in (("x", 1), ("y", 9))] + rows[3:]
    assert [row["name"] for row in charts.needing_attention(by_enrollments, "rate", "name", most=2)] == ["y", "x"]
    no_counts = [{"name": n, "rate": 1.0} for n in ("Zed", "amy", "Bob")]
    assert [row["name"] for row in charts.needing_attention(no_counts, "rate", "name", most=2)] == ["amy", "Bob"]


def test_rows_that_fit_are_drawn_all_in_their_order():
    rows = _courses([90.0, None, 10.0])
    assert charts.needing_attention(rows, "rate", "title", most=3) == rows
    chart = charts.bar_chart(rows, "title", "rate", maximum=100, most=3)
    assert chart == charts.bar_chart(rows, "title", "rate", maximum=100)  # as before: nothing left out
    assert [bar["value"] for bar in chart["bars"]] == [90.0, None, 10.0] and chart["of"] is None
    assert len(charts.bar_chart(_courses([50.0] * 20), "title", "rate")["bars"]) == 20  # no `most`: every row
    assert charts.BARS_SHOWN == 12
