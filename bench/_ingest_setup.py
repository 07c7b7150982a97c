"""Set-up of the ingest benchmark (bench/ingest.py): the run's PostgreSQL database, the
``flask`` CLI, gunicorn, the study and participants created through the API, and the
thousands of other participants written in bulk.

Not a package module: bench/ingest.py imports it with bench/ on ``sys.path`` (as it is when
the script runs), and puts the repository root there first so that ``diary`` imports.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from sqlalchemy import insert, text  # noqa: E402

from diary import audit  # noqa: E402
from diary.db.audit_models import AuditChainHead, AuditRecord  # noqa: E402
from diary.db.engine import make_engine  # noqa: E402
from diary.db.models import AnchorEvent, ApiToken, Participant  # noqa: E402
from diary.security import new_token, token_hash  # noqa: E402

ADMIN_EMAIL = "bench-admin@example.org"
ADMIN_PASSWORD = "bench admin password 1"
SECRET_KEY = "paindiary-bench-secret-key-" + "x" * 32
HEALTH = "/api/v1/health"


class SetupError(RuntimeError):
    pass


# --------------------------------------------------------------------------- processes

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent() -> None:
    """Runs in the child: SIGTERM it if this script dies without cleaning up (Linux)."""
    os.setsid()
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def app_env(database_url: str) -> dict:
    env = dict(os.environ, DATABASE_URL=database_url, SECRET_KEY=SECRET_KEY)
    env.pop("ARGON2_PROFILE", None)  # the default (production) profile
    env.pop("FLASK_APP", None)
    return env


def flask_cli(database_url: str, *args: str) -> str:
    cmd = [str(Path(sys.executable).with_name("flask")), "--app", "app", *args]
    r = subprocess.run(cmd, cwd=ROOT, env=app_env(database_url), capture_output=True,
                       text=True, timeout=300)
    if r.returncode != 0:
        raise SetupError(f"{' '.join(cmd[1:])} failed:\n{r.stdout}{r.stderr}")
    return r.stdout.strip()


class Gunicorn:
    def __init__(self, database_url: str, workers: int):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.TemporaryFile("w+")  # shown when gunicorn fails to start
        cmd = [str(Path(sys.executable).with_name("gunicorn")), "-w", str(workers),
               "-b", f"127.0.0.1:{self.port}", "--log-level", "warning", "app:create_app()"]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=app_env(database_url),
                                     stdout=self.log, stderr=subprocess.STDOUT,
                                     preexec_fn=_die_with_parent)

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read()[-4000:]

    def wait_ready(self, timeout: float = 60.0) -> None:
        import urllib.request

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SetupError(f"gunicorn exited with {self.proc.returncode}:\n{self.output()}")
            try:
                with urllib.request.urlopen(self.base + HEALTH, timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise SetupError(f"gunicorn not ready after {timeout:.0f} s:\n{self.output()}")

    def worker_pids(self) -> list[int]:
        return [self.proc.pid] + children(self.proc.pid)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()  # graceful: the master stops its workers
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)  # its own session (setsid above)
                self.proc.wait(timeout=5)
        self.log.close()


def children(pid: int) -> list[int]:
    try:
        out = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        return [int(x) for x in out]
    except OSError:
        return []


# --------------------------------------------------------------------------- database

def create_database(server_url: str) -> tuple[str, str]:
    server = make_engine(server_url, isolation_level="AUTOCOMMIT")
    name = f"paindiary_bench_{os.getpid()}"
    try:
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        raise SetupError(f"cannot create database {name} via {server_url}: {exc}") from None
    finally:
        server.dispose()
    url = server.url.set(database=name).render_as_string(hide_password=False)
    return name, url


def drop_database(server_url: str, name: str) -> None:
    server = make_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    except Exception as exc:  # do not hide the run's own outcome
        print(f"WARNING: could not drop database {name}: {exc}", file=sys.stderr)
    finally:
        server.dispose()


def bulk_participants(engine, study_id: int, admin_id: int, template: dict, n: int,
                      now: datetime) -> list[str]:
    """Enrol and activate ``n`` participants in one transaction; return their tokens.

    Why not the API: enrolling hashes an activation code with argon2id and activating
    verifies it (~0.2 s and 64 MiB each with the default profile, PITFALLS), so 10,000
    participants would take over an hour of set-up for a phase that is not measured.
    What the measured request sees is the same as after the API path: a ``participants``
    row copied from an API-enrolled one (zone, sequence, language, reminder), a device token
    stored as ``token_hash(new_token())`` in ``api_tokens`` (no expiry, as activation
    gives), an ``infusion`` anchor event, and the participant's audit chain with its
    enrolment, activation and event records, hash-chained with ``diary.audit``'s own hash
    so that ``flask audit verify`` passes and the chain head already exists (as it does for
    every real participant) when the first diary entry locks it. Only the activation-code
    row is missing (``participant.activate`` names the token instead).
    """
    tokens = [new_token() for _ in range(n)]
    pids = [str(uuid.uuid4()) for _ in range(n)]
    event_ids = [str(uuid.uuid4()) for _ in range(n)]
    suffix = uuid.uuid4().hex[:6]
    participants = [
        dict(id=pid, study_id=study_id, subject_id=f"B{suffix}-{i:06d}", site=template["site"],
             arm=template["arm"], sequence=template["sequence"], timezone=template["timezone"],
             language=template["language"], reminder_time=template["reminder_time"],
             enrolled_at=now, enrolled_by=admin_id)
        for i, pid in enumerate(pids)
    ]
    occurred = now - timedelta(hours=1)
    events = [dict(id=eid, participant_id=pid, type="infusion", period=1, occurred_at=occurred,
                   recorded_at=now, recorded_by=admin_id)
              for eid, pid in zip(event_ids, pids, strict=True)]
    with engine.begin() as conn:
        conn.execute(insert(Participant), participants)
        token_ids = conn.execute(
            insert(ApiToken).returning(ApiToken.id, ApiToken.participant_id,
                                       sort_by_parameter_order=True),
            [dict(token_hash=token_hash(t), participant_id=pid, created_at=now)
             for t, pid in zip(tokens, pids, strict=True)]).all()
        conn.execute(insert(AnchorEvent), events)
        records, heads = [], []
        for p, (token_id, _), eid in zip(participants, token_ids, event_ids, strict=True):
            after_enrol = {k: p[k] for k in ("subject_id", "site", "arm", "sequence", "timezone",
                                             "language", "reminder_time")}
            after_enrol |= {"phone": None, "protocol_version": 1}
            chain = audit.participant_chain(p["id"])
            steps = [
                (f"account:{admin_id}", "participant.enrol", "participant", p["id"],
                 after_enrol, None),
                (f"participant:{p['id']}", "participant.activate", "api_token", token_id,
                 None, "bench: bulk set-up, token issued without an activation code"),
                (f"account:{admin_id}", "event.record", "anchor_event", eid,
                 {"type": "infusion", "period": 1, "occurred_at": occurred}, None),
            ]
            prev = audit.GENESIS
            for seq, (actor, action, entity, entity_id, after, reason) in enumerate(steps, 1):
                r = AuditRecord(chain=chain, seq=seq, at=now, actor=actor, action=action,
                                entity=entity, entity_id=str(entity_id), before=None,
                                after=audit.plain(after), reason=reason, request_id=None,
                                prev_hash=prev)
                r.hash = prev = audit.record_hash(audit._content(r))
                records.append({c: getattr(r, c) for c in (
                    "chain", "seq", "at", "actor", "action", "entity", "entity_id", "before",
                    "after", "reason", "request_id", "prev_hash", "hash")})
            heads.append(dict(chain=chain, seq=len(steps), hash=prev))
        conn.execute(insert(AuditRecord), records)
        conn.execute(insert(AuditChainHead), heads)
    return tokens


# --------------------------------------------------------------------------- API set-up

async def api_setup(base: str, protocol_source: str, n_api: int, tz: str) -> dict:
    async with aiohttp.ClientSession(base_url=base,
                                     timeout=aiohttp.ClientTimeout(total=60)) as s:
        async def call(method, path, expect, **kw):
            async with s.request(method, path, **kw) as r:
                body = await r.json(content_type=None)
                if r.status != expect:
                    raise SetupError(f"{method} {path}: {r.status} {body}")
                return body

        login = await call("POST", "/api/v1/auth/login", 200,
                           json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
        auth = {"Authorization": f"Bearer {login['token']}"}
        form = aiohttp.FormData()
        form.add_field("protocol", protocol_source.encode(), filename="protocol.yaml",
                       content_type="application/x-yaml")
        study = await call("POST", "/api/v1/studies", 201, data=form, headers=auth)
        key = study["key"]
        site = study["sites"][0] if study["sites"] else "SITE"
        sequence = next(iter(study["sequences"]), None)
        arm = study["arms"][0] if study["arms"] else None
        anchor = study["anchors"][0]
        tokens, template = [], None
        for i in range(n_api):
            enrolled = await call("POST", f"/api/v1/studies/{key}/participants", 201,
                                  headers=auth,
                                  json={"subject_id": f"API-{i:03d}", "site": site,
                                        "sequence": sequence, "arm": arm, "timezone": tz})
            activated = await call("POST", "/api/v1/participant/activate", 200,
                                   json={"code": enrolled["activation_code"]})
            tokens.append(activated["token"])
            occurred = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
            await call("POST", f"/api/v1/studies/{key}/participants/API-{i:03d}/events", 201,
                       headers=auth, json={"type": anchor, "occurred_at": occurred,
                                           "period": 1 if study["sequences"] else None})
            template = enrolled
        template = {k: template[k] for k in ("site", "arm", "sequence", "timezone", "language",
                                              "reminder_time")}
        if anchor != "infusion":
            raise SetupError("the bulk set-up records 'infusion' events: use a protocol with "
                             "an 'infusion' anchor (e.g. the crossover protocol)")
        return {"key": key, "tokens": tokens, "template": template}
