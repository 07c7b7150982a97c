"""``flask --app app scheduler``: the reminder scheduler's command."""

from __future__ import annotations

import logging

import click
from flask import Flask, current_app


def register_scheduler_cli(app: Flask) -> None:
    @app.cli.command("scheduler")
    @click.option("--once", is_flag=True, help="Run one tick and exit (for cron or tests).")
    @click.option("--interval", type=int, default=None,
                  help="Seconds between ticks (default SCHEDULER_INTERVAL_SECONDS or 60).")
    def scheduler(once: bool, interval: int | None) -> None:
        """Plan reminders and send the outbox: one tick every minute, until stopped."""
        # Imported when run: the planner and the Twilio SDK would slow every start (issue 12).
        from .scheduler import make_dispatcher, run_forever, tick
        from .transport import transport_from_config

        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
        runtime = current_app.extensions["paindiary"]
        if once:
            result = tick(runtime, make_dispatcher(runtime, transport_from_config(
                runtime.config)))
            click.echo(f"planned: {result.planned}\ndispatched: {result.dispatched}"
                       f"\naudit seal: {result.sealed or 'not due'}")
            return
        run_forever(runtime, interval=interval or runtime.config["SCHEDULER_INTERVAL"])
