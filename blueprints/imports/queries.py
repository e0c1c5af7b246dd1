"""What other features may read of imports."""

from app.extensions import db
from blueprints.imports.models import UserImport


def import_summary(import_id):
    """(file name, mode, status, the person who started it or None) of an import, or None."""
    record = db.session.get(UserImport, import_id)
    if record is None:
        return None
    return record.filename, record.mode, record.status, record.created_by_id
