"""The analytics part of the demo: the read model rebuilt from what the other parts seeded."""

from blueprints.analytics import readmodel


def rebuild_read_model(_password):
    result = readmodel.rebuild()
    yield f"analytics read model: {result.enrollments} enrollments, {result.days} day rows"
