"""Item analysis against figures worked out by hand (blueprints/assessments/statistics.py).

The fixed data set: five learners, three questions.
- q1, single choice worth 1 point, options a (right), b, c;
- q2, true/false worth 1 point (the answer is "false"): the weaker learners got it, the stronger did not;
- q3, numeric worth 2 points, partial credit.

    learner  q1 (choice) mark   q2 (choice) mark   q3 fraction mark   total T
    A        a           1      true        0      1.0        2       3
    B        a           1      true        0      1.0        2       3
    C        b           0      false       1      0.5        1       2
    D        c           0      false       1      0.0        0       1
    E        a           1      false       1      1.0        2       4
"""

import math

import pytest

from blueprints.assessments.statistics import ItemScore, item_analysis

ROWS = {  # learner: (q1 choice, q1 fraction), (q2 choice, q2 fraction), q3 fraction
    "A": (("a", 1.0), ("true", 0.0), 1.0),
    "B": (("a", 1.0), ("true", 0.0), 1.0),
    "C": (("b", 0.0), ("false", 1.0), 0.5),
    "D": (("c", 0.0), ("false", 1.0), 0.0),
    "E": (("a", 1.0), ("false", 1.0), 1.0),
}
OPTIONS = {"q1": ["a", "b", "c"], "q2": ["true", "false"]}


def matrix():
    return [
        [
            ItemScore("q1", q1[1], 1.0, (q1[0],)),
            ItemScore("q2", q2[1], 1.0, (q2[0],)),
            ItemScore("q3", q3, 2.0),
        ]
        for q1, q2, q3 in ROWS.values()
    ]


def by_question(figures):
    return {question.question: question for question in figures.questions}


def test_quiz_figures_match_the_hand_working():
    figures = item_analysis(matrix(), OPTIONS)

    # Totals T = 3, 3, 2, 1, 4 (of 4 points): s = 5, mean 13 / 5 = 2.6, sorted 1 2 3 3 4 -> median 3.
    assert figures.attempts == 5
    assert figures.max_score == 4.0
    assert figures.mean == pytest.approx(2.6)
    assert figures.median == pytest.approx(3.0)
    # Deviations d = 0.4, 0.4, -0.6, -1.6, 1.4.
    # sum d^2 = 0.16 + 0.16 + 0.36 + 2.56 + 1.96 = 5.2 -> k2 = 5.2 / 4 = 1.3 (sample variance), SD = sqrt(1.3).
    assert figures.standard_deviation == pytest.approx(math.sqrt(1.3))  # 1.140175
    # m2 = 5.2 / 5 = 1.04; sum d^3 = 0.064 + 0.064 - 0.216 - 4.096 + 2.744 = -1.44 -> m3 = -0.288.
    # k3 = s^2 m3 / ((s-1)(s-2)) = 25 * -0.288 / 12 = -0.6; skewness = k3 / k2^1.5 = -0.6 / 1.482228.
    assert figures.skewness == pytest.approx(-0.6 / 1.3**1.5)  # -0.404796
    assert figures.skewness == pytest.approx(-0.404796, abs=1e-6)
    # sum d^4 = 0.0256 + 0.0256 + 0.1296 + 6.5536 + 3.8416 = 10.576 -> m4 = 2.1152.
    # k4 = s^2 ((s+1) m4 - 3 (s-1) m2^2) / ((s-1)(s-2)(s-3)) = 25 (6 * 2.1152 - 12 * 1.0816) / 24
    #    = 25 * (12.6912 - 12.9792) / 24 = -0.3; kurtosis = k4 / k2^2 = -0.3 / 1.69.
    assert figures.kurtosis == pytest.approx(-0.177515, abs=1e-6)
    # Item mark variances (sample): q1 marks 1 1 0 0 1 -> 1.2 / 4 = 0.3; q2 marks 0 0 1 1 1 -> 0.3;
    # q3 marks 2 2 1 0 2 (mean 1.4) -> (0.36 + 0.36 + 0.16 + 1.96 + 0.36) / 4 = 0.8. Sum 1.4.
    # alpha = p / (p - 1) (1 - 1.4 / 1.3) = 1.5 * -0.1 / 1.3 = -0.115385 (q2 pulls against the rest).
    assert figures.cronbach_alpha == pytest.approx(-0.115385, abs=1e-6)
    # SEM = SD sqrt(1 - alpha) = 1.140175 * sqrt(1.115385) = 1.204159.
    assert figures.standard_error == pytest.approx(1.204159, abs=1e-6)


def test_a_question_that_separates_strong_from_weak_learners():
    q1 = by_question(item_analysis(matrix(), OPTIONS))["q1"]

    # Fractions 1 1 0 0 1: facility 3 / 5 = 0.6; sample SD sqrt(1.2 / 4) = sqrt(0.3).
    assert q1.attempts == 5
    assert q1.max_points == 1.0
    assert q1.facility == pytest.approx(0.6)
    assert q1.standard_deviation == pytest.approx(math.sqrt(0.3))  # 0.547723
    # Rest of test R = T - x = 2 2 2 1 3 (mean 2); x deviations 0.4 0.4 -0.6 -0.6 0.4, R deviations 0 0 0 -1 1.
    # cov = (0 + 0 + 0 + 0.6 + 0.4) / 4 = 0.25; var R = (1 + 1) / 4 = 0.5.
    # discrimination = 0.25 / sqrt(0.3 * 0.5) = 0.645497.
    assert q1.discrimination_index == pytest.approx(0.645497, abs=1e-6)
    # Sorted x 0 0 1 1 1 against sorted R 1 2 2 2 3: (0.6 + 0 + 0 + 0 + 0.4) / 4 = 0.25 = cov_max,
    # so the marks are already ordered as well as they can be: efficiency 1.
    assert q1.discriminative_efficiency == pytest.approx(1.0)
    # Distractors: a chosen by A, B, E; b by C; c by D.
    assert q1.responses == pytest.approx({"a": 0.6, "b": 0.2, "c": 0.2})


def test_a_question_the_weaker_learners_get_right_discriminates_negatively():
    q2 = by_question(item_analysis(matrix(), OPTIONS))["q2"]

    assert q2.facility == pytest.approx(0.6)
    # x = 0 0 1 1 1, R = 3 3 1 0 3 (mean 2): x deviations -0.6 -0.6 0.4 0.4 0.4, R deviations 1 1 -1 -2 1.
    # cov = (-0.6 - 0.6 - 0.4 - 0.8 + 0.4) / 4 = -0.5; var R = (1 + 1 + 1 + 4 + 1) / 4 = 2.
    # discrimination = -0.5 / sqrt(0.3 * 2) = -0.645497.
    assert q2.discrimination_index == pytest.approx(-0.645497, abs=1e-6)
    # Sorted x 0 0 1 1 1, sorted R 0 1 3 3 3 (deviations -2 -1 1 1 1): (1.2 + 0.6 + 0.4 + 0.4 + 0.4) / 4 = 0.75.
    # efficiency = -0.5 / 0.75.
    assert q2.discriminative_efficiency == pytest.approx(-2 / 3)
    assert q2.responses == pytest.approx({"true": 0.4, "false": 0.6})


def test_a_question_with_partial_credit_and_more_points():
    q3 = by_question(item_analysis(matrix(), OPTIONS))["q3"]

    # Fractions 1 1 0.5 0 1: facility 3.5 / 5 = 0.7; deviations 0.3 0.3 -0.2 -0.7 0.3,
    # squares sum 0.8 -> SD sqrt(0.2) = 0.447214 (= SD of the marks 0.894427 / 2 points, as Moodle shows it).
    assert q3.max_points == 2.0
    assert q3.facility == pytest.approx(0.7)
    assert q3.standard_deviation == pytest.approx(0.447214, abs=1e-6)
    # x = 2 2 1 0 2 (mean 1.4), R = 1 1 1 1 2 (mean 1.2): deviations 0.6 0.6 -0.4 -1.4 0.6 and -0.2 x4, 0.8.
    # cov = (-0.12 - 0.12 + 0.08 + 0.28 + 0.48) / 4 = 0.15; var x = 0.8, var R = 0.8 / 4 = 0.2.
    # discrimination = 0.15 / sqrt(0.8 * 0.2) = 0.375.
    assert q3.discrimination_index == pytest.approx(0.375)
    # Sorted x 0 1 2 2 2 with sorted R 1 1 1 1 2: (0.28 + 0.08 - 0.12 - 0.12 + 0.48) / 4 = 0.15 -> efficiency 1.
    assert q3.discriminative_efficiency == pytest.approx(1.0)
    assert q3.responses == {}  # a numeric question has no options


def test_one_attempt_gives_no_spread_figures():
    figures = item_analysis(matrix()[:1], OPTIONS)

    assert (figures.attempts, figures.mean, figures.median) == (1, 3.0, 3.0)
    assert figures.standard_deviation is None
    assert figures.skewness is figures.kurtosis is figures.cronbach_alpha is figures.standard_error is None
    q1 = by_question(figures)["q1"]
    assert q1.facility == 1.0
    assert q1.standard_deviation is q1.discrimination_index is q1.discriminative_efficiency is None
    assert q1.responses == {"a": 1.0, "b": 0.0, "c": 0.0}


def test_a_question_everybody_got_right_has_no_discrimination():
    rows = [
        [ItemScore("easy", 1.0, 1.0, ("a",)), ItemScore("other", fraction, 1.0, ("a" if fraction else "b",))]
        for fraction in (1.0, 0.0, 1.0, 0.0)
    ]

    easy = by_question(item_analysis(rows))["easy"]

    assert easy.facility == 1.0
    assert easy.standard_deviation == 0.0
    assert easy.discrimination_index is None
    assert easy.discriminative_efficiency is None
    assert easy.responses == {"a": 1.0}  # without the list of options, only those chosen


def test_everyone_scoring_the_same_total_gives_no_shape_and_no_alpha():
    rows = [
        [ItemScore("q1", 1.0, 1.0), ItemScore("q2", 0.0, 1.0)],
        [ItemScore("q1", 0.0, 1.0), ItemScore("q2", 1.0, 1.0)],
        [ItemScore("q1", 1.0, 1.0), ItemScore("q2", 0.0, 1.0)],
        [ItemScore("q1", 0.0, 1.0), ItemScore("q2", 1.0, 1.0)],
    ]

    figures = item_analysis(rows)

    assert (figures.mean, figures.median, figures.standard_deviation) == (1.0, 1.0, 0.0)
    assert figures.skewness is figures.kurtosis is figures.cronbach_alpha is figures.standard_error is None
    # Each question's rest of test is the other question's mark: a perfect negative correlation.
    assert by_question(figures)["q1"].discrimination_index == pytest.approx(-1.0)


def test_no_attempts_gives_empty_figures():
    figures = item_analysis([])

    assert figures.attempts == 0
    assert figures.questions == ()
    assert figures.mean is figures.max_score is figures.cronbach_alpha is None


def test_random_draws_count_each_question_over_the_attempts_that_had_it():
    # A slot drawing one of two questions: alpha pools the slot (Moodle's random slot), not the questions.
    rows = [
        [ItemScore("fixed", 1.0, 1.0, slot=1), ItemScore("drawn-a", 1.0, 1.0, slot=2)],
        [ItemScore("fixed", 0.0, 1.0, slot=1), ItemScore("drawn-b", 0.0, 1.0, slot=2)],
        [ItemScore("fixed", 1.0, 1.0, slot=1), ItemScore("drawn-a", 0.0, 1.0, slot=2)],
        [ItemScore("fixed", 0.0, 1.0, slot=1), ItemScore("drawn-b", 1.0, 1.0, slot=2)],
        [ItemScore("fixed", 1.0, 1.0, slot=1), ItemScore("drawn-b", 1.0, 1.0, slot=2)],
    ]

    figures = item_analysis(rows)

    questions = by_question(figures)
    assert (questions["drawn-a"].attempts, questions["drawn-b"].attempts) == (2, 3)
    assert questions["drawn-b"].facility == pytest.approx(2 / 3)
    # Totals 2 0 1 1 2: mean 1.2, sum d^2 = 0.64 + 1.44 + 0.04 + 0.04 + 0.64 = 2.8 -> k2 = 0.7.
    # Slot 1 marks 1 0 1 0 1 -> variance 0.3; slot 2 marks 1 0 0 1 1 -> 0.3.
    # alpha = 2 (1 - 0.6 / 0.7) = 0.285714.
    assert figures.cronbach_alpha == pytest.approx(2 * (1 - 0.6 / 0.7))
