"""The HTTP API (flask-smorest): coordinators' and participants' endpoints under /api/v1."""

from __future__ import annotations

from flask import Flask

from diary.api.lazy_spec import LazySpecApi


def init_api(app: Flask) -> LazySpecApi:
    from diary.api import (
        access,
        allocation,
        audit_trail,
        auth,
        endpoints,
        events,
        export_jobs,
        fhir,
        health,
        me,
        medications,
        participants,
        questionnaires,
        reminders,
        safety,
        sms,
        studies,
    )

    api = LazySpecApi(app, spec_kwargs={"info": {"description": __doc__}})
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer",
                       "description": "A token from /api/v1/auth/login (staff) or "
                                      "/api/v1/participant/activate (a participant's device)"})
    for module in (health, auth, access, studies, participants, events, me, questionnaires,
                   endpoints, reminders, medications, safety, allocation, audit_trail, export_jobs):
        api.register_blueprint(module.blp, url_prefix="/api/v1")
    api.register_blueprint(fhir.blp)  # the FHIR base is /fhir, as FHIR clients look for it
    app.register_blueprint(sms.blp)  # Twilio's form-posted webhooks: outside the JSON API
    if app.extensions["paindiary"].engine.dialect.name == "postgresql":
        # A day's first entry in one round trip (issue 20); imported only here, so that
        # SQLite start-up doesn't load psycopg.
        from diary.api.fast_ingest import init_fast_ingest

        init_fast_ingest(app)
    return api
