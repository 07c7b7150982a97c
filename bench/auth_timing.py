#!/usr/bin/env python
"""Does an answer's timing tell a known account or activation code from an unknown one?

Runs the app in-process (Flask test client) on a fresh SQLite file with the deployed
argon2id parameters (RFC 9106 low-memory), one administrator and one enrolled
participant, then times N sign-ins with a wrong password for the known email and for an
unknown one, and N activations with a wrong secret for the known code's lookup and with
an unknown lookup. Each attempt comes from its own client address, so throttling (which
treats both alike) does not cut the series short. Prints median and spread in ms.

    python bench/auth_timing.py [-n 10]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app import create_app  # noqa: E402
from diary.clock import FrozenClock  # noqa: E402
from diary.db.migrate import upgrade  # noqa: E402

PROTOCOL = Path(__file__).resolve().parents[1] / "protocols" / "crps-weekly-pain.yaml"


def _timed(call, n: int) -> list[float]:
    times = []
    for i in range(n):
        start = time.perf_counter()
        status = call(i)
        times.append((time.perf_counter() - start) * 1000)
        assert status == 401, status
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=10)
    n = parser.parse_args().n
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3",
                          "CLOCK": FrozenClock(datetime(2027, 3, 1, 12, tzinfo=UTC)),
                          "SECRET_KEY": "bench-" + "x" * 40, "ARGON2_PROFILE": "default"})
        upgrade(app.extensions["paindiary"].engine)
        c = app.test_client()
        password = "bench admin password 1"
        r = app.test_cli_runner().invoke(args=["admin", "create", "--email", "a@b.org",
                                               "--password", password])
        assert r.exit_code == 0, r.output
        token = c.post("/api/v1/auth/login",
                       json={"email": "a@b.org", "password": password}).json["token"]
        h = {"Authorization": f"Bearer {token}"}
        r = c.post("/api/v1/studies", headers=h, content_type="multipart/form-data",
                   data={"protocol": (PROTOCOL.open("rb"), "p.yaml")})
        key = r.json["key"]
        study = c.get(f"/api/v1/studies/{key}", headers=h).json
        site = (study.get("sites") or ["X"])[0]
        body = {"subject_id": "B-1", "site": site}
        r = c.post(f"/api/v1/studies/{key}/participants", headers=h, json=body)
        if r.status_code == 422 and r.json.get("field") in ("arm", "sequence"):
            body[r.json["field"]] = r.json["message"].split("one of ")[1].split(",")[0]
            r = c.post(f"/api/v1/studies/{key}/participants", headers=h, json=body)
        code = r.json["activation_code"]
        wrong = code[:5] + ("2222-2222" if code[5:] != "2222-2222" else "3333-3333")
        unknown = ("ZZZZ" if code[:4] != "ZZZZ" else "YYYY") + wrong[4:]

        def login(email, base):
            return lambda i: c.post("/api/v1/auth/login",
                                    json={"email": email, "password": "wrong password"},
                                    environ_base={"REMOTE_ADDR": f"10.{base}.0.{i}"}
                                    ).status_code

        def activate(guess, base):
            return lambda i: c.post("/api/v1/participant/activate", json={"code": guess},
                                    environ_base={"REMOTE_ADDR": f"10.{base}.1.{i}"}
                                    ).status_code

        login("warm@up.org", 9)(0)
        activate("XXXX" + wrong[4:], 9)(0)  # the dummy hash is made once
        rows = [("sign-in, known email", _timed(login("a@b.org", 1), n)),
                ("sign-in, unknown email", _timed(login("nobody@b.org", 2), n)),
                # the code's own limit waits after 5 wrong tries: a fresh lookup each 5
                ("activation, known code", _timed(activate(wrong, 3), min(n, 5))),
                ("activation, unknown code", _timed(activate(unknown, 4), min(n, 5)))]
        for name, times in rows:
            print(f"{name:26s} median {statistics.median(times):7.1f} ms  "
                  f"min {min(times):7.1f}  max {max(times):7.1f}  (n={len(times)})")
        app.extensions["paindiary"].engine.dispose()


if __name__ == "__main__":
    main()
