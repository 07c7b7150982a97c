"""The protocol check (issue 13) as authors meet it: ``flask studies check``, study
creation and upgrade refuse names that refer to nothing, each with its path and the near
names, all at once; warnings (licensed wording not supplied) do not refuse."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import MINIMAL_CROSSOVER

PROTOCOLS = Path(__file__).resolve().parents[2] / "protocols"
SHIPPED = sorted(PROTOCOLS.glob("*.yaml"))
BROKEN = MINIMAL_CROSSOVER + """\
  - {key: bpi_d7, instrument: bpi_sff, anchor: infusion, offset: P7D,
     window: {open: -P1D, close: P1D}}
  - {key: ae_d1, instrument: adverse_events, anchor: infusion, offset: P1D,
     window: {open: P0D, close: P2D}}
medication: {table: cdc-2021}
"""
# A licensed instrument (HADS) in a study speaking French and English, French wording only.
WARNED = MINIMAL_CROSSOVER.replace("design: crossover",
                                   "design: crossover\nlanguages: [fr, en]") + """\
  - {key: hads_d7, instrument: hads, anchor: infusion, offset: P7D,
     window: {open: -P1D, close: P1D}}
instrument_texts:
  hads: {fr: {hads_1: "Je me sens tendu(e) ou enerve(e)"}}
"""
HADS_EN = ("instrument_texts.hads.en: hads is licensed and the study gives no wording in "
           "'en': the app shows neutral item labels")


def _check(app, tmp_path, text: str, name: str = "study.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path, app.test_cli_runner().invoke(args=["studies", "check", str(path)])


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_every_shipped_protocol_passes_studies_check(app, path):
    result = app.test_cli_runner().invoke(args=["studies", "check", str(path)])
    assert result.exit_code == 0, result.output
    assert f"{path}: study {path.stem} (" in result.stdout and "is valid" in result.stdout
    assert "error" not in result.output


def test_studies_check_lists_every_broken_name_with_its_path_and_exits_1(app, tmp_path):
    path, result = _check(app, tmp_path, BROKEN)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"Error: {path}: 3 error(s)",
        "  assessments[1].instrument: unknown instrument 'bpi_sff' (did you mean 'bpi_sf'?)",
        "  assessments[2].instrument: 'adverse_events' is a form, not a questionnaire: "
        "write form: adverse_events",
        "  medication.table: unknown conversion table 'cdc-2021' (did you mean 'cdc-2022'?);"
        " shipped: cdc-2022, cdc-2022-anzca-2021",
    ]


def test_studies_check_prints_warnings_and_exits_0(app, tmp_path):
    path, result = _check(app, tmp_path, WARNED)
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [f"{path}: warning: {HADS_EN}"]
    assert result.stdout == f"{path}: study mini-crossover (crossover) is valid, 1 warning(s)\n"


def test_a_yaml_syntax_error_names_the_file_line_and_column(app, tmp_path):
    text = MINIMAL_CROSSOVER.replace("to_day: 35", "to_day: [35")
    path, result = _check(app, tmp_path, text)
    assert result.exit_code == 1
    line = 1 + text.splitlines().index("  late_entry: {days_after: 1, until: \"12:00\"}")
    assert f"{path}, line {line}, column " in result.stderr
    assert "not valid YAML" in result.stderr


@pytest.mark.parametrize("command", [["check"], ["create"], ["upgrade", "mini-crossover"]])
def test_a_file_that_is_not_utf8_is_an_error_not_a_traceback(app, tmp_path, command):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("title: Étude\n".encode("latin-1"))  # É is byte 7 in Latin-1
    result = app.test_cli_runner().invoke(args=["studies", *command, str(path)])
    assert (result.exit_code, result.stderr) == (
        1, f"Error: {path}: not UTF-8 text (byte 7)\n")


def test_studies_create_prints_the_warnings_too(app, tmp_path):
    path = tmp_path / "warned.yaml"
    path.write_text(WARNED, encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["studies", "create", str(path)])
    assert result.exit_code == 0, result.output
    assert f"{path}: warning: {HADS_EN}" in result.stderr
    assert result.stdout.startswith("study mini-crossover created, protocol version 1")


# --- the API ---------------------------------------------------------------------------

def test_creating_a_study_refuses_every_broken_name_at_once(api, admin):
    r = api.upload(admin, BROKEN)
    assert (r.status_code, r.json["code"]) == (422, "invalid_protocol")
    assert r.json["errors"] == {
        "assessments[1].instrument": ["unknown instrument 'bpi_sff' (did you mean "
                                      "'bpi_sf'?)"],
        "assessments[2].instrument": ["'adverse_events' is a form, not a questionnaire: "
                                      "write form: adverse_events"],
        "medication.table": ["unknown conversion table 'cdc-2021' (did you mean "
                             "'cdc-2022'?); shipped: cdc-2022, cdc-2022-anzca-2021"],
    }
    assert api.c.get("/api/v1/studies", headers=api.bearer(admin)).json == []


def test_a_created_study_returns_the_warnings(api, admin):
    r = api.upload(admin, WARNED)
    assert r.status_code == 201, r.json
    path, rule = HADS_EN.split(": ", 1)
    assert r.json["warnings"] == [{"path": path, "rule": rule}]


def test_a_study_without_anything_to_warn_about_returns_no_warnings(api, admin):
    r = api.upload(admin, MINIMAL_CROSSOVER)
    assert (r.status_code, r.json["warnings"]) == (201, [])


def test_an_upgrade_is_checked_the_same_way(api, admin):
    api.create_study(admin, MINIMAL_CROSSOVER)
    url = "/api/v1/studies/mini-crossover/versions"
    r = api.upload(admin, BROKEN, url=url)
    assert (r.status_code, r.json["code"]) == (422, "invalid_protocol")
    assert list(r.json["errors"]) == ["assessments[1].instrument",
                                      "assessments[2].instrument", "medication.table"]
    r = api.upload(admin, WARNED, url=url)
    assert r.status_code == 201, r.json
    assert [w["path"] for w in r.json["warnings"]] == ["instrument_texts.hads.en"]
    assert r.json["current_version"] == 2


def test_a_yaml_error_in_an_upload_names_the_uploaded_file_line_and_column(api, admin):
    r = api.upload(admin, "key: mini\ntitle: [unclosed\n")
    assert r.status_code == 422
    [rule] = r.json["errors"]["protocol"]
    assert rule.startswith("protocol.yaml, line 3, column 1: not valid YAML: ")
