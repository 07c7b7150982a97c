"""How long ``audit verify`` takes (chains, seals and the cross-check of the clinical
tables) for a study of N participants with D daily entries each.

    .venv/bin/python bench/audit_verify.py --participants 500 --days 60
    .venv/bin/python bench/audit_verify.py --database-url postgresql://postgres@127.0.0.1/x

Participants are enrolled through the API; their entries are written as the diary
service writes them (the row and its audit record, one transaction per participant),
then one seal is signed. Prints the counts and the seconds of each part.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select  # noqa: E402

from app import create_app  # noqa: E402
from diary import audit  # noqa: E402
from diary.audit_crosscheck import cross_check  # noqa: E402
from diary.audit_keys import load_signer  # noqa: E402
from diary.audit_verify import seal_now, verify_all  # noqa: E402
from diary.clock import FrozenClock  # noqa: E402
from diary.db.migrate import upgrade  # noqa: E402
from diary.db.models import DiaryEntry, Participant  # noqa: E402
from diary.services.entries import audit_view  # noqa: E402

PROTOCOL = (ROOT / "tests" / "conftest.py").read_text().split('MINIMAL_CROSSOVER = """')[1] \
    .split('"""')[0].replace("from_day: -7", "from_day: -400")
NOW = datetime(2027, 3, 1, 17, 0, tzinfo=UTC)


def build(app, participants: int, days: int) -> None:
    client, runner = app.test_client(), app.test_cli_runner()
    runner.invoke(args=["admin", "create", "--email", "a@b.org", "--password", "x" * 16])
    token = client.post("/api/v1/auth/login", json={"email": "a@b.org",
                                                    "password": "x" * 16}).json["token"]
    auth = {"Authorization": f"Bearer {token}"}
    import io
    r = client.post("/api/v1/studies", headers=auth, content_type="multipart/form-data",
                    data={"protocol": (io.BytesIO(PROTOCOL.encode()), "p.yaml")})
    assert r.status_code == 201, r.json
    for n in range(participants):
        r = client.post("/api/v1/studies/mini-crossover/participants", headers=auth,
                        json={"subject_id": f"S{n:05d}", "site": "PAR", "sequence": "KP"})
        assert r.status_code == 201, r.json
    rt = app.extensions["paindiary"]
    with rt.session_factory() as session:
        ids = list(session.scalars(select(Participant.id)))
        for pid in ids:
            actor = audit.Actor(f"participant:{pid}")
            for d in range(days):
                entry = DiaryEntry(id=str(uuid.uuid4()), participant_id=pid,
                                   diary_date=date(2027, 3, 1) - timedelta(days=d),
                                   score=d % 11, client_id=str(uuid.uuid4()), device_time=None,
                                   received_at=NOW, version=1, is_current=True,
                                   channel="app", entry_source="participant")
                session.execute(insert(DiaryEntry.__table__).values(
                    {c.key: getattr(entry, c.key) for c in DiaryEntry.__table__.columns}))
                audit.append(session, chain=audit.participant_chain(pid), actor=actor,
                             action="diary_entry.create", entity="diary_entry",
                             entity_id=entry.id, at=NOW, after=audit_view(entry))
            session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=200)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.sqlite3"
        app = create_app({"DATABASE_URL": url, "CLOCK": FrozenClock(NOW),
                          "ARGON2_PROFILE": "cheap", "SECRET_KEY": "b" * 48,
                          "TWILIO_ACCOUNT_SID": None, "AUDIT_SEAL_KEY_FILE": f"{tmp}/k.key",
                          "AUDIT_SEALS_FILE": f"{tmp}/seals.jsonl"})
        rt = app.extensions["paindiary"]
        upgrade(rt.engine)
        started = time.perf_counter()
        build(app, args.participants, args.days)
        print(f"built {args.participants} participants x {args.days} entries in "
              f"{time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        seal_now(rt.session_factory, rt.config, NOW)
        print(f"audit seal: {time.perf_counter() - started:.2f} s")
        public = load_signer(rt.config, create=False).public_key()
        with rt.session_factory() as session:
            started = time.perf_counter()
            chains = audit.verify(session)
            chain_s = time.perf_counter() - started
            started = time.perf_counter()
            tables = cross_check(session)
            cross_s = time.perf_counter() - started
            started = time.perf_counter()
            report = verify_all(session, public=public,
                                seals_file=Path(rt.config["AUDIT_SEALS_FILE"]))
            total_s = time.perf_counter() - started
        assert report.ok, report.problems[:5]
        print(f"chain walk: {chains.checked} records in {chain_s:.2f} s")
        print(f"cross-check: {tables.rows} clinical rows in {cross_s:.2f} s")
        print(f"audit verify --seals (all of it): {total_s:.2f} s")
        rt.engine.dispose()


if __name__ == "__main__":
    main()
