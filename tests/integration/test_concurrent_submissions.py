"""Racing submissions: retries never make a second row, two first entries never both win.

On PostgreSQL the requests really overlap (the unique indexes decide); on SQLite the
``BEGIN IMMEDIATE`` write lock queues them. Both must give the same answers.
"""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from diary.db.models import DiaryEntry

RACERS = 8


@pytest.fixture
def device(api, crossover_source):
    admin = api.create_admin()
    study = api.create_study(admin, crossover_source)
    code = api.enrol(admin, study, subject_id="S1", site="PAR", sequence="KP")["activation_code"]
    return api.activate(code)


def _race(app, bodies, token):
    barrier = threading.Barrier(len(bodies))

    def submit(body):
        client = app.test_client()
        barrier.wait()
        return client.post("/api/v1/me/diary-entries", json=body,
                           headers={"Authorization": f"Bearer {token}"})

    with ThreadPoolExecutor(len(bodies)) as pool:
        return list(pool.map(submit, bodies))


def _rows(app):
    with app.extensions["paindiary"].session_factory() as s:
        return s.scalar(select(func.count()).select_from(DiaryEntry))


def _body(client_id, score=5):
    return {"diary_date": "2027-03-01", "score": score, "client_id": client_id,
            "device_time": "2027-03-01T18:00:00+01:00"}


def test_concurrent_retries_of_one_submission_store_one_row(app, device):
    client_id = str(uuid.uuid4())
    responses = _race(app, [_body(client_id)] * RACERS, device)
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * (RACERS - 1) + [201]
    assert len({r.json["id"] for r in responses}) == 1
    assert _rows(app) == 1


def test_concurrent_first_entries_for_one_day_let_exactly_one_win(app, device):
    bodies = [_body(str(uuid.uuid4()), score=n) for n in range(RACERS)]
    responses = _race(app, bodies, device)
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * (RACERS - 1)
    losers = {r.json["code"] for r in responses if r.status_code == 409}
    assert losers <= {"correction_needs_reason", "concurrent_change"}
    assert _rows(app) == 1


def test_concurrent_corrections_leave_one_current_version(app, device, api):
    assert api.entry(device, "2027-03-01", 5).status_code == 201
    bodies = [{**_body(str(uuid.uuid4()), score=n), "reason": f"fix {n}"} for n in range(4)]
    responses = _race(app, bodies, device)
    created = [r for r in responses if r.status_code == 201]
    assert len(created) >= 1
    assert all(r.status_code in (201, 409) for r in responses)
    with app.extensions["paindiary"].session_factory() as s:
        current = s.scalars(select(DiaryEntry).where(DiaryEntry.is_current.is_(True))).all()
        versions = sorted(s.scalars(select(DiaryEntry.version)))
    assert len(current) == 1
    assert versions == list(range(1, len(created) + 2))  # an unbroken chain of versions
