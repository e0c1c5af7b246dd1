"""Charts drawn on the server as SVG (templates/analytics/_charts.html renders these shapes; no JavaScript).

Every chart is 100% of its container's width and a fixed height in CSS pixels: horizontal positions are
percentages, so the text stays legible on a phone instead of shrinking with a viewBox, and the only drawing
scaled to the width (a daily series' line and area) lives in a nested SVG stretched over the plot
(`preserveAspectRatio="none"`, strokes that do not scale). The template puts the same figures in a table
right after each chart, for screen readers and for copying.
"""

import heapq
import math
from datetime import date

LINE_PLOT_TOP = 12  # px above the plot: room for the top tick's label
LINE_PLOT_HEIGHT = 160
LINE_HEIGHT = LINE_PLOT_TOP + LINE_PLOT_HEIGHT + 28  # and the day labels below
LINE_MARKERS_UP_TO = 62  # days: a dot per day up to two months, a plain line beyond
BAR_ROW = 46  # px per bar: its label above, the bar below
BAR_HEIGHT = 16
BAR_LABEL_CHARACTERS = 38  # a longer name is cut (whole in the table and in the bar's own title)
# Bars a chart draws at most: 12 x 46 px is about a laptop screen's height below the heading, and a dozen bars
# are read at a glance; 200 courses would be 9 000 px of bars that nobody compares. Beyond it a chart draws the
# rows that need attention (`needing_attention`) and the table after it keeps every row.
BARS_SHOWN = 12


def nice_ceiling(value, steps=(1, 2, 2.5, 5)):
    """The smallest step x 10^n at or above `value` (an axis' top); 1 for nothing."""
    if not value or value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (*steps, 10):
        if value <= step * power + 1e-9:
            top = step * power
            return int(top) if float(top).is_integer() else top
    return 10 * power


def shorten(text, limit=BAR_LABEL_CHARACTERS):
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def line_chart(days, key, *, day_key="day", unit=1):
    """A daily series of whole numbers as a line over an area: `days` are dicts with a `day` (ISO date or
    date) and `key`; `unit` is what the axis counts in (60: seconds shown as minutes).

    Answers the plot's path (in a 100 x 100 box), dots on the days with something (x in %, y in px),
    gridlines at 0, the top and its half when that is a whole number of units, and up to five day labels."""
    values = [max(0, day.get(key) or 0) for day in days]
    # at least 2 units, and a top whose half is whole, so that the middle gridline is a value people read
    top = max(2, nice_ceiling(max(values, default=0) / unit, steps=(1, 2, 4, 6, 8))) * unit
    count = len(values)

    def x_of(index):
        return 50.0 if count == 1 else round(100 * index / (count - 1), 3)

    def height_of(value):
        return round(100 - 100 * value / top, 3)

    outline = " ".join(f"{x_of(i)},{height_of(v)}" for i, v in enumerate(values))
    half = top / 2 if (top / 2 / unit).is_integer() else None
    ticks = [
        {"value": value, "y": LINE_PLOT_TOP + round(LINE_PLOT_HEIGHT * (1 - value / top), 1)}
        for value in (0, half, top)
        if value is not None
    ]
    dots = []
    if count <= LINE_MARKERS_UP_TO:
        dots = [
            {"x": x_of(i), "y": LINE_PLOT_TOP + round(LINE_PLOT_HEIGHT * height_of(v) / 100, 1), "value": v}
            for i, v in enumerate(values)
            if v
        ]
    return {
        "height": LINE_HEIGHT,
        "plot_top": LINE_PLOT_TOP,
        "plot_height": LINE_PLOT_HEIGHT,
        "plot_bottom": LINE_PLOT_TOP + LINE_PLOT_HEIGHT,
        "line": f"M{outline.replace(' ', ' L')}" if count else "",
        "area": f"M0,100 L{outline.replace(' ', ' L')} L100,100 Z" if count > 1 else "",
        "dots": dots,
        "ticks": ticks,
        "labels": _day_labels([day[day_key] for day in days], x_of),
        "top": top,
        "total": sum(values),
        "empty": not any(values),
    }


def _day_labels(days, x_of, most=5):
    """Up to `most` evenly spread day labels; the first is anchored at its start, the last at its end."""
    count = len(days)
    if not count:
        return []
    indexes = sorted({round(i * (count - 1) / (most - 1)) for i in range(most)}) if count > 1 else [0]
    labels = []
    for index in indexes:
        day = days[index] if isinstance(days[index], date) else date.fromisoformat(str(days[index]))
        edge = "start" if index == 0 else "end" if index == count - 1 else "middle"
        anchor = "middle" if count == 1 else edge
        labels.append({"x": x_of(index), "text": f"{day.day} {day:%b}", "anchor": anchor})
    return labels


def needing_attention(rows, value_key, label_key, most=BARS_SHOWN):
    """The rows a chart of at most `most` bars draws: every row in its order when they fit; else the `most`
    with the lowest figure, lowest first, ties to the row with the most learners (or enrollments, when the rows
    count those), then by name. A row with no figure (None) takes no slot: it has nothing to look at."""
    if len(rows) <= most:
        return list(rows)

    def weight(row):
        return row.get("learners", row.get("enrollments")) or 0

    figured = [row for row in rows if row.get(value_key) is not None]
    return heapq.nsmallest(
        most, figured, key=lambda row: (row[value_key], -weight(row), str(row.get(label_key) or "").casefold())
    )


def completion_rate_chart(rows, label_key):
    """Bars of the rows' completion rates (percentages, on a scale to 100): when there are more rows than
    `BARS_SHOWN`, those needing attention (the lowest rates)."""
    return bar_chart(rows, label_key, "completion_rate", maximum=100, most=BARS_SHOWN)


def bar_chart(rows, label_key, value_key, *, maximum=None, most=None):
    """Horizontal bars, one per row (dicts), longest at `maximum` (100 for percentages) or at the largest
    value. A row whose value is None (no figure) gets no bar. With `most` (lower is worse: completion rates),
    more rows than that draw only those `needing_attention`; `of` is then how many rows there are in all."""
    of = len(rows)
    rows = needing_attention(rows, value_key, label_key, most) if most else list(rows)
    values = [row.get(value_key) for row in rows]
    scale = maximum or nice_ceiling(max((v for v in values if v is not None), default=0))
    bars = []
    for index, (row, value) in enumerate(zip(rows, values, strict=True)):
        label = str(row.get(label_key) or "")
        bars.append(
            {
                "label": shorten(label),
                "full_label": label,
                "value": value,
                "width": 0 if value is None else round(min(100.0, 100 * value / scale), 2),
                "label_y": index * BAR_ROW + 16,
                "bar_y": index * BAR_ROW + 22,
                "row": row,
            }
        )
    return {
        "height": max(1, len(rows)) * BAR_ROW,
        "bar_height": BAR_HEIGHT,
        "bars": bars,
        "scale": scale,
        "of": of if len(rows) < of else None,  # set: the bars are the lowest of `of` rows, not all of them
    }
