"""Simulations for administrators (issue 21): pick a shipped protocol, a number of
participants, a seed and replicates; the ``simulate`` command runs in a process of its own
(simulation/background.py) while the page shows its progress (htmx polls the row), then
links its report. Superusers only: a simulation costs the server minutes of CPU."""

from __future__ import annotations

from pathlib import Path

from flask import abort, current_app, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _

from diary.api.context import db, now
from diary.db.models import Account
from diary.errors import Forbidden
from simulation import background
from web import bp
from web.auth import caller
from web.forms import FormState

PROTOCOLS = Path(__file__).resolve().parents[2] / "protocols"
POLL = "2s"
LIMITS = {"participants": (1, 500), "seed": (0, 2**31 - 1), "replicates": (1, 50)}


def _folder() -> Path:
    return Path(current_app.config.get("SIMULATIONS_DIR")
                or Path(current_app.instance_path) / "simulations")


def _superuser():
    who = caller()
    if not who.is_superuser:
        raise Forbidden(_("Simulations are for administrators."))
    return who


def _protocols() -> list[str]:
    return sorted(p.stem for p in PROTOCOLS.glob("*.yaml"))


def _page(form: FormState | None = None, status: int = 200):
    return render_template("simulations.html", runs=background.runs(_folder()),
                           protocols=_protocols(), form=form or FormState(), poll=POLL,
                           limits=LIMITS), status


@bp.route("/simulations")
def simulations():
    _superuser()
    return _page()


@bp.route("/simulations", methods=["POST"])
def start_simulation():
    who = _superuser()
    values = {k: request.form.get(k, "").strip()
              for k in ("protocol", "participants", "seed", "replicates")}
    errors, numbers = {}, {}
    if values["protocol"] not in _protocols():
        errors["protocol"] = _("Choose one of the shipped protocols.")
    for name, (lo, hi) in LIMITS.items():
        text = values[name] or ("1" if name == "replicates" else "")
        if not text.isdigit() or not lo <= int(text) <= hi:
            errors[name] = _("A whole number from %(lo)d to %(hi)d.", lo=lo, hi=hi)
        else:
            numbers[name] = int(text)
    if errors:
        return _page(FormState("simulate", values, errors), 422)
    account = db().get(Account, who.account_id)
    background.start(_folder(), protocol=values["protocol"],
                     requested_by=account.email if account else who.actor.label,
                     requested_at=now(), **numbers)
    return redirect(url_for("web.simulations"))


def _run_folder(name: str) -> Path:
    folder = _folder()
    target = folder / name
    if "/" in name or name.startswith(".") or not (target / "run.json").exists():
        abort(404)
    return target


@bp.route("/simulations/<name>/row")
def simulation_row(name):
    """One run's row as it stands (htmx polls it while the run goes on)."""
    _superuser()
    return render_template("_simulation_row.html", run=background.status(_run_folder(name)),
                           poll=POLL)


@bp.route("/simulations/<name>/report")
def simulation_report(name):
    _superuser()
    report = _run_folder(name) / "output" / "report.html"
    if not report.exists():
        abort(404)
    return send_file(report, mimetype="text/html", max_age=0)
