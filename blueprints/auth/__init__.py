from blueprints.auth.api import blp as auth_api
from blueprints.auth.views import bp as auth_pages

__all__ = ["auth_api", "auth_pages"]
