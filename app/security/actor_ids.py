"""Who to record as having acted: a person (a user id) or a service (an API key id), never one as the other.

Tables that note who created or changed a row keep a user id column and an API key id column side by
side (`created_by_id` / `created_by_api_key_id`, ...): an API key's id written into a user id column
credited the work to whichever person happened to share the number, or broke the foreign key.
"""

from typing import NamedTuple


class ActorIds(NamedTuple):
    user_id: int | None
    api_key_id: int | None


NOBODY = ActorIds(None, None)  # the system acted (e.g. on a learner's completion), no person and no key


def actor_ids(principal):
    """(user_id, api_key_id) for the principal: one of them set, the other None (both None for nobody)."""
    if principal is None:
        return NOBODY
    if principal.kind == "user":
        return ActorIds(principal.id, None)
    if principal.kind == "api_key":
        return ActorIds(None, principal.id)
    return NOBODY  # a platform operator is no row of the tenant's database
