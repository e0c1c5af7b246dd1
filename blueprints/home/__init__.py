from blueprints.home.views import bp as home_pages

__all__ = ["home_pages"]
