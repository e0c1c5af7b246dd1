"""The Tessera application factory: a short list of named steps."""

import os
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

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
    init_tenancy(app)
    init_auth(app)
    register_blueprints(app)
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
        from app.security.secret_key import instance_secret_key

        app.config["SECRET_KEY"] = instance_secret_key(instance)
    app.config["CONTROL_DATABASE_URL"] = app.config["CONTROL_DATABASE_URL"] or f"sqlite:///{instance / 'control.db'}"
    app.config["TENANT_DATABASE_URL_TEMPLATE"] = (
        app.config["TENANT_DATABASE_URL_TEMPLATE"] or f"sqlite:///{instance / 'tenants' / '{slug}.db'}"
    )
    app.config["SQLALCHEMY_DATABASE_URI"] = app.config["CONTROL_DATABASE_URL"]


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
    from app.api.types import BoundedIntegerConverter

    app.url_map.converters["int"] = BoundedIntegerConverter


def init_extensions(app):
    from app.extensions import api, csrf, db, migrate
    from app.tenancy.engines import configure_sqlite

    db.init_app(app)
    with app.app_context():
        if db.engine.url.get_backend_name() == "sqlite":
            configure_sqlite(db.engine)
    migrate.init_app(app, db, directory=str(CONTROL_MIGRATIONS))
    csrf.init_app(app)
    api.init_app(app)


def init_tenancy(app):
    from app.tenancy.resolution import init_tenancy as init

    init(app)


def init_auth(app):
    """Sessions and rate limits; after tenancy, so that both know the tenant of the request."""
    from app.security.rate_limits import init_rate_limits
    from app.security.sessions import init_sessions

    init_sessions(app)
    init_rate_limits(app)


def register_blueprints(app):
    from app.extensions import api, csrf
    from blueprints.api_keys.api import blp as api_keys_api
    from blueprints.api_keys.views import bp as api_keys_pages
    from blueprints.auth.api import blp as auth_api
    from blueprints.auth.views import bp as auth_pages
    from blueprints.branches.api import blp as branches_api
    from blueprints.branches.views import bp as branch_pages
    from blueprints.classes.api import blp as classes_api
    from blueprints.classes.views import bp as class_pages
    from blueprints.courses.api import blp as courses_api
    from blueprints.courses.api import content_blp as content_api
    from blueprints.courses.api import learners_blp as learners_api
    from blueprints.courses.api import media_blp as media_api
    from blueprints.courses.teaching_views import bp as teaching_pages
    from blueprints.courses.views import bp as learning_pages
    from blueprints.home.views import bp as home_pages
    from blueprints.imports.api import blp as imports_api
    from blueprints.organizations.api import blp as organizations_api
    from blueprints.organizations.views import bp as organization_pages
    from blueprints.outbox.views import bp as outbox_pages
    from blueprints.people.views import bp as people_pages
    from blueprints.users.api import blp as users_api

    api_blueprints = (
        auth_api,
        organizations_api,
        branches_api,
        classes_api,
        users_api,
        imports_api,
        api_keys_api,
        courses_api,
        content_api,
        learners_api,
        media_api,
    )
    for blueprint in api_blueprints:
        api.register_blueprint(blueprint)
        csrf.exempt(blueprint)  # bearer tokens and API keys, never cookies: CSRF cannot ride on them
    pages = (
        home_pages,
        auth_pages,
        learning_pages,
        teaching_pages,
        people_pages,
        branch_pages,
        class_pages,
        organization_pages,
        api_keys_pages,
        outbox_pages,
    )
    for blueprint in pages:
        app.register_blueprint(blueprint)


def register_error_handlers(app):
    from app.api.errors import register_error_handlers as register
    from app.api.input_text import reject_unstorable_input

    register(app)
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
    from app.security.headers import init_security_headers as init

    init(app)


def register_cli(app):
    from app.cli import register_commands

    register_commands(app)
