from blueprints.organizations.api import blp as organizations_api

__all__ = ["organizations_api"]
