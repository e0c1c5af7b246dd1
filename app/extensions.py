"""Every extension, created unbound; `create_app` binds them with `init_app`."""

from flask_htmx import HTMX
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData

from app.api.blueprint import EnvelopeApi
from app.tenancy.session import TenantRoutingSession

# Named constraints, so that later migrations can alter them (SQLite batch mode needs the names).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
db = SQLAlchemy(
    metadata=MetaData(naming_convention=NAMING_CONVENTION),
    session_options={"class_": TenantRoutingSession},
)
migrate = Migrate()
csrf = CSRFProtect()
api = EnvelopeApi()
htmx = HTMX()  # `htmx` is true on an HX-Request; it reads the other HX-* request headers too
