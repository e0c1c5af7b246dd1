from blueprints.users.api import blp as users_api

__all__ = ["users_api"]
