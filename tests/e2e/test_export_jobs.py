"""Background export jobs: the same file as the direct export, progress, a day's keep,
a restarted server, and who may see which job (issue 15)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from diary.db.audit_models import AuditRecord
from diary.db.export_job_models import ExportJob
from diary.db.models import Study

KEY = "jobs-demo"
PROTOCOL = """
key: jobs-demo
title: Export jobs demo
timezone: Europe/Paris
design: crossover
sites: [PAR, LYO]
treatments: [{key: ketamine}, {key: saline}]
sequences: [{key: KS, treatments: [ketamine, saline]}, {key: SK, treatments: [saline, ketamine]}]
anchors: [{key: infusion, per_period: true}]
daily_diary: {anchor: infusion, from_day: -3, to_day: 7}
endpoints:
  - {key: auc_d1_7, kind: auc, from_day: 1, to_day: 7, ends: carry, min_coverage: 0.1}
  - {key: pain_d7, kind: timepoint, day: 7}
"""
PASSWORD = "correct horse battery"


@pytest.fixture
def study(api, clock):
    """S1 (PAR, ketamine first) and S2 (LYO) with an infusion and a week of diary."""
    admin = api.create_admin()
    api.create_study(admin, PROTOCOL)
    clock.set(datetime(2027, 3, 1, 8, tzinfo=UTC))
    devices = {}
    for subject, site, seq in (("S1", "PAR", "KS"), ("S2", "LYO", "SK")):
        devices[subject] = api.activate(api.enrol(admin, KEY, subject_id=subject, site=site,
                                                  sequence=seq)["activation_code"])
    clock.set(datetime(2027, 3, 1, 10, tzinfo=UTC))
    for subject in devices:
        r = api.event(admin, KEY, subject, type="infusion", period=1,
                      occurred_at="2027-03-01T09:00:00+00:00")
        assert r.status_code == 201, r.json
    for day in range(1, 8):
        clock.set(datetime(2027, 3, 1, 19, tzinfo=UTC) + timedelta(days=day))
        for n, device in enumerate(devices.values()):
            r = api.entry(device, clock.now().date().isoformat(), (day + n) % 11)
            assert r.status_code == 201, r.json
    clock.set(datetime(2027, 3, 10, 12, tzinfo=UTC))
    admin = api.login("admin@site.org", PASSWORD)
    api.unblind(admin, KEY)
    return {"admin": admin}


def _start(api, token, **body):
    return api.c.post(f"/api/v1/studies/{KEY}/export-jobs", headers=api.bearer(token),
                      json=body)


def _finished(api, token, job_id) -> dict:
    """The job once its thread has ended (the runner's own wait, then the API's view)."""
    assert api.app.extensions["paindiary"].export_jobs.wait(job_id, timeout=60)
    r = api.c.get(f"/api/v1/studies/{KEY}/export-jobs/{job_id}", headers=api.bearer(token))
    assert r.status_code == 200, r.json
    return r.json


def _file(api, token, job_id, part="data"):
    """The download, read whole and closed (send_file streams from an open file)."""
    r = api.c.get(f"/api/v1/studies/{KEY}/export-jobs/{job_id}/file?part={part}",
                  headers=api.bearer(token))
    r.get_data()
    r.close()
    return r


def _audit(app, action):
    with app.extensions["paindiary"].session_factory() as s:
        return list(s.scalars(select(AuditRecord).where(AuditRecord.action == action)
                              .order_by(AuditRecord.id)))


def test_a_job_gives_the_same_csv_as_the_direct_export_and_audits_both_steps(api, study):
    admin = study["admin"]
    r = _start(api, admin, layout="wide", format="csv")
    assert r.status_code == 202, r.json
    assert r.json["state"] in ("queued", "running", "done")
    assert r.json["requested_by"] == "admin@site.org"
    job = _finished(api, admin, r.json["id"])
    assert (job["state"], job["phase"], job["progress"]) == ("done", "done", 1.0)
    assert job["masked"] is False and job["sites"] is None
    assert job["expires_at"] == "2027-03-11T12:00:00+00:00"  # finished + one day
    assert [f["part"] for f in job["files"]] == ["data", "dictionary"]
    assert job["files"][0]["name"] == "jobs-demo_wide.csv"
    assert job["provenance"]["protocol_version"] == "1"
    assert job["rows"] == 4  # 2 participants x 2 periods

    got = _file(api, admin, job["id"])
    assert got.status_code == 200
    assert got.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename=jobs-demo_wide.csv' in got.headers["Content-Disposition"]
    assert "protocol_version=1" in got.headers["X-Paindiary-Provenance"]
    direct = api.c.get(f"/api/v1/studies/{KEY}/endpoints?layout=wide&format=csv",
                       headers=api.bearer(admin))
    assert got.get_data() == direct.get_data()
    rows = list(csv.DictReader(io.StringIO(got.get_data(as_text=True))))
    assert {(r["subject"], r["treatment"]) for r in rows if r["period"] == "1"} == {
        ("S1", "ketamine"), ("S2", "saline")}
    dictionary = _file(api, admin, job["id"], "dictionary")
    assert dictionary.status_code == 200
    assert "auc_d1_7" in dictionary.get_data(as_text=True)

    exported = _audit(api.app, "endpoints.export")
    assert exported[0].after["layout"] == "wide" and exported[0].after["format"] == "csv"
    downloads = _audit(api.app, "export_job.download")
    assert [d.after["part"] for d in downloads] == ["data", "dictionary"]
    assert downloads[0].entity_id == job["id"]


def test_an_xlsx_job_opens_with_its_dictionary_and_provenance_sheets(api, study):
    r = _start(api, study["admin"], layout="long", format="xlsx")
    job = _finished(api, study["admin"], r.json["id"])
    assert [f["part"] for f in job["files"]] == ["data"]
    book = load_workbook(io.BytesIO(_file(api, study["admin"], job["id"]).get_data()),
                         read_only=True)
    assert book.sheetnames[-2:] == ["dictionary", "about"]
    about = dict(book["about"].iter_rows(values_only=True))
    assert about["layout"] == "long" and about["study"] == KEY
    # XLSX has no separate dictionary file
    assert _file(api, study["admin"], job["id"], "dictionary").status_code == 404


def test_a_figure_job_draws_the_svg(api, study):
    r = _start(api, study["admin"], format="svg", figure="mean")
    job = _finished(api, study["admin"], r.json["id"])
    assert (job["layout"], job["figure"]) == (None, "mean")
    got = _file(api, study["admin"], job["id"])
    assert got.headers["Content-Type"] == "image/svg+xml"
    assert got.get_data().lstrip().startswith(b"<?xml")


def test_a_job_is_refused_at_once_for_what_the_export_would_refuse(api, study):
    r = _start(api, study["admin"], layout="wide", format="pdf")
    assert (r.status_code, r.json["field"]) == (422, "format")
    r = _start(api, study["admin"], layout="wide", format="csv", extra=1)
    assert (r.status_code, r.json["field"]) == (422, "extra")
    api.create_study(study["admin"], PROTOCOL.replace("jobs-demo", "no-endpoints")
                     .split("endpoints:")[0])
    r = api.c.post("/api/v1/studies/no-endpoints/export-jobs",
                   headers=api.bearer(study["admin"]), json={})
    assert (r.status_code, r.json["field"]) == (422, "layout")
    assert "no endpoints" in r.json["message"]
    with api.app.extensions["paindiary"].session_factory() as s:
        assert s.scalars(select(ExportJob)).all() == []


def test_files_are_deleted_after_a_day_and_the_job_leaves_the_list(api, study, clock):
    admin = study["admin"]
    job = _finished(api, admin, _start(api, admin, format="csv").json["id"])
    folder = api.app.extensions["paindiary"].export_jobs.directory / job["id"]
    assert sorted(p.name for p in folder.iterdir()) == ["jobs-demo_wide.csv",
                                                        "jobs-demo_wide.dictionary.csv"]
    clock.advance(timedelta(hours=23, minutes=59))
    admin = api.login("admin@site.org", PASSWORD)  # tokens last 12 hours
    assert _file(api, admin, job["id"]).status_code == 200
    listed = api.c.get(f"/api/v1/studies/{KEY}/export-jobs", headers=api.bearer(admin))
    assert [j["id"] for j in listed.json] == [job["id"]]

    clock.advance(timedelta(minutes=1))  # exactly one day after it finished
    gone = _file(api, admin, job["id"])
    assert (gone.status_code, gone.json["code"]) == (410, "gone")
    assert not folder.exists()
    r = api.c.get(f"/api/v1/studies/{KEY}/export-jobs/{job['id']}", headers=api.bearer(admin))
    assert (r.json["state"], r.json["files"]) == ("expired", None)
    listed = api.c.get(f"/api/v1/studies/{KEY}/export-jobs", headers=api.bearer(admin))
    assert listed.json == []


def _orphan(app, *, heartbeat: datetime, state="running") -> str:
    """A job another server process started and never finished (it was restarted)."""
    with app.extensions["paindiary"].session_factory() as s:
        study_id = s.scalar(select(Study.id).where(Study.key == KEY))
        job = ExportJob(study_id=study_id, requested_at=heartbeat, layout="wide",
                        format="csv", masked=False, sites=None, state=state, phase="reading",
                        progress=0.4, worker="old-host:4242:deadbeef", heartbeat_at=heartbeat)
        s.add(job)
        s.commit()
        return job.id


def test_a_job_of_a_process_that_stopped_reads_as_failed(api, study, clock):
    admin = study["admin"]
    fresh = _orphan(api.app, heartbeat=clock.now() - timedelta(seconds=30))
    stale = _orphan(api.app, heartbeat=clock.now() - timedelta(minutes=2))
    r = api.c.get(f"/api/v1/studies/{KEY}/export-jobs/{fresh}", headers=api.bearer(admin))
    assert (r.json["state"], r.json["phase"], r.json["progress"]) == ("running", "reading", 0.4)
    r = api.c.get(f"/api/v1/studies/{KEY}/export-jobs/{stale}", headers=api.bearer(admin))
    assert (r.json["state"], r.json["finished_at"]) == ("failed", clock.now().isoformat())
    assert "stopped" in r.json["error"]
    assert _file(api, admin, stale).status_code == 422
    # the list settles every job it shows
    clock.advance(timedelta(minutes=2))
    listed = api.c.get(f"/api/v1/studies/{KEY}/export-jobs", headers=api.bearer(admin))
    assert {j["id"]: j["state"] for j in listed.json} == {fresh: "failed", stale: "failed"}


def test_a_job_this_process_lost_reads_as_failed_at_once(api, study):
    """A job row naming this process that its runner no longer holds (its thread died)."""
    job_id = _orphan(api.app, heartbeat=api.app.extensions["paindiary"].clock.now())
    with api.app.extensions["paindiary"].session_factory() as s:
        s.get(ExportJob, job_id).worker = api.app.extensions["paindiary"].export_jobs.worker
        s.commit()
    r = api.c.get(f"/api/v1/studies/{KEY}/export-jobs/{job_id}",
                  headers=api.bearer(study["admin"]))
    assert r.json["state"] == "failed"


def test_blinded_staff_get_the_masked_export_and_never_an_unmasked_job(api, study):
    admin = study["admin"]
    blinded = api.staff(admin, "blind@site.org", "coordinator", KEY)
    theirs = _finished(api, blinded, _start(api, blinded, format="csv").json["id"])
    assert theirs["masked"] is True
    text = _file(api, blinded, theirs["id"]).get_data(as_text=True)
    assert "ketamine" not in text and "saline" not in text
    assert theirs["provenance"]["allocation"] == "masked codes"

    unmasked = _finished(api, admin, _start(api, admin, format="csv").json["id"])
    r = api.c.get(f"/api/v1/studies/{KEY}/export-jobs/{unmasked['id']}",
                  headers=api.bearer(blinded))
    assert (r.status_code, r.json["code"]) == (404, "not_found")
    r = _file(api, blinded, unmasked["id"])
    assert (r.status_code, r.json["code"]) == (404, "not_found")
    listed = api.c.get(f"/api/v1/studies/{KEY}/export-jobs", headers=api.bearer(blinded))
    assert [j["id"] for j in listed.json] == [theirs["id"]]
    # the unblinded admin may fetch the masked file: it shows less than they may see
    assert _file(api, admin, theirs["id"]).status_code == 200


def test_site_limited_staff_see_only_jobs_within_their_sites(api, study):
    admin = study["admin"]
    paris = api.staff(admin, "paris@site.org", "viewer", KEY, sites=["PAR"])
    mine = _finished(api, paris, _start(api, paris, format="csv").json["id"])
    assert mine["sites"] == ["PAR"]
    rows = list(csv.DictReader(io.StringIO(
        _file(api, paris, mine["id"]).get_data(as_text=True))))
    assert {r["subject"] for r in rows} == {"S1"}
    everything = _finished(api, admin, _start(api, admin, format="csv").json["id"])
    assert _file(api, paris, everything["id"]).status_code == 404
    assert _file(api, admin, mine["id"]).status_code == 200
    outsider = api.staff(admin, "other@site.org", "viewer", "jobs-demo", sites=["LYO"])
    assert api.c.get(f"/api/v1/studies/{KEY}/export-jobs/{mine['id']}",
                     headers=api.bearer(outsider)).status_code == 404


def test_a_job_that_fails_says_why_and_leaves_no_files(api, study, monkeypatch):
    import diary.exports.service as service

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(service, "export_endpoints", broken)
    job = _finished(api, study["admin"], _start(api, study["admin"], format="csv").json["id"])
    assert (job["state"], job["files"]) == ("failed", None)
    assert "disk on fire" not in job["error"] and "failed on the server" in job["error"]
    assert not (api.app.extensions["paindiary"].export_jobs.directory / job["id"]).exists()


def test_another_reader_sees_the_phase_and_progress_the_runner_writes(api, study,
                                                                       monkeypatch):
    """The heartbeat writes the running job's phase and progress to the table, where a
    page in another process reads them; an export refused midway fails with its reason."""
    import threading

    import diary.exports.job_runner as job_runner
    import diary.exports.service as service
    from diary.errors import RuleViolation

    monkeypatch.setattr(job_runner, "HEARTBEAT_SECONDS", 0.02)
    halfway, release = threading.Event(), threading.Event()

    def slow(session, principal, key, *, layout, fmt, now, progress):
        progress(1, 2)
        halfway.set()
        release.wait(10)
        raise RuleViolation("the protocol changed meanwhile", field="layout")

    monkeypatch.setattr(service, "export_endpoints", slow)
    job_id = _start(api, study["admin"], format="csv").json["id"]
    assert halfway.wait(10)
    engine = api.app.extensions["paindiary"].engine
    seen = None
    for _ in range(500):  # the ticker writes within a few of its 20 ms periods
        with engine.connect() as conn:
            seen = conn.execute(select(ExportJob.state, ExportJob.phase, ExportJob.progress)
                                .where(ExportJob.id == job_id)).one()
        if seen.progress > 0:
            break
        threading.Event().wait(0.02)
    assert tuple(seen) == ("running", "reading", 0.4)  # 0.8 of the bar is reading
    release.set()
    job = _finished(api, study["admin"], job_id)
    assert (job["state"], job["error"]) == ("failed", "the protocol changed meanwhile")


def test_the_purge_command_deletes_expired_files(api, study, clock):
    job = _finished(api, study["admin"], _start(api, study["admin"], format="csv").json["id"])
    folder = api.app.extensions["paindiary"].export_jobs.directory / job["id"]
    runner = api.app.test_cli_runner()
    assert runner.invoke(args=["export", "purge"]).output == "0 expired export job(s) purged\n"
    assert folder.exists()
    clock.advance(timedelta(days=1))
    assert runner.invoke(args=["export", "purge"]).output == "1 expired export job(s) purged\n"
    assert not folder.exists()


def test_each_forked_process_names_itself_anew(app, monkeypatch):
    """A worker forked after create_app (gunicorn --preload) must not share its parent's
    name, or it would take the parent's running jobs for its own lost ones."""
    import os

    runner = app.extensions["paindiary"].export_jobs
    parent = runner.worker
    assert runner.worker == parent
    monkeypatch.setattr(os, "getpid", lambda: -4242)
    child = runner.worker
    assert child != parent and ":-4242:" in child
