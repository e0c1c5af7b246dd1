"""Item analysis of a quiz: pure arithmetic over a matrix of scores, no database.

The definitions are Moodle's ("Quiz statistics calculations" in Moodle's developer documentation, and its
`question/classes/statistics/questions/calculator.php` and `mod/quiz/report/statistics/classes/calculator.php`).
Notation: an attempt `a` of the `s` attempts analysed has a total mark `T_a` (points); a question `q` in it has
the mark `x_a = fraction * points`, and the rest of the test `R_a = T_a - x_a`. Variances and covariances are
*sample* ones, divided by `n - 1`, as Moodle's are. Every figure that its formula cannot give (one attempt, a
question everybody got right, a test with zero variance) is None, never an error.

Per question, over the `n` attempts that had it:
- facility index: the mean fraction of its points scored, `mean(x) / max mark` (0.9 = easy);
- standard deviation: the sample SD of the fractions (Moodle shows `sd(x) / max mark`), n > 1;
- discrimination index: Pearson's correlation of `x` with the rest of the test `R`,
  `cov(x, R) / sqrt(var(x) var(R))`;
- discriminative efficiency: `cov(x, R) / cov_max(x, R)`, where `cov_max` is the covariance of `x` and `R`
  each sorted ascending and paired rank by rank: the largest covariance these marks could have;
- responses: per option id, the share of those `n` attempts that chose it (distractor analysis).

Per quiz, over the totals `T`:
- mean, median; standard deviation `sqrt(sum((T - mean)^2) / (s - 1))`, s > 1;
- skewness `k3 / k2^(3/2)` (s > 2) and kurtosis `k4 / k2^2` (s > 3), with the moments `m_j = sum((T - mean)^j) / s`
  and the unbiased cumulants `k2 = s m2 / (s - 1)`, `k3 = s^2 m3 / ((s - 1)(s - 2))`,
  `k4 = s^2 ((s + 1) m4 - 3 (s - 1) m2^2) / ((s - 1)(s - 2)(s - 3))`;
- Cronbach's alpha (Moodle's "coefficient of internal consistency"), over the `p` items (slots) of the test:
  `p / (p - 1) * (1 - sum(var(item marks)) / k2)`; Moodle prints it as a percentage, we keep the fraction;
- standard error of measurement `SD * sqrt(1 - alpha)` (Moodle's error ratio times the SD).
"""

import math
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import NamedTuple

import numpy as np


class ItemScore(NamedTuple):
    """One question as one attempt got it (a tuple: the refresh builds hundreds of thousands)."""

    question: Hashable  # the question id, or (question id, version number) when grouped by version
    fraction: float  # the share of its points scored, in [0, 1]
    points: float  # what it was worth in this attempt
    choices: tuple[str, ...] | str | None = None  # option ids chosen (or the one chosen); None: a kind without options
    slot: Hashable = None  # its item for Cronbach's alpha; None: the question itself


@dataclass(frozen=True)
class QuestionFigures:
    question: Hashable
    attempts: int
    max_points: float
    facility: float | None
    standard_deviation: float | None
    discrimination_index: float | None
    discriminative_efficiency: float | None
    responses: dict[str, float] = field(default_factory=dict)  # option id -> share who chose it


@dataclass(frozen=True)
class QuizFigures:
    attempts: int
    max_score: float | None  # the most points an attempt could score (the largest, with random draws)
    mean: float | None
    median: float | None
    standard_deviation: float | None
    skewness: float | None
    kurtosis: float | None
    cronbach_alpha: float | None
    standard_error: float | None
    questions: tuple[QuestionFigures, ...] = ()


class ScoreColumns(NamedTuple):
    """The same scores as one sequence per field, an entry per question of an attempt: what a database read
    gives without making an object per answer."""

    attempt: Sequence[Hashable]  # the attempt the entry belongs to
    question: Sequence[Hashable]
    fraction: Sequence[float]
    points: Sequence[float]
    choices: Sequence[tuple[str, ...] | str | None]  # a tuple of option ids, one option id, or None
    slot: Sequence[Hashable] | None = None  # None: every entry's item is its question


def item_analysis(
    matrix: Iterable[Sequence[ItemScore]], options: Mapping[Hashable, Sequence[str]] | None = None
) -> QuizFigures:
    """The figures of a quiz and of each of its questions, from one row of item scores per attempt.

    `options` names, per question, the option ids to report in `responses` (so an option nobody chose shows 0);
    without it only the options somebody chose appear.
    """
    rows = [tuple(row) for row in matrix]
    entries = [entry for row in rows for entry in row]
    keys, fractions, points, choices, slots = (list(map(itemgetter(column), entries)) for column in range(5))
    attempts = [number for number, row in enumerate(rows) for _entry in row]
    return item_analysis_of_columns(
        ScoreColumns(attempts, keys, fractions, points, choices, None if slots.count(None) == len(slots) else slots),
        options,
    )


def item_analysis_of_columns(
    columns: ScoreColumns, options: Mapping[Hashable, Sequence[str]] | None = None
) -> QuizFigures:
    """`item_analysis` of scores given column by column."""
    if not len(columns.question):
        return QuizFigures(0, None, None, None, None, None, None, None, None)
    # Every entry tagged with the index of its attempt, question and slot: numpy then does every per-question
    # sum at once (10 000 attempts x 50 questions took 1.6 s of CPU in pure Python, 0.35 s this way).
    attempt = _indexes(columns.attempt)
    question_index = _index_of(columns.question)
    question = _indexes(columns.question, question_index)
    if columns.slot is None:
        slot = question
    else:
        slot_keys = [
            ("question", key) if s is None else ("slot", s)
            for key, s in zip(columns.question, columns.slot, strict=True)
        ]
        slot = _indexes(slot_keys)
    fraction = np.array(columns.fraction, dtype=float)
    points = np.array(columns.points, dtype=float)
    mark = fraction * points
    totals = np.bincount(attempt, weights=mark)
    max_scores = np.bincount(attempt, weights=points)
    shares = _response_shares(question, columns.choices, question_index, options or {})
    by_question = _question_columns(question, fraction, points, mark, totals[attempt] - mark)
    figures = tuple(
        _question_figures(key, {name: values[i] for name, values in by_question.items()}, shares.get(i, {}))
        for key, i in question_index.items()
    )
    return _quiz_figures(totals, float(max_scores.max()), _group_variances(slot, mark), figures)


def _index_of(keys):
    return {key: i for i, key in enumerate(dict.fromkeys(keys))}


def _indexes(keys, index=None):
    index = index if index is not None else _index_of(keys)
    return np.fromiter(map(index.__getitem__, keys), dtype=np.int64, count=len(keys))


def _group_sums(group, values):
    return np.bincount(group, weights=values)


def _question_columns(question, fraction, points, mark, rest):
    """Per question (indexed as `question`): its count, facility, sample SD, covariances and variances."""
    n = np.bincount(question).astype(float)
    dof = np.maximum(n - 1, 1)  # n = 1 is answered with None below
    facility = _group_sums(question, fraction) / n
    fraction_dev = fraction - facility[question]
    mark_dev = mark - (_group_sums(question, mark) / n)[question]
    rest_dev = rest - (_group_sums(question, rest) / n)[question]
    # cov_max pairs each question's marks and rests both sorted ascending: sort by (question, value) so the
    # groups stay in the same places and the k-th mark of a question meets the k-th rest of it.
    by_mark, by_rest = np.lexsort((mark, question)), np.lexsort((rest, question))
    return {
        "n": n,
        "max_points": np.maximum.reduceat(points[np.argsort(question, kind="stable")], _starts(n)),
        "facility": facility,
        "fraction_var": _group_sums(question, fraction_dev**2) / dof,
        "mark_var": _group_sums(question, mark_dev**2) / dof,
        "rest_var": _group_sums(question, rest_dev**2) / dof,
        "covariance": _group_sums(question, mark_dev * rest_dev) / dof,
        "covariance_max": _group_sums(question[by_mark], mark_dev[by_mark] * rest_dev[by_rest]) / dof,
    }


def _starts(counts):
    return np.concatenate(([0], np.cumsum(counts)[:-1])).astype(int)


def _question_figures(key, column, responses):
    n = int(column["n"])
    discrimination = efficiency = standard_deviation = None
    if n > 1:
        standard_deviation = math.sqrt(column["fraction_var"])
        if _positive(column["mark_var"] * column["rest_var"]):
            discrimination = _clamp(column["covariance"] / math.sqrt(column["mark_var"] * column["rest_var"]))
        if _positive(column["covariance_max"]):
            efficiency = float(column["covariance"] / column["covariance_max"])
    return QuestionFigures(
        question=key,
        attempts=n,
        max_points=float(column["max_points"]),
        facility=float(column["facility"]),
        standard_deviation=standard_deviation,
        discrimination_index=discrimination,
        discriminative_efficiency=efficiency,
        responses=responses,
    )


def _response_shares(question, choices, question_index, options):
    """Per question index, option id -> share of its attempts that chose it; {} for kinds without options."""
    n = np.bincount(question)
    per_choice_set = Counter(zip(question.tolist(), choices, strict=True))  # few distinct sets: counted in C
    counts = {i: dict.fromkeys(options[key], 0) for key, i in question_index.items() if key in options}
    for (i, chosen), times in per_choice_set.items():
        if chosen is None:
            continue
        tally = counts.setdefault(i, {})
        for option in (chosen,) if isinstance(chosen, str) else set(chosen):
            tally[option] = tally.get(option, 0) + times
    return {i: {option: count / int(n[i]) for option, count in tally.items()} for i, tally in counts.items()}


def _group_variances(group, values):
    """Sample variance of `values` per group; None for a group of one."""
    n = np.bincount(group).astype(float)
    deviations = values - (_group_sums(group, values) / n)[group]
    sums = _group_sums(group, deviations**2)
    return [float(sums[i] / (n[i] - 1)) if n[i] > 1 else None for i in range(len(n))]


def _quiz_figures(totals, max_score, item_variances, questions):
    s = len(totals)
    mean = float(totals.mean())
    sd = skewness = kurtosis = alpha = standard_error = None
    if s > 1:
        deviations = totals - mean
        m2, m3, m4 = (float((deviations**power).sum()) / s for power in (2, 3, 4))
        k2 = s * m2 / (s - 1)  # the sample variance of the totals
        sd = math.sqrt(k2)
        if _positive(k2):
            if s > 2:
                k3 = s * s * m3 / ((s - 1) * (s - 2))
                skewness = k3 / k2**1.5
            if s > 3:
                k4 = s * s * ((s + 1) * m4 - 3 * (s - 1) * m2 * m2) / ((s - 1) * (s - 2) * (s - 3))
                kurtosis = k4 / (k2 * k2)
            p = len(item_variances)
            if p > 1 and None not in item_variances:
                alpha = p / (p - 1) * (1 - sum(item_variances) / k2)
                # alpha <= 1 when every attempt has every item; random draws can leave it a hair above
                standard_error = sd * math.sqrt(max(0.0, 1 - alpha))
    return QuizFigures(
        attempts=s,
        max_score=max_score,
        mean=mean,
        median=float(np.median(totals)),
        standard_deviation=sd,
        skewness=skewness,
        kurtosis=kurtosis,
        cronbach_alpha=alpha,
        standard_error=standard_error,
        questions=questions,
    )


def _positive(value):
    """Above rounding noise: sums of float deviations of equal marks can leave 1e-33 instead of 0."""
    return value > 1e-12


def _clamp(correlation):
    return max(-1.0, min(1.0, float(correlation)))
