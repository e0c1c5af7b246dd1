from blueprints.auth.api import blp as auth_api

__all__ = ["auth_api"]
