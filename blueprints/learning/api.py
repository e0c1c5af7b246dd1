"""The learners API: a person's courses and progress, for themselves and for whoever manages them."""

from flask.views import MethodView

from app.api.blueprint import ApiBlueprint
from app.errors import NotFound
from app.security.actor import current_actor
from app.security.principal import requires
from blueprints.learning import schemas
from blueprints.learning import services as learning
from blueprints.users.services import get_user

learners_blp = ApiBlueprint("learners", __name__, url_prefix="/api/v1/users", description="A person's learning.")
BEARER = [{"bearerAuth": []}]


def _self_or_manager(user_id):
    principal = current_actor.principal
    if principal.kind == "user" and principal.id == user_id:
        return
    if not principal.can("users.read"):
        raise NotFound("No such person.")  # others' learning is invisible, like anything out of scope
    get_user(user_id, current_actor.scope)


@learners_blp.route("/<int:user_id>/enrollments")
class UserEnrollments(MethodView):
    @requires("courses.read")
    @learners_blp.doc(security=BEARER)
    @learners_blp.response(200, schemas.UserEnrollmentSchema(many=True))
    def get(self, user_id):
        """A person's courses: due soonest first, completed last, with progress."""
        _self_or_manager(user_id)
        return learning.enrollments_of(user_id)


@learners_blp.route("/<int:user_id>/progress")
class UserProgress(MethodView):
    @requires("courses.read")
    @learners_blp.doc(security=BEARER)
    @learners_blp.response(200, schemas.UserProgressSchema(many=True))
    def get(self, user_id):
        """A person's progress in each course, down to the items completed and when."""
        _self_or_manager(user_id)
        return learning.progress_of(user_id)
