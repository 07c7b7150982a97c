"""The export's bulk read of current scores: day numbers computed by the database, one row
per participant or per entry, and the placing on each period's study days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import select

from diary.db.models import AnchorEvent, DiaryEntry, Participant
from diary.exports.entries import epoch_day, read_scores
from diary.exports.records import load_study_records
from diary.services.principals import cli_principal
from diary.services.studies import create_study, protocol_of
from diary.timezones import local_date, zone

PROTOCOL = """
key: two-zones
title: Crossover across time zones
timezone: Europe/London
design: crossover
sites: [AKL, LAX]
treatments: [{key: A}, {key: B}]
sequences: [{key: AB, treatments: [A, B]}, {key: BA, treatments: [B, A]}]
anchors: [{key: infusion, per_period: true}]
daily_diary: {anchor: infusion, from_day: -7, to_day: 35}
endpoints:
  - {key: baseline, kind: baseline, from_day: -7, to_day: -1, min_days: 4}
  - {key: auc_d1_35, kind: auc, from_day: 1, to_day: 35, ends: carry, min_coverage: 0.8}
"""
NOW = datetime(2028, 1, 10, 12, tzinfo=UTC)
EPOCH = date(1970, 1, 1)
# Infusions at 23:30 UTC: already the next day in Auckland, still the same day in Los
# Angeles, so the same instants give anchor dates a day apart. Period 1 (days -7..35) spans
# the US clock change of 14 March 2027 and New Zealand's of 4 April; period 2 New
# Zealand's of 26 September.
INFUSIONS = [datetime(2027, 3, 1, 23, 30, tzinfo=UTC), datetime(2027, 9, 10, 23, 30, tzinfo=UTC)]


@pytest.fixture
def session(app):
    with app.extensions["paindiary"].session_factory() as s:
        yield s


@pytest.fixture
def study(session):
    study, version, _ = create_study(session, cli_principal(), source=PROTOCOL, now=NOW)
    return study, protocol_of(version)


def _participant(session, study, subject, site, tz, scores, corrected, *, withdrawn_at=None):
    """A participant with both infusions and a score on each of ``scores``' local dates;
    the entry of date ``corrected`` has two versions, the first superseded."""
    p = Participant(study_id=study.id, subject_id=subject, site=site, sequence="AB",
                    timezone=tz, language="en", reminder_time="20:00",
                    enrolled_at=datetime(2027, 2, 1, tzinfo=UTC), withdrawn_at=withdrawn_at)
    session.add(p)
    session.flush()
    for period, at in enumerate(INFUSIONS, start=1):
        session.add(AnchorEvent(participant_id=p.id, type="infusion", period=period,
                                occurred_at=at, recorded_at=NOW))
    for n, (day, score) in enumerate(scores.items()):
        entry = DiaryEntry(participant_id=p.id, diary_date=day, score=score,
                           client_id=f"{subject}-{n}", received_at=NOW, channel="app")
        if day == corrected:
            old = DiaryEntry(participant_id=p.id, diary_date=day, score=(score + 5) % 11,
                             client_id=f"{subject}-old", received_at=NOW, channel="app",
                             is_current=False)
            session.add(old)
            session.flush()
            entry.version, entry.supersedes_id, entry.reason = 2, old.id, "typo"
        session.add(entry)
    session.commit()
    return p


def _daily(first: date, last: date) -> dict[date, int]:
    """A score on every date from ``first`` to ``last``: (day of the year) mod 11."""
    return {first + timedelta(k): (first + timedelta(k)).timetuple().tm_yday % 11
            for k in range((last - first).days + 1)}


@pytest.fixture
def two_zones(session, study):
    s, _ = study
    # Each corrects its day 1 of period 1.
    akl = _participant(session, s, "AKL-1", "AKL", "Pacific/Auckland",
                       _daily(date(2027, 2, 20), date(2027, 10, 20)), date(2027, 3, 3))
    # Withdrawn on 1 May 2027 in Los Angeles, before the second infusion: one period.
    lax = _participant(session, s, "LAX-1", "LAX", "America/Los_Angeles",
                       _daily(date(2027, 2, 20), date(2027, 5, 1)), date(2027, 3, 2),
                       withdrawn_at=datetime(2027, 5, 2, 6, tzinfo=UTC))
    return akl, lax


@pytest.mark.parametrize("day", [
    date(1969, 12, 31), EPOCH, date(2000, 2, 29), date(2027, 3, 14), date(2027, 3, 28),
    date(2027, 4, 4), date(2027, 9, 26), date(2027, 10, 31), date(2027, 11, 7),
    date(2099, 12, 31)])
def test_the_database_numbers_a_date_as_python_does(session, day):
    # Clock-change dates included: a diary date is a calendar date, no zone enters.
    assert session.scalar(select(epoch_day(day))) == (day - EPOCH).days


def _current(session):
    return session.scalars(select(DiaryEntry).where(DiaryEntry.is_current.is_(True))).all()


def test_both_reads_give_the_current_scores_by_participant_and_date(session, study, two_zones):
    s, _ = study
    akl, lax = two_zones
    number = {akl.id: 0, lax.id: 1}
    want = {(number[e.participant_id], (e.diary_date - EPOCH).days, float(e.score))
            for e in _current(session)}
    for with_ids in (False, True):
        got = read_scores(session, s.id, [akl.id, lax.id], with_ids=with_ids)
        assert len(got.day) == len(want)  # superseded versions left out
        assert set(zip(got.participant.tolist(), got.day.tolist(), got.score.tolist(),
                       strict=True)) == want
    got = read_scores(session, s.id, [lax.id, akl.id], with_ids=True)
    by_id = {e.id: e for e in _current(session)}
    assert [(by_id[i].participant_id, (by_id[i].diary_date - EPOCH).days)
            for i in got.ids.tolist()] == [([lax.id, akl.id][n], d) for n, d in
                                           zip(got.participant.tolist(), got.day.tolist(),
                                               strict=True)]


def test_participants_not_listed_are_left_out_and_progress_counts_what_is_read(
        session, study, two_zones):
    """Progress counts the listed participants (one grouped row each), or every entry
    when entry ids are read one row per entry."""
    s, _ = study
    akl, _ = two_zones
    total = len(_current(session))
    mine = sum(e.participant_id == akl.id for e in _current(session))
    for with_ids, last in ((False, (1, 1)), (True, (total, total))):
        seen: list[tuple[int, int]] = []
        got = read_scores(session, s.id, [akl.id], with_ids=with_ids,
                          progress=lambda done, of, seen=seen: seen.append((done, of)))
        assert got.participant.tolist() == [0] * mine
        assert seen[-1] == last


def _expected_matrix(session, data, protocol_span=(-7, 35)):
    """The matrix by hand: each current entry on every record whose anchor puts its date
    within the endpoint days, computed with Python dates."""
    first, last = protocol_span
    out = np.full((len(data.records), last - first + 1), np.nan)
    subject_of = {p.id: p.subject_id for p in session.scalars(select(Participant))}
    for e in session.scalars(select(DiaryEntry).where(DiaryEntry.is_current.is_(True))):
        for i, r in enumerate(data.records):
            if r.anchor_date is None:  # a record without its anchor (ITT) holds no entry
                continue
            day = (e.diary_date - r.anchor_date).days
            if r.subject == subject_of[e.participant_id] and first <= day <= last:
                out[i, day - first] = e.score
    return out


@pytest.mark.parametrize("with_ids", [False, True])
def test_entries_land_on_the_study_days_of_each_zone_s_anchor(session, study, two_zones,
                                                               with_ids):
    s, protocol = study
    akl, lax = two_zones
    data = load_study_records(session, s.id, protocol, now=NOW, with_entry_ids=with_ids)
    # The same instants are a day apart as local anchor dates.
    anchors = {(r.subject, r.period): r.anchor_date for r in data.records}
    assert anchors == {
        ("AKL-1", 1): local_date(INFUSIONS[0], zone("Pacific/Auckland")),   # 2 March
        ("AKL-1", 2): local_date(INFUSIONS[1], zone("Pacific/Auckland")),   # 11 September
        ("LAX-1", 1): local_date(INFUSIONS[0], zone("America/Los_Angeles")),  # 1 March
        ("LAX-1", 2): None,  # withdrawn before its second infusion: kept (ITT), no anchor
    }
    assert anchors["AKL-1", 1] - anchors["LAX-1", 1] == timedelta(1)
    np.testing.assert_array_equal(data.matrix.values, _expected_matrix(session, data))
    # Day 1 of period 1 holds the correction's score, not the superseded one's.
    for subject, day1 in (("AKL-1", date(2027, 3, 3)), ("LAX-1", date(2027, 3, 2))):
        row = [(r.subject, r.period) for r in data.records].index((subject, 1))
        assert data.matrix.values[row, 1 - data.matrix.first_day] == day1.timetuple(
        ).tm_yday % 11
    # Withdrawn on 1 May (day 61): period 1 complete, the data up to then kept.
    lax = [r for r in data.records if r.subject == "LAX-1"]
    assert [r.stop_day for r in lax] == [(date(2027, 5, 1) - date(2027, 3, 1)).days, None]
    assert [r.missing for r in lax] == [None, "infusion recorded for period 2, but no diary "
                                              "day of it falls between enrolment and withdrawal"]
    if with_ids:
        current = {e.id for e in _current(session)}
        placed = {x for x in data.matrix.entry_ids.ravel().tolist() if x is not None}
        assert placed <= current and len(placed) == data.entries


def test_sqlite_reads_the_grouped_scores_through_the_covering_index(session, study):
    """The planner ties the covering index with the unique (participant, date) one and took
    the unique one once migration 0006 rebuilt the table: 2.5 s instead of 0.3 s at 1.2 M
    entries. The grouped read names its index, so the plan cannot drift again."""
    if session.get_bind().dialect.name != "sqlite":
        pytest.skip("INDEXED BY is SQLite's; PostgreSQL plans with its own statistics")
    from sqlalchemy import func

    from diary.exports import entries

    stmt = (select(DiaryEntry.participant_id, func.count())
            .where(entries.CURRENT).group_by(DiaryEntry.participant_id))
    connection = session.connection()
    sql, params = entries.indexed_sql(connection, stmt, entries.COVERING_INDEX)
    plan = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params).all()
    assert any(f"USING INDEX {entries.COVERING_INDEX}" in row[-1] for row in plan), plan
