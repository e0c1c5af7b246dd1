from blueprints.imports.api import blp as imports_api

__all__ = ["imports_api"]
