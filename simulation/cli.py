"""``flask --app app simulate PROTOCOL --participants N --seed S --out DIR``: a whole
trial in a sandbox, on an injected clock, through the real API and scheduler."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

import click
from flask import Flask


def register_simulation_cli(app: Flask, factory: Callable[[dict], Flask]) -> None:
    """``factory`` builds the sandbox's own app (app.create_app): the command never
    touches the database the CLI was started with."""

    @app.cli.command("simulate")
    @click.argument("protocol")
    @click.option("--participants", "-n", type=click.IntRange(1, 100000), default=20,
                  show_default=True)
    @click.option("--seed", type=int, default=1, show_default=True)
    @click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path),
                  required=True, help="Directory for the tables, figures and report.")
    @click.option("--replicates", type=click.IntRange(1, 10000), default=1,
                  show_default=True, help="Trials to run for an empirical power.")
    @click.option("--models", "models_file", type=click.Path(exists=True, dir_okay=False),
                  help="Behaviour models (YAML) over the defaults (simulation/models.py).")
    @click.option("--price-per-segment", type=click.FloatRange(0), default=None,
                  help="SMS price per segment [default: the models' 0.0083].")
    @click.option("--database-url", default=None,
                  help="An empty PostgreSQL database for the sandbox [default: a SQLite "
                       "file in DIR/sandbox/]; never the app's own.")
    @click.option("--language", default="en", show_default=True,
                  help="Language of the report (a catalog in web/translations).")
    def simulate_command(protocol: str, participants: int, seed: int, out: Path,
                         replicates: int, models_file: str | None,
                         price_per_segment: float | None, database_url: str | None,
                         language: str) -> None:
        """Simulate PROTOCOL (a file, or a shipped protocol's key) with synthetic people.

        Writes the endpoint tables (every layout and format), figures, reminder traffic,
        compliance and report.html into DIR; the same seed gives the same files."""
        from .models import ModelsError, load_models
        from .run import run
        from .sandbox import ApiError

        if database_url and database_url == app.config.get("DATABASE_URL"):
            raise click.ClickException("--database-url: must not be the app's own database")
        try:
            models = load_models(models_file)
        except ModelsError as exc:
            raise click.ClickException(f"{models_file}: {exc}") from None
        started, shown = time.perf_counter(), [""]

        def progress(stage: str, fraction: float) -> None:
            line = f"\r{stage}: {10 * int(10 * fraction):3d} %"
            if line != shown[0] and (not shown[0].startswith(f"\r{stage}:")
                                     or line > shown[0]):
                shown[0] = line
                click.echo(line, nl=False, err=True)

        try:
            result = run(factory, protocol, out, models, participants=participants,
                         seed=seed, replicates=replicates, price=price_per_segment,
                         database_url=database_url, locale=language, progress=progress)
        except FileNotFoundError as exc:
            raise click.ClickException(str(exc)) from None
        except ApiError as exc:  # a setup step (e.g. a --database-url that is not empty)
            raise click.ClickException(f"the sandbox refused a setup step: {exc}") from None
        click.echo("", err=True)
        trial = result.trial
        click.echo(f"{trial.protocol.key}: {len(trial.people)} participants, "
                   f"{trial.started.date()} to {trial.ended.date()}, "
                   f"{sum(trial.counts.values())} actions, {len(trial.refusals)} refused")
        if result.difference is not None and result.difference.estimate is not None:
            d = result.difference
            p = ("= NA" if d.p_value is None else "< 0.001" if d.p_value < 0.001
                 else f"= {d.p_value:.3f}")
            click.echo(f"primary difference {d.contrast}: {d.estimate:.1f} (p {p})")
        click.echo(f"wrote {len(result.files)} files to {out}; open {out / 'report.html'}")
        click.echo(f"took {time.perf_counter() - started:.1f} s", err=True)
        sys.stdout.flush()
