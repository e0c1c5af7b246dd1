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
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple


class ItemScore(NamedTuple):
    """One question as one attempt got it (a tuple: the refresh builds hundreds of thousands)."""

    question: Hashable  # the question id, or (question id, version number) when grouped by version
    fraction: float  # the share of its points scored, in [0, 1]
    points: float  # what it was worth in this attempt
    choices: tuple[str, ...] | None = None  # option ids chosen; None for kinds without options
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


def item_analysis(
    matrix: Iterable[Sequence[ItemScore]], options: Mapping[Hashable, Sequence[str]] | None = None
) -> QuizFigures:
    """The figures of a quiz and of each of its questions, from one row of item scores per attempt.

    `options` names, per question, the option ids to report in `responses` (so an option nobody chose shows 0);
    without it only the options somebody chose appear.
    """
    totals = []
    max_scores = []
    by_question = defaultdict(list)  # question -> [(mark, total index, fraction, points, choices)]
    by_slot = defaultdict(list)  # slot -> marks, for alpha
    for row in matrix:
        index = len(totals)
        total = max_score = 0.0
        for question, fraction, points, choices, slot in row:
            mark = fraction * points
            total += mark
            max_score += points
            by_question[question].append((mark, index, fraction, points, choices))
            by_slot[question if slot is None else slot].append(mark)
        totals.append(total)
        max_scores.append(max_score)

    questions = tuple(
        _question_figures(question, entries, totals, (options or {}).get(question))
        for question, entries in by_question.items()
    )
    return _quiz_figures(totals, max_scores, by_slot, questions)


def _question_figures(question, entries, totals, option_ids):
    n = len(entries)
    marks = [entry[0] for entry in entries]
    rests = [totals[index] - mark for mark, index, *_ in entries]
    fractions = [entry[2] for entry in entries]
    facility = sum(fractions) / n
    discrimination = efficiency = None
    if n > 1:
        mark_mean, rest_mean = sum(marks) / n, sum(rests) / n
        mark_var = sum((m - mark_mean) ** 2 for m in marks) / (n - 1)
        rest_var = sum((r - rest_mean) ** 2 for r in rests) / (n - 1)
        covariance = sum((m - mark_mean) * (r - rest_mean) for m, r in zip(marks, rests, strict=True)) / (n - 1)
        if _positive(mark_var * rest_var):
            discrimination = _clamp(covariance / math.sqrt(mark_var * rest_var))
        marks.sort()
        rests.sort()
        covariance_max = sum((m - mark_mean) * (r - rest_mean) for m, r in zip(marks, rests, strict=True)) / (n - 1)
        if _positive(covariance_max):
            efficiency = covariance / covariance_max
    return QuestionFigures(
        question=question,
        attempts=n,
        max_points=max(entry[3] for entry in entries),
        facility=facility,
        standard_deviation=_sample_sd(fractions),
        discrimination_index=discrimination,
        discriminative_efficiency=efficiency,
        responses=_response_shares((entry[4] for entry in entries), n, option_ids),
    )


def _response_shares(choices_per_attempt, n, option_ids):
    counts = dict.fromkeys(option_ids or (), 0)
    has_options = option_ids is not None
    for choices in choices_per_attempt:
        if choices is None:
            continue
        has_options = True
        for option in set(choices):
            counts[option] = counts.get(option, 0) + 1
    if not has_options:
        return {}
    return {option: count / n for option, count in counts.items()}


def _quiz_figures(totals, max_scores, by_slot, questions):
    s = len(totals)
    if s == 0:
        return QuizFigures(0, None, None, None, None, None, None, None, None, questions)
    mean = sum(totals) / s
    figures = dict(attempts=s, max_score=max(max_scores), mean=mean, median=_median(totals))
    sd = skewness = kurtosis = alpha = standard_error = None
    if s > 1:
        deviations = [total - mean for total in totals]
        m2 = sum(d**2 for d in deviations) / s
        m3 = sum(d**3 for d in deviations) / s
        m4 = sum(d**4 for d in deviations) / s
        k2 = s * m2 / (s - 1)  # the sample variance of the totals
        sd = math.sqrt(k2)
        if _positive(k2):
            if s > 2:
                k3 = s * s * m3 / ((s - 1) * (s - 2))
                skewness = k3 / k2**1.5
            if s > 3:
                k4 = s * s * ((s + 1) * m4 - 3 * (s - 1) * m2 * m2) / ((s - 1) * (s - 2) * (s - 3))
                kurtosis = k4 / (k2 * k2)
            p = len(by_slot)
            item_variances = [_sample_variance(marks) for marks in by_slot.values()]
            if p > 1 and None not in item_variances:
                alpha = p / (p - 1) * (1 - sum(item_variances) / k2)
                # alpha <= 1 when every attempt has every item; random draws can leave it a hair above
                standard_error = sd * math.sqrt(max(0.0, 1 - alpha))
    return QuizFigures(
        **figures,
        standard_deviation=sd,
        skewness=skewness,
        kurtosis=kurtosis,
        cronbach_alpha=alpha,
        standard_error=standard_error,
        questions=questions,
    )


def _median(values):
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def _sample_variance(values):
    n = len(values)
    if n < 2:
        return None
    mean = sum(values) / n
    return sum((v - mean) ** 2 for v in values) / (n - 1)


def _sample_sd(values):
    variance = _sample_variance(values)
    return None if variance is None else math.sqrt(variance)


def _positive(value):
    """Above rounding noise: sums of float deviations of equal marks can leave 1e-33 instead of 0."""
    return value > 1e-12


def _clamp(correlation):
    return max(-1.0, min(1.0, correlation))
