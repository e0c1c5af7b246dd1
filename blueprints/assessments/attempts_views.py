"""The learner's quiz pages (start or resume, the attempt with autosave and the server's timer, the review)
and the staff's results and grading queue pages."""

from flask import Blueprint

from blueprints.assessments.attempts_api import blp as attempts_api
from blueprints.assessments.attempts_cli import attempts_cli

bp = Blueprint("assessment_attempts", __name__)


def plug(api_blueprints, page_blueprints, commands):
    """The attempts part's API, pages and command, for the feature's `register`."""
    api_blueprints.append(attempts_api)
    page_blueprints.append(bp)
    commands.append(attempts_cli)
