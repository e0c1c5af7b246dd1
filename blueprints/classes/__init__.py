from blueprints.classes.api import blp as classes_api

__all__ = ["classes_api"]
