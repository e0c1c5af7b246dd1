from blueprints.branches.api import blp as branches_api

__all__ = ["branches_api"]
