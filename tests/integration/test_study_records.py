"""A study's diary as scoring input: anchors, overlapping periods, corrections, sites."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest

from diary.db.models import AnchorEvent, DiaryEntry, Participant
from diary.exports.records import load_study_records
from diary.services.principals import cli_principal
from diary.services.studies import create_study, protocol_of

PROTOCOL = """
key: three-periods
title: Three-period crossover
timezone: America/Chicago
design: crossover
sites: [CHI, MKE]
treatments: [{key: K}, {key: KM}, {key: P}]
sequences: [{key: ABC, treatments: [K, KM, P]}, {key: CBA, treatments: [P, KM, K]}]
anchors: [{key: infusion, per_period: true}]
daily_diary: {anchor: infusion, from_day: -7, to_day: 35}
endpoints:
  - {key: baseline, kind: baseline, from_day: -7, to_day: -1, min_days: 4}
  - {key: auc_d1_35, kind: auc, from_day: 1, to_day: 35, ends: carry, min_coverage: 0.8}
"""
NOW = datetime(2027, 9, 1, 12, tzinfo=UTC)
INFUSIONS = [date(2027, 3, 1), date(2027, 4, 5), date(2027, 5, 10)]  # 35 days apart


@pytest.fixture
def session(app):
    with app.extensions["paindiary"].session_factory() as s:
        yield s


@pytest.fixture
def study(session):
    study, version, _ = create_study(session, cli_principal(), source=PROTOCOL, now=NOW)
    return study, protocol_of(version)


def _participant(session, study, subject, site, sequence, scores):
    p = Participant(study_id=study.id, subject_id=subject, site=site, sequence=sequence,
                    timezone="America/Chicago", language="en", reminder_time="20:00",
                    enrolled_at=datetime(2027, 2, 1, tzinfo=UTC))
    session.add(p)
    session.flush()
    for period, day in enumerate(INFUSIONS, start=1):
        # 15:00 UTC is 09:00 (CST) or 10:00 (CDT) in Chicago: the local date is `day`.
        session.add(AnchorEvent(participant_id=p.id, type="infusion", period=period,
                                occurred_at=datetime.combine(day, datetime.min.time(), UTC)
                                + timedelta(hours=15), recorded_at=NOW))
    for n, (day, score) in enumerate(scores.items()):
        session.add(DiaryEntry(participant_id=p.id, diary_date=day, score=score,
                               client_id=f"{subject}-{n}", received_at=NOW, channel="app"))
    session.commit()
    return p


def test_each_period_is_a_record_with_its_treatment_and_anchor(session, study):
    s, protocol = study
    _participant(session, s, "S1", "CHI", "ABC", {})
    _participant(session, s, "S2", "MKE", "CBA", {})
    data = load_study_records(session, s.id, protocol, now=NOW)
    assert [(r.subject, r.period, r.treatment, r.anchor_date) for r in data.records] == [
        ("S1", 1, "K", INFUSIONS[0]), ("S1", 2, "KM", INFUSIONS[1]), ("S1", 3, "P", INFUSIONS[2]),
        ("S2", 1, "P", INFUSIONS[0]), ("S2", 2, "KM", INFUSIONS[1]), ("S2", 3, "K", INFUSIONS[2]),
    ]
    assert data.matrix.values.shape == (6, 35 - (-7) + 1)


def test_a_day_shared_by_two_periods_counts_in_both(session, study):
    s, protocol = study
    shared = INFUSIONS[1] - timedelta(days=1)  # day 34 of period 1 and day -1 of period 2
    _participant(session, s, "S1", "CHI", "ABC", {shared: 7})
    data = load_study_records(session, s.id, protocol, now=NOW, with_entry_ids=True)
    first = data.matrix.first_day
    assert data.matrix.values[0, 34 - first] == 7
    assert data.matrix.values[1, -1 - first] == 7
    assert np.count_nonzero(~np.isnan(data.matrix.values)) == 2
    assert data.entries == 1


def test_only_current_versions_count(session, study):
    s, protocol = study
    p = _participant(session, s, "S1", "CHI", "ABC", {INFUSIONS[0] + timedelta(days=1): 8})
    old = session.query(DiaryEntry).one()
    old.is_current = False
    session.add(DiaryEntry(participant_id=p.id, diary_date=old.diary_date, score=3,
                           client_id="fix", received_at=NOW, channel="app", version=2,
                           supersedes_id=old.id, reason="typo"))
    session.commit()
    data = load_study_records(session, s.id, protocol, now=NOW)
    assert data.matrix.values[0, 1 - data.matrix.first_day] == 3


def test_site_scoping_limits_the_records(session, study):
    s, protocol = study
    _participant(session, s, "S1", "CHI", "ABC", {})
    _participant(session, s, "S2", "MKE", "CBA", {})
    data = load_study_records(session, s.id, protocol, now=NOW, sites=("MKE",))
    assert {r.subject for r in data.records} == {"S2"}


def test_today_and_withdrawal_days_follow_the_participants_zone(session, study):
    s, protocol = study
    p = _participant(session, s, "S1", "CHI", "ABC", {})
    p.withdrawn_at = datetime(2027, 4, 10, 3, tzinfo=UTC)  # still 9 April in Chicago
    session.commit()
    data = load_study_records(session, s.id, protocol, now=datetime(2027, 4, 12, 3, tzinfo=UTC))
    # The third infusion came after the withdrawal: its record (kept, intention to
    # treat) has no anchor and says why.
    assert [r.period for r in data.records] == [1, 2, 3]
    assert [r.missing for r in data.records] == [
        None, None, "infusion recorded for period 3, but no diary day of it falls between "
                    "enrolment and withdrawal"]
    # 11 April in Chicago: day (11 Apr - 1 Mar) = 41 of period 1; the stop is 9 April.
    assert [(r.today_day, r.stop_day) for r in data.records] == [(41, 39), (6, 4),
                                                                 (None, None)]
