"""Intention to treat and compliance from enrolment, through the export (issue 13)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

PROTOCOL = """
key: itt-demo
title: ITT demo
timezone: Europe/Paris
design: parallel
sites: [PAR]
arms: [{key: A}, {key: B}]
anchors: [{key: surgery}]
daily_diary: {anchor: surgery, from_day: -7, to_day: 42}
endpoints:
  - {key: pain_d0, kind: timepoint, day: 0}
  - {key: compliance, kind: compliance, from_day: -7, to_day: 42}
"""
KEY = "itt-demo"


def _csv(api, token, layout):
    r = api.c.get(f"/api/v1/studies/{KEY}/endpoints?layout={layout}&format=csv",
                  headers=api.bearer(token))
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    return list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))


def test_day_0_counts_and_a_participant_without_surgery_keeps_a_row(api, clock):
    # Tue 2 March 2027: both enrolled in the morning; S1 operated, S2 not (yet).
    clock.set(datetime(2027, 3, 2, 7, tzinfo=UTC))
    admin = api.create_admin()
    api.create_study(admin, PROTOCOL)
    api.unblind(admin, KEY)  # the arms as allocated, not masked codes
    device = api.activate(api.enrol(admin, KEY, subject_id="S1", site="PAR",
                                    arm="A")["activation_code"])
    api.enrol(admin, KEY, subject_id="S2", site="PAR", arm="B")
    clock.set(datetime(2027, 3, 2, 9, tzinfo=UTC))
    assert api.event(admin, KEY, "S1", type="surgery",
                     occurred_at="2027-03-02T08:00:00+00:00").status_code == 201
    clock.set(datetime(2027, 3, 2, 18, tzinfo=UTC))
    assert api.entry(device, "2027-03-02", 7).status_code == 201     # day 0, filled on day 0

    wide = {r["subject"]: r for r in _csv(api, admin, "wide")}
    # Enrolled on day 0: days -7..-1 were never asked for; day 0 is due and done.
    assert wide["S1"]["compliance"] == str(100 * 1 / 1)
    assert wide["S1"]["pain_d0_reason"] == "pending: window ends day 0, today is day 0"
    assert (wide["S2"]["treatment"], wide["S2"]["period"], wide["S2"]["anchor_date"]) == (
        "B", "1", "")
    for key in ("pain_d0", "compliance"):
        assert wide["S2"][key] == ""
        assert wide["S2"][f"{key}_reason"] == "no surgery recorded"
    long = [r for r in _csv(api, admin, "long") if r["USUBJID"] == "S2"]
    assert [(r["PARAMCD"], r["AVAL"], r["REASON"]) for r in long] == [
        ("PAIND0", "", "no surgery recorded"), ("COMPLIAN", "", "no surgery recorded")]

    # Thursday (day 2), day 1 was missed: days 0 and 1 due, one done.
    clock.set(datetime(2027, 3, 4, 10, tzinfo=UTC))
    admin = api.login("admin@site.org", "correct horse battery")
    wide = {r["subject"]: r for r in _csv(api, admin, "wide")}
    assert (wide["S1"]["compliance"], wide["S1"]["pain_d0"]) == (str(100 * 1 / 2), "7.0")
