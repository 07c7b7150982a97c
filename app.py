"""Composition root: ``create_app(config)`` wires the database, the API and the clock.

``python app.py`` serves on 127.0.0.1:5000 (``--host/--port`` or ``HOST/PORT``) using a
SQLite file in ``instance/``, created and migrated on first start.
"""

from __future__ import annotations

import argparse
import gc
import os

from flask import Flask

import diary.startup_gc  # before the app's modules: the collector pauses while they load
from diary.api import init_api
from diary.api.context import close_db
from diary.api.docs import init_docs
from diary.api.guards import init_guards
from diary.api.headers import init_headers
from diary.cli import register_cli
from diary.config import build_config
from diary.db.engine import make_engine, make_session_factory
from diary.exports.job_runner import ExportJobRunner
from diary.runtime import Runtime
from diary.security import PhoneVault, hasher
from diary.timezones import pin_tz_database
from notifications.cli import register_scheduler_cli
from simulation.cli import register_simulation_cli
from web import init_web

diary.startup_gc.loaded()


def create_app(config: dict | None = None) -> Flask:
    pin_tz_database()
    app = Flask(__name__, instance_path=os.environ.get("PAINDIARY_INSTANCE")
                or os.path.join(os.path.dirname(os.path.abspath(__file__)), "instance"))
    app.config.update(build_config(app.instance_path, config))
    engine = make_engine(app.config["DATABASE_URL"])
    runtime = app.extensions["paindiary"] = Runtime(
        config=app.config, engine=engine, session_factory=make_session_factory(engine),
        clock=app.config["CLOCK"], hasher=hasher(app.config["ARGON2_PROFILE"]),
        vault=PhoneVault(app.config["SECRET_KEY"]),
    )
    if app.config.get("TRUSTED_PROXIES"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n)
    # No thread starts until the first job: the runner only holds its settings here.
    runtime.export_jobs = ExportJobRunner(runtime, app.config["EXPORT_JOBS_DIR"],
                                          keep=app.config["EXPORT_JOB_KEEP"],
                                          workers=app.config["EXPORT_JOB_WORKERS"])
    init_guards(app)  # before any view: nesting depth, NUL and lone surrogates
    init_api(app)
    init_docs(app)
    init_web(app)  # the dashboard at /, before the headers every response gets
    init_headers(app)
    app.teardown_appcontext(close_db)
    register_cli(app)
    register_scheduler_cli(app)
    register_simulation_cli(app, create_app)
    if config is None:
        # create_app() without overrides builds the process's own app (flask CLI, gunicorn
        # worker, app.py): what start-up built lives as long as the process, so the cyclic
        # collector stops walking it. Its passes over it cost 0.15-0.4 s at the exit of
        # every CLI command, and ~30 ms each while a command runs (issue 12). Tests and
        # benchmarks pass a config and keep collecting their apps.
        gc.freeze()
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve paindiary (development server).")
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "5000")))
    args = parser.parse_args()
    app = create_app()
    from diary.db.migrate import upgrade

    upgrade(app.extensions["paindiary"].engine)
    app.run(host=args.host, port=args.port)


if __name__ == "__main__":
    main()
