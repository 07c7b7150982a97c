"""The two reference apps of bench/ingest.py (issue 20), served by gunicorn with the same
settings as the real app: ``hello`` answers a fixed JSON body; ``bare`` inserts the posted
entry with plain psycopg (no auth, no ORM, no audit, one commit) and answers it.

Not a package module: gunicorn imports it with ``--pythonpath bench``.
"""

from __future__ import annotations

import os
import threading

import psycopg
from flask import Flask, jsonify, request

hello = Flask("hello")


@hello.route("/api/v1/me/diary-entries", methods=["POST"])
def hello_world():
    return jsonify({"hello": "world"})


bare = Flask("bare")
_local = threading.local()
BARE_TABLE = """CREATE TABLE IF NOT EXISTS bench_bare (
    id bigserial PRIMARY KEY, token text NOT NULL, diary_date date NOT NULL,
    score integer NOT NULL, client_id text NOT NULL UNIQUE, device_time timestamptz,
    received_at timestamptz NOT NULL DEFAULT now())"""
BARE_INSERT = """INSERT INTO bench_bare (token, diary_date, score, client_id, device_time)
VALUES (%s, %s, %s, %s, %s) RETURNING id, received_at"""


def _conn() -> psycopg.Connection:
    if getattr(_local, "conn", None) is None:
        _local.conn = psycopg.connect(os.environ["BARE_DATABASE_URL"])
    return _local.conn


@bare.route("/api/v1/me/diary-entries", methods=["POST"])
def bare_insert():
    body = request.get_json()
    token = request.headers.get("Authorization", "").partition(" ")[2]
    conn = _conn()
    row = conn.execute(BARE_INSERT, (token, body["diary_date"], body["score"],
                                     body["client_id"], body["device_time"])).fetchone()
    conn.commit()
    return jsonify({**body, "id": row[0], "received_at": row[1].isoformat()}), 201
