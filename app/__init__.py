"""The Tessera application factory: a short list of named steps."""

import importlib
import os
from pathlib import Path

from flask import Flask
from flask_wtf.csrf import CSRFError
from werkzeug.middleware.proxy_fix import ProxyFix

from app.api.errors import register_error_handlers as register_api_error_handlers
from app.api.input_text import reject_unstorable_input
from app.api.types import BoundedIntegerConverter
from app.cli import register_commands
from app.extensions import api, csrf, db, htmx, migrate
from app.observability.requests import observe_requests
from app.security.expired_forms import render_expired_form
from app.security.headers import init_security_headers as add_security_headers
from app.security.rate_limits import init_rate_limits
from app.security.secret_key import instance_secret_key
from app.security.sessions import init_sessions
from app.tenancy.engines import configure_sqlite
from app.tenancy.resolution import init_tenancy as init_tenant_resolution
from app.tenancy.servers import parse_servers
from config import BASE_DIR, config_from_env

CONTROL_MIGRATIONS = BASE_DIR / "migrations" / "control"


def create_app(config_class=None, **overrides):
    app = Flask(
        __name__,
        static_folder=str(BASE_DIR / "static"),
        template_folder=str(BASE_DIR / "templates"),
    )
    app.json.sort_keys = False  # the envelope reads success, data, meta, error in that order
    load_config(app, config_class or config_from_env(), overrides)
    trust_proxies(app)
    init_url_converters(app)
    init_extensions(app)
    init_observability(app)
    init_tenancy(app)
    init_auth(app)
    register_features(app)
    register_error_handlers(app)
    init_template_helpers(app)
    init_security_headers(app)
    register_cli(app)
    return app


def load_config(app, config_class, overrides):
    app.config.from_object(config_class)
    app.config.update(overrides)
    missing = [name for name in app.config["REQUIRED_IN_PRODUCTION"] if not os.environ.get(name)]
    if missing:
        raise RuntimeError(f"Production configuration needs these environment variables: {', '.join(missing)}")
    if app.config["MEDIA_STORAGE"] not in ("local", "s3"):
        raise RuntimeError("LMS_MEDIA_STORAGE is 'local' or 's3'.")
    if app.config["MEDIA_STORAGE"] == "s3" and not app.config["S3_BUCKET"]:
        raise RuntimeError("LMS_MEDIA_STORAGE=s3 needs LMS_S3_BUCKET (and boto3 installed).")
    instance = Path(app.config["INSTANCE_DIR"])
    app.instance_path = str(instance)
    instance.mkdir(parents=True, exist_ok=True)
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = instance_secret_key(instance)
    app.config["CONTROL_DATABASE_URL"] = app.config["CONTROL_DATABASE_URL"] or f"sqlite:///{instance / 'control.db'}"
    app.config["TENANT_DATABASE_URL_TEMPLATE"] = (
        app.config["TENANT_DATABASE_URL_TEMPLATE"] or f"sqlite:///{instance / 'tenants' / '{slug}.db'}"
    )
    app.config["SQLALCHEMY_DATABASE_URI"] = app.config["CONTROL_DATABASE_URL"]
    if app.config.get("TENANT_DATABASE_SERVERS"):
        try:  # a malformed list is named at start, not as a 500 at the next provisioning
            parse_servers(app.config["TENANT_DATABASE_SERVERS"], app.config)
        except ValueError as error:
            raise RuntimeError(str(error)) from None


def trust_proxies(app):
    """Behind LMS_TRUSTED_PROXIES reverse proxies, see the client's address, scheme and host.

    Each proxy appends to X-Forwarded-For; only as many entries as there are trusted proxies are
    believed (counted from the right), so a client cannot pick its own address. With 0, the headers
    are ignored: anyone could send them.
    """
    count = app.config["TRUSTED_PROXIES"]
    if count < 0:
        raise RuntimeError("LMS_TRUSTED_PROXIES is the number of proxies in front of the app: 0 or more.")
    if count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)


def init_url_converters(app):
    """`<int:id>` everywhere (pages and API) matches 1 to 2^31-1 (an id column): a bigger id is a 404, not a 500."""
    app.url_map.converters["int"] = BoundedIntegerConverter


def init_extensions(app):
    db.init_app(app)
    with app.app_context():
        if db.engine.url.get_backend_name() == "sqlite":
            configure_sqlite(db.engine)
    migrate.init_app(app, db, directory=str(CONTROL_MIGRATIONS))
    csrf.init_app(app)
    api.init_app(app)
    htmx.init_app(app)


def init_observability(app):
    """Before tenancy: a request refused for its host still has an id (docs/operations.md, part ops)."""
    observe_requests(app)


def init_tenancy(app):
    init_tenant_resolution(app)


def init_auth(app):
    """Sessions and rate limits; after tenancy, so that both know the tenant of the request."""
    init_sessions(app)
    init_rate_limits(app)


# One line per feature, in the order their API blueprints appear in the OpenAPI document.
FEATURES = (
    "blueprints.auth",
    "blueprints.organizations",
    "blueprints.branches",
    "blueprints.classes",
    "blueprints.users",
    "blueprints.imports",
    "blueprints.api_keys",
    "blueprints.courses",
    "blueprints.learning",
    "blueprints.assessments",
    "blueprints.credentials",
    "blueprints.badges",
    "blueprints.certificates",
    "blueprints.analytics",
    "blueprints.reports",
    "blueprints.notifications",
    "blueprints.integrations",
    "blueprints.audit",
    "blueprints.privacy",
    "blueprints.home",
    "blueprints.outbox",
    "blueprints.operations",
)


def register_features(app):
    """Each feature's `feature.register(app)` adds its blueprints, commands, subscribers and hooks."""
    for package in FEATURES:
        importlib.import_module(f"{package}.feature").register(app)


def register_error_handlers(app):
    register_api_error_handlers(app)
    app.register_error_handler(CSRFError, render_expired_form)  # a 400, but the more specific handler wins
    app.before_request(reject_unstorable_input)


def init_template_helpers(app):
    @app.template_filter("combine_page")
    def combine_page(args, page):
        """Query arguments with another page number (pager links keep the filters)."""
        return {**{k: v for k, v in args.items() if k != "page"}, "page": page}

    @app.template_filter("duration")
    def duration(seconds):
        """Time spent as people say it: "—", "under a minute", "12 min", "1 h 05 min"."""
        if not seconds:
            return "—"
        if seconds < 60:
            return "under a minute"
        hours, minutes = divmod(seconds // 60, 60)
        return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


def init_security_headers(app):
    add_security_headers(app)


def register_cli(app):
    register_commands(app)
