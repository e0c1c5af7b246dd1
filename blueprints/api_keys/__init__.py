from blueprints.api_keys.api import blp as api_keys_api
from blueprints.api_keys.views import bp as api_keys_pages

__all__ = ["api_keys_api", "api_keys_pages"]
