"""The audit trail for an inspector (issue 17): per study or participant, CSV or JSON,
readable without the database, by API (staff who may export) and CLI; audited itself."""

from __future__ import annotations

import csv
import io
import json

import pytest

from diary.audit_export import COLUMNS


@pytest.fixture
def study(api, crossover_source):
    """Two participants at two sites, one with a corrected entry; a blinded study."""
    admin = api.create_admin()
    key = api.create_study(admin, crossover_source)
    api.unblind(admin, key)
    tokens = {}
    for subject, site in (("S1", "PAR"), ("S2", "LYO")):
        code = api.enrol(admin, key, subject_id=subject, site=site, sequence="KP")
        tokens[subject] = api.activate(code["activation_code"])
    assert api.entry(tokens["S1"], "2027-03-01", 5).status_code == 201
    assert api.entry(tokens["S1"], "2027-03-01", 4, reason="typo").status_code == 201
    return admin, key


def _get(api, token, key, **query):
    return api.c.get(f"/api/v1/studies/{key}/audit-trail", headers=api.bearer(token),
                     query_string=query)


def _rows(r) -> list[dict]:
    return list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))


def test_a_participant_trail_as_csv_reads_without_the_database(api, study):
    admin, key = study
    r = _get(api, admin, key, subject="S1")
    assert r.status_code == 200, r.json
    assert r.headers["Content-Disposition"] == \
        f'attachment; filename="{key}_S1_audit_trail.csv"'
    rows = _rows(r)
    assert tuple(rows[0]) == COLUMNS
    assert {row["subject"] for row in rows} == {"S1"}
    correction = next(row for row in rows if row["action"] == "diary_entry.correct")
    assert correction["who"] == "participant S1"
    assert correction["reason"] == "typo"
    assert "score: 5" in correction["before"] and "score: 4" in correction["after"]
    enrol = next(row for row in rows if row["action"] == "participant.enrol")
    assert (enrol["who"], enrol["object"]) == ("admin@site.org", "participant S1")
    assert [row["when"] for row in rows] == sorted(row["when"] for row in rows)


def test_a_study_trail_as_json_holds_every_participant_and_the_study_chain(api, study):
    admin, key = study
    r = _get(api, admin, key, format="json")
    assert r.status_code == 200
    body = json.loads(r.get_data(as_text=True))
    assert body["provenance"]["study"] == key and body["columns"] == list(COLUMNS)
    subjects = {row["subject"] for row in body["records"]}
    assert subjects == {"S1", "S2", None}  # None: the study's own records
    assert any(row["action"] == "study.create" for row in body["records"])
    first = body["records"][0]
    assert set(first) == set(COLUMNS) and len(first["hash"]) == 64


def test_the_export_is_audited(api, study):
    admin, key = study
    _get(api, admin, key, subject="S1")
    r = _get(api, admin, key, format="json")
    records = json.loads(r.get_data(as_text=True))["records"]
    exports = [row for row in records if row["action"] == "audit_trail.export"]
    assert exports[0]["after"]["subject"] == "S1"


def test_blinded_staff_see_masked_codes(api, study):
    admin, key = study
    viewer = api.staff(admin, "viewer@site.org", "viewer", key)
    r = _get(api, viewer, key, subject="S1", format="json")
    assert r.status_code == 200, r.json
    enrol = next(row for row in json.loads(r.get_data(as_text=True))["records"]
                 if row["action"] == "participant.enrol")
    assert enrol["after"]["sequence"] != "KP"
    r = _get(api, admin, key, subject="S1", format="json")
    enrol = next(row for row in json.loads(r.get_data(as_text=True))["records"]
                 if row["action"] == "participant.enrol")
    assert enrol["after"]["sequence"] == "KP"


def test_a_site_limited_role_gets_its_sites_only(api, study):
    admin, key = study
    paris = api.staff(admin, "paris@site.org", "coordinator", key, sites=["PAR"])
    r = _get(api, paris, key, format="json")
    subjects = {row["subject"] for row in json.loads(r.get_data(as_text=True))["records"]}
    assert subjects == {"S1"}
    assert _get(api, paris, key, subject="S2").status_code == 404


@pytest.mark.parametrize("query, field", [
    ({"format": "xlsx"}, "format"),
    ({"subject": ""}, "subject"),
])
def test_bad_arguments_are_refused_by_name(api, study, query, field):
    admin, key = study
    r = _get(api, admin, key, **query)
    assert r.status_code == 422
    assert r.json["field"] == field


def test_a_participant_token_cannot_export(api, study):
    _, key = study
    code = api.enrol(study[0], key, subject_id="S3", site="PAR", sequence="PK")
    token = api.activate(code["activation_code"])
    assert _get(api, token, key).status_code in (403, 404)


def test_the_cli_writes_the_trail(api, app, study, tmp_path):
    _, key = study
    out = tmp_path / "trail.csv"
    result = app.test_cli_runner().invoke(args=["audit", "export", "--study", key,
                                                "--subject", "S2", "-o", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert rows and {row["subject"] for row in rows} == {"S2"}
    assert f"wrote {out}: {len(rows)} records" in result.output
