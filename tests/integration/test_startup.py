"""Start-up stays light: the app and its CLI load no heavy library before it is used.

Every ``flask --app app ...`` command and every gunicorn worker imports the app; numpy,
pandas, openpyxl, fhir.resources, the Twilio SDK and the rest cost about a second there
together (issue 12). Each is imported where it is used (an export, a FHIR response, the
scheduler, a webhook). Run in a fresh interpreter, since this test process has them all.
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app import create_app

ROOT = Path(__file__).resolve().parents[2]

# Top-level packages of the libraries start-up does without (matplotlib draws the
# endpoint figures only: imported when one is drawn, never by the app or a command).
HEAVY = ("numpy", "pandas", "pyreadstat", "openpyxl", "fhir", "fhir_core", "pydantic",
         "twilio", "requests", "matplotlib", "alembic", "apscheduler", "phonenumbers",
         "cryptography")

START_APP = "import app; app.create_app()"
# What `flask --app app --help` does: load the app through Flask's CLI, list its commands.
START_CLI = """
import sys
from flask.cli import main
sys.argv = ["flask", "--app", "app", "--help"]
try:
    main()
except SystemExit:
    pass
"""
REPORT = """
import json, sys
print("\\nLOADED", json.dumps(sorted({m.split(".")[0] for m in sys.modules})))
"""


def _run(code: str, tmp_path: Path) -> str:
    """The standard output of ``code`` run in a fresh interpreter, as ``flask`` would be."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "FLASK_"))}
    env.update(PAINDIARY_INSTANCE=str(tmp_path), SECRET_KEY="startup-test-" + "x" * 32,
               DATABASE_URL=f"sqlite:///{tmp_path / 'startup.sqlite3'}")
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=True).stdout


def _loaded_after(code: str, tmp_path: Path) -> set[str]:
    out = _run(code + REPORT, tmp_path)
    return set(json.loads(out.rsplit("\nLOADED ", 1)[1]))


@pytest.mark.parametrize("code", [START_APP, START_CLI], ids=["create_app", "flask_cli"])
def test_starting_the_app_imports_no_heavy_library(code, tmp_path):
    loaded = _loaded_after(code, tmp_path)
    assert "diary" in loaded and "flask" in loaded  # it did start
    assert sorted(loaded.intersection(HEAVY)) == []


def test_the_check_sees_a_heavy_library_that_is_imported(tmp_path):
    loaded = _loaded_after(START_APP + "\nimport diary.exports.files", tmp_path)
    assert {"numpy", "scoring"} <= loaded


def test_the_process_s_own_app_leaves_its_start_up_objects_to_no_collector_pass(tmp_path):
    """`import app` freezes its modules (diary/startup_gc.py) and create_app() (flask CLI,
    gunicorn) what building the app made: the collector's passes over them cost 0.15-0.4 s
    at every command's exit. The collector is on again afterwards."""
    code = ("import gc, app\nloaded = gc.get_freeze_count()\napp.create_app()\n"
            "print('\\nFROZEN', loaded, gc.get_freeze_count(), gc.isenabled())")
    loaded, built, enabled = _run(code, tmp_path).rsplit("\nFROZEN ", 1)[1].split()
    assert int(loaded) > 10_000 and int(built) > int(loaded) + 1_000
    assert enabled == "True"


def test_an_app_built_with_a_config_freezes_nothing_and_leaves_the_collector_on(
        database_url):
    frozen = gc.get_freeze_count()
    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "x" * 32,
                      "ARGON2_PROFILE": "cheap"})
    app.extensions["paindiary"].engine.dispose()
    assert gc.get_freeze_count() <= frozen  # frozen objects can still be freed
    assert gc.isenabled()
