"""The item analysis page of a quiz, for the staff who see its results: figures, flags, a chart, distractors."""

from dataclasses import dataclass

from flask import Blueprint, request

from app.errors import NotFound
from app.pages import render_page
from app.security.actor import current_actor
from app.security.principal import requires
from blueprints.assessments import analysis
from blueprints.courses import access
from blueprints.courses import services as courses

bp = Blueprint("assessment_analysis", __name__, url_prefix="/courses/<int:course_id>/quizzes")

# The chart: facility (0..1, left to right) against discrimination (-1..1, bottom to top), in SVG units.
WIDTH, HEIGHT = 480, 340  # small enough that its text stays readable when a phone shrinks it to 343 px
LEFT, RIGHT, TOP, BOTTOM = 64, 24, 16, 52
PLOT_WIDTH, PLOT_HEIGHT = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM


@dataclass(frozen=True)
class ChartPoint:
    label: str  # "Q3" (or "Q3 v2")
    title: str
    x: float
    y: float
    flagged: bool


def x_of(facility):
    return round(LEFT + facility * PLOT_WIDTH, 1)


def y_of(discrimination):
    return round(TOP + (1 - (discrimination + 1) / 2) * PLOT_HEIGHT, 1)


def chart(rows):
    """Points of the questions that have both figures (questions at the same place share one point and its
    label), and the labels of those that have not."""
    places, unplotted = {}, []
    for row in rows:
        label = f"Q{row['number']}" + (f" v{row['version']}" if row["version"] else "")
        if row["facility"] is None or row["discrimination_index"] is None:
            unplotted.append(label)
            continue
        place = (x_of(row["facility"]), y_of(row["discrimination_index"]))
        places.setdefault(place, []).append((label, row))
    points = [
        ChartPoint(
            ", ".join(label for label, _row in shared),
            ", ".join(row["title"] for _label, row in shared),
            x,
            y,
            any(row["flags"] for _label, row in shared),
        )
        for (x, y), shared in places.items()
    ]
    geometry = {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "top": TOP,
        "right": WIDTH - RIGHT,
        "bottom": HEIGHT - BOTTOM,
        "plot_width": PLOT_WIDTH,
        "x_ticks": [
            (value, x_of(value), value in (0, 0.5, 1)) for value in (0, 0.1, 0.5, 0.9, 1)
        ],  # 10 and 90 % unlabelled: they crowd a phone
        "y_ticks": [(value, y_of(value)) for value in (-1, -0.5, 0, 0.2, 0.5, 1)],
        "easy_x": x_of(0.9),
        "hard_x": x_of(0.1),
        "zero_y": y_of(0),
        "weak_y": y_of(0.2),
    }
    return {"points": points, "unplotted": unplotted, **geometry}


@bp.route("/<int:quiz_id>/analysis")
@requires("courses.manage")
def quiz_analysis(course_id, quiz_id):
    """The quiz's item analysis: how it did overall, which questions to look at, and what learners chose."""
    which = request.args.get("attempts", analysis.FIRST)
    which = which if which in analysis.WHICH_ATTEMPTS else analysis.FIRST
    by_version = request.args.get("by_version") in ("1", "true", "on")
    quiz, result = analysis.analytics(quiz_id, which, by_version, current_actor)
    if quiz.course_id != course_id:
        raise NotFound("No such assessment.")
    course = access.course_for(course_id, "see")
    rows = [{**row, "number": number} for number, row in enumerate(result.rows(), start=1)]
    return render_page(
        "assessments/analysis.html",
        partial="assessments/_analysis_results.html",
        course=course,
        can_manage=courses.can_manage(course, current_actor.principal, current_actor.scope),
        quiz=quiz,
        result=result,
        rows=rows,
        chart=chart(rows),
        flag_labels=analysis.FLAG_LABELS,
    )
