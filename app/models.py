"""Imports every model module, so that both metadata collections are complete (Alembic, tests)."""

import importlib
import pkgutil
from pathlib import Path

BLUEPRINTS_DIR = Path(__file__).resolve().parents[1] / "blueprints"


def import_all_models():
    importlib.import_module("app.tenancy.models")
    importlib.import_module("app.security.models")
    importlib.import_module("app.events.models")
    importlib.import_module("app.audit.platform")
    for module in pkgutil.iter_modules([str(BLUEPRINTS_DIR)]):
        if (BLUEPRINTS_DIR / module.name / "models.py").exists():
            importlib.import_module(f"blueprints.{module.name}.models")
