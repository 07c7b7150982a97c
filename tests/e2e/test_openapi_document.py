"""The OpenAPI document is written on first read (issue 12: not at every start-up), and is
the same document flask-smorest writes when it documents each blueprint at registration."""

from __future__ import annotations

import threading

import diary.api
from app import create_app
from diary.api.errors import PaindiaryApi


def _api(app):
    return app.extensions["flask-smorest"]["apis"][""]["ext_obj"]


def test_start_up_registers_the_routes_and_leaves_the_document_for_its_first_reader(app,
                                                                                   client):
    assert client.get("/api/v1/health").json == {"status": "ok"}
    assert _api(app)._spec.to_dict()["paths"] == {}
    paths = client.get("/api/openapi.json").json["paths"]
    assert "/api/v1/studies/{key}/endpoints" in paths
    assert _api(app)._undocumented == []


def test_the_document_equals_the_one_written_at_registration(app, client, monkeypatch):
    lazy = client.get("/api/openapi.json").json
    monkeypatch.setattr(diary.api, "LazySpecApi", PaindiaryApi)
    eager_app = create_app(dict(app.config))
    assert _api(eager_app).__class__ is PaindiaryApi
    assert eager_app.test_client().get("/api/openapi.json").json == lazy
    eager_app.extensions["paindiary"].engine.dispose()


def test_readers_at_the_same_time_each_get_the_whole_document(app):
    api, got = _api(app), []
    start = threading.Barrier(8)

    def read():
        start.wait()
        got.append(len(api.spec.to_dict()["paths"]))

    threads = [threading.Thread(target=read) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(got)) == 1 and got[0] > 30
