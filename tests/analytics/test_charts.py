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
