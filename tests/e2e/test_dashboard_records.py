"""The dashboard's participant, enrolment, export and protocol pages through the Flask test
client: forms carry out the API's actions, refusals come back as form messages (never a
500), and the role, site and blinding rules hold (issue 15)."""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from datetime import UTC, datetime

import pytest

from tests.conftest import MINIMAL_CROSSOVER

STUDY = "mini-crossover"
ADMIN_PASSWORD = "correct horse battery"
PASSWORD = "a long enough password"
WITH_ENDPOINTS = MINIMAL_CROSSOVER + """endpoints:
  - {key: auc_d1_7, kind: auc, from_day: 1, to_day: 7, ends: carry, min_coverage: 0.1}
"""


class Browser:
    """A signed-in dashboard session over the test client (one per account)."""

    def __init__(self, app, email, password):
        self.c = app.test_client()
        r = self.c.get("/sign-in")
        token = self._csrf(r)
        r = self.c.post("/sign-in", data={"email": email, "password": password,
                                          "csrf_token": token})
        assert r.status_code == 302, r.get_data(as_text=True)[-500:]
        self.token = self._csrf(self.c.get("/studies/" + STUDY))

    @staticmethod
    def _csrf(response) -> str:
        return re.search(r'name="csrf_token" value="([^"]+)"',
                         response.get_data(as_text=True)).group(1)

    def get(self, path, **kw):
        return self.c.get(path, **kw)

    def post(self, path, data=None, **kw):
        return self.c.post(path, data={"csrf_token": self.token, **(data or {})}, **kw)


CSRF_VALUE = re.compile(r'(?<="X-CSRF-Token": ")[^"]*|(?<=name="csrf_token" value=")[^"]*')


def _text(r) -> str:
    return r.get_data(as_text=True)


def _errors(r) -> list[str]:
    return re.findall(r'class="field-error"[^>]*>([^<]*)<', _text(r))


def _chart(r) -> dict:
    return json.loads(re.search(r'<script type="application/json" id="pain-data">(.*?)'
                                r'</script>', _text(r), re.S).group(1))


@pytest.fixture
def admin(api):
    token = api.create_admin()
    api.create_study(token, WITH_ENDPOINTS)
    api.unblind(token, STUDY)
    return token


@pytest.fixture
def web(app, admin):
    return Browser(app, "admin@site.org", ADMIN_PASSWORD)


P = f"/studies/{STUDY}/participants/S1"


def _enrol(web, **fields):
    data = {"subject_id": "S1", "site": "PAR", "sequence": "KP", "language": "en", **fields}
    return web.post(f"/studies/{STUDY}/enrol", data)


def test_enrolling_shows_the_code_its_link_and_qr_and_the_code_works(web, api):
    r = _enrol(web)
    assert r.status_code == 201
    code = re.search(r'data-testid="activation-code">([^<]+)<', _text(r)).group(1)
    assert f"https://diary.example.org/app/activate?code={code}" in _text(r)
    assert '<svg role="img"' in _text(r) and "<title>QR code of the activation link" in _text(r)
    api.activate(code)
    again = web.post(P + "/activation-code")
    assert again.status_code == 201
    new = re.search(r'data-testid="activation-code">([^<]+)<', _text(again)).group(1)
    assert new != code
    api.activate(new)


def test_enrolment_refusals_are_messages_beside_their_fields(web):
    r = _enrol(web, subject_id="")
    assert r.status_code == 422
    assert _errors(r) == ["Field may not be null."]
    assert 'aria-invalid="true" aria-describedby="enrol-subject_id-error"' in _text(r)
    assert _enrol(web).status_code == 201
    r = _enrol(web)  # the same subject again: the service's 409, as a form message
    assert r.status_code == 422
    assert "already enrolled" in _text(r) or "exists" in _text(r)
    r = _enrol(web, subject_id="S2", reminder_time="25:99")
    assert r.status_code == 422 and _errors(r), _text(r)[-800:]


def test_an_anchor_and_a_transcribed_day_appear_on_the_curve_with_versions(web, clock):
    assert _enrol(web).status_code == 201
    r = web.post(P + "/events", {"type": "infusion", "period": "1", "when": "happened",
                                 "occurred_at": "2027-03-01T10:00"})
    assert r.status_code == 302
    page = web.get(P)
    assert "infusion recorded." in _text(page)
    chart = _chart(page)
    # 10:00 in Paris on 1 March: day 0 is 2027-03-01, drawn at its start (a second in)
    midnight = int(datetime(2027, 3, 1, tzinfo=UTC).timestamp())
    assert chart["anchors"] == [{"x": midnight + 1, "status": "confirmed",
                                 "label": "infusion 1"}]
    assert chart["x"] == []
    entry = {"diary_date": "2027-03-01", "score": "6", "source": "paper",
             "reason": "paper diary", "client_id": str(uuid.uuid4())}
    assert web.post(P + "/diary-entries", entry).status_code == 302
    assert web.post(P + "/diary-entries", {**entry, "score": "4", "reason": "misread",
                                           "client_id": str(uuid.uuid4())}).status_code == 302
    page = web.get(P)
    chart = _chart(page)
    assert (chart["y"], chart["staff"]) == ([4], [True])  # the current version only
    rows = re.findall(r'<tr( class="superseded")?>\s*<th scope="row">2027-03-01</th>\s*'
                      r'<td class="num">(\d+)</td>', _text(page))
    assert rows == [("", "4"), (' class="superseded"', "6")]
    assert "misread" in _text(page) and "paper diary" in _text(page)


def test_a_correction_needs_its_reason_and_becomes_version_2(web, app):
    assert _enrol(web).status_code == 201
    web.post(P + "/events", {"type": "infusion", "period": "1", "when": "happened",
                             "occurred_at": "2027-03-01T10:00"})
    event_id = re.search(r"/events/([0-9a-f-]{36})/change", _text(web.get(P))).group(1)
    change = f"{P}/events/{event_id}/change"
    r = web.post(change, {"action": "correct", "occurred_at": "2027-03-01T09:30", "reason": ""})
    assert r.status_code == 422
    assert "reason" in " ".join(_errors(r)) + _text(r).split('role="alert"')[1][:300]
    assert "<details open>" in _text(r)  # the form with the message stays open
    r = web.post(change, {"action": "correct", "occurred_at": "2027-03-01T09:30",
                          "reason": "typed the wrong hour"})
    assert r.status_code == 302
    page = _text(web.get(P))
    assert "v2 · correct" in page and "typed the wrong hour" in page
    assert "2027-03-01 09:30" in page


def test_a_future_anchor_or_a_bad_score_is_a_422_page_never_a_500(web):
    assert _enrol(web).status_code == 201
    r = web.post(P + "/events", {"type": "infusion", "period": "1", "when": "happened",
                                 "occurred_at": "2030-01-01T10:00"})
    assert r.status_code == 422 and "future" in " ".join(_errors(r))
    for bad in ({"period": "x"}, {"type": "nope"}, {"occurred_at": "yesterday"}):
        data = {"type": "infusion", "period": "1", "when": "happened",
                "occurred_at": "2027-03-01T10:00", **bad}
        assert web.post(P + "/events", data).status_code == 422, bad
    r = web.post(P + "/diary-entries", {"diary_date": "2027-03-01", "score": "ten",
                                        "source": "fax", "reason": "x",
                                        "client_id": "not-a-uuid"})
    assert r.status_code == 422 and len(_errors(r)) >= 1
    # planned: a date in the participant's zone; the crossover needs its period
    r = web.post(P + "/events", {"type": "infusion", "when": "planned",
                                 "planned_date": "2027-03-20"})
    assert r.status_code == 422 and "period" in " ".join(_errors(r))
    r = web.post(P + "/events", {"type": "infusion", "period": "1", "when": "planned",
                                 "planned_date": "2027-03-20"})
    assert r.status_code == 302
    assert "2027-03-20" in _text(web.get(P))


def test_withdrawal_asks_a_reason_and_then_the_actions_go(web):
    assert _enrol(web).status_code == 201
    r = web.post(P + "/withdrawal", {"reason": " "})
    assert r.status_code == 422 and _errors(r)
    assert web.post(P + "/withdrawal", {"reason": "moved away"}).status_code == 302
    page = _text(web.get(P))
    assert "moved away" in page and "Withdrawn: no further action." in page
    assert 'action="/studies/mini-crossover/participants/S1/events"' not in page


def test_a_missing_csrf_token_is_refused(web):
    r = web.c.post(f"/studies/{STUDY}/enrol", data={"subject_id": "S9", "site": "PAR"})
    assert r.status_code == 400


def test_a_viewer_sees_the_record_but_no_action_and_cannot_post_one(web, api, admin, app):
    assert _enrol(web).status_code == 201
    api.staff(admin, "viewer@site.org", "viewer", STUDY)
    viewer = Browser(app, "viewer@site.org", PASSWORD)
    page = viewer.get(P)
    assert page.status_code == 200 and "Daily pain" in _text(page)
    assert 'method="post"' not in _text(page).replace('class="signout" method="post"', "")
    assert viewer.get(f"/studies/{STUDY}/enrol").status_code == 403
    r = viewer.post(P + "/withdrawal", {"reason": "x"})
    assert r.status_code == 403
    assert "Not allowed" in _text(r)


def test_a_site_limited_coordinator_reaches_only_their_sites(web, api, admin, app):
    assert _enrol(web).status_code == 201
    assert _enrol(web, subject_id="S2", site="LYO", sequence="PK").status_code == 201
    api.staff(admin, "par@site.org", "coordinator", STUDY, sites=["PAR"])
    par = Browser(app, "par@site.org", PASSWORD)
    assert par.get(P).status_code == 200
    other = f"/studies/{STUDY}/participants/S2"
    assert par.get(other).status_code == 404
    assert par.post(other + "/withdrawal", {"reason": "x"}).status_code == 404
    assert par.post(other + "/activation-code").status_code == 404
    enrol_form = _text(par.get(f"/studies/{STUDY}/enrol"))
    assert '<option value="PAR"' in enrol_form and '<option value="LYO"' not in enrol_form
    assert par.post(f"/studies/{STUDY}/enrol", {"subject_id": "S3", "site": "LYO",
                                                "language": "en"}).status_code == 422


def test_blinded_staff_see_no_allocation_on_the_page_or_the_forms(web, api, admin, app):
    assert _enrol(web).status_code == 201
    web.post(P + "/events", {"type": "infusion", "period": "1", "when": "happened",
                             "occurred_at": "2027-03-01T10:00"})
    api.staff(admin, "blind@site.org", "coordinator", STUDY)
    blind = Browser(app, "blind@site.org", PASSWORD)
    # The CSRF token is random: blanked, so that it can't happen to contain "KP".
    page = CSRF_VALUE.sub("", _text(blind.get(P)))
    assert "pain_d7" in page  # the window is on the timeline...
    assert " · K<" not in page and "KP" not in page  # ...without its treatment
    assert 'name="sequence"' not in _text(blind.get(f"/studies/{STUDY}/enrol"))
    assert " · K" in _text(web.get(P))  # the unblinded admin sees it


def _finished_row(web, job_id, app):
    app.extensions["paindiary"].export_jobs.wait(job_id, timeout=60)
    return web.get(f"/studies/{STUDY}/exports/{job_id}", headers={"HX-Request": "true"})


def test_an_export_runs_in_the_background_and_downloads(web, app):
    assert _enrol(web).status_code == 201
    r = web.post(f"/studies/{STUDY}/exports", {"layout": "wide", "format": "csv",
                                               "figure": "mean"},
                 headers={"HX-Request": "true"})
    assert r.status_code == 200
    job_id = re.search(r'id="job-([0-9a-f-]{36})"', _text(r)).group(1)
    row = _text(_finished_row(web, job_id, app))
    assert "hx-trigger" not in row  # finished: the row stops polling
    link = re.search(r'href="([^"]+/file\?part=data)"', row).group(1).replace("&amp;", "&")
    got = web.get(link)
    rows = list(csv.DictReader(io.StringIO(got.get_data(as_text=True))))
    got.close()
    assert [r["subject"] for r in rows] == ["S1", "S1"]  # two periods, intention to treat
    listed = _text(web.get(f"/studies/{STUDY}/exports"))
    assert f'id="job-{job_id}"' in listed and "mini-crossover_wide.csv" in listed


def test_an_export_refused_by_the_service_is_a_message(web, api, admin):
    r = web.post(f"/studies/{STUDY}/exports", {"layout": "sideways", "format": "csv"})
    assert r.status_code == 422 and "must be one of" in " ".join(_errors(r))


def test_the_protocol_page_diffs_versions_and_shows_a_refused_uploads_problems(web, api,
                                                                               admin, app):
    upload = f"/studies/{STUDY}/protocol"
    bad = WITH_ENDPOINTS.replace("instrument: nrs_pain", "instrument: nrs_pian")
    r = web.post(upload, {"protocol": (io.BytesIO(bad.encode()), "amended.yaml")},
                 content_type="multipart/form-data")
    assert r.status_code == 422
    problems = re.findall(r"<li><code>([^<]*)</code>: ([^<]*)</li>", _text(r))
    assert problems and problems[0][0] == "assessments[0].instrument"
    assert "nrs_pain" in problems[0][1]  # the near name offered, as `studies check` does
    good = WITH_ENDPOINTS.replace("close: P1D", "close: P2D")
    r = web.post(upload, {"protocol": (io.BytesIO(good.encode()), "amended.yaml")},
                 content_type="multipart/form-data")
    assert r.status_code == 302
    page = _text(web.get(r.headers["Location"]))
    assert "Version 2 is now current." in page
    assert "<code>assessments[pain_d7].window.close</code>" in page
    assert '<span class="add">+     window: {open: -P1D, close: P2D}}</span>' in page
    api.staff(admin, "coord@site.org", "coordinator", STUDY)
    coord = Browser(app, "coord@site.org", PASSWORD)
    assert 'type="file"' not in _text(coord.get(upload))
    assert coord.post(upload, {"protocol": (io.BytesIO(good.encode()), "p.yaml")},
                      content_type="multipart/form-data").status_code == 403


def test_an_htmx_export_refusal_lands_in_the_forms_message_area(web):
    r = web.post(f"/studies/{STUDY}/exports", {"layout": "wide", "format": "pdf"},
                 headers={"HX-Request": "true"})
    assert (r.status_code, r.headers["HX-Retarget"]) == (200, "#export-message")
    assert "must be one of" in _text(r)


def test_a_study_without_endpoints_offers_no_export(api, app):
    token = api.create_admin()
    api.create_study(token, MINIMAL_CROSSOVER)
    web = Browser(app, "admin@site.org", ADMIN_PASSWORD)
    page = _text(web.get(f"/studies/{STUDY}/exports"))
    assert "declares no endpoints" in page and "Start export" not in page


def test_questionnaire_scores_and_medication_mme_are_listed(web, api, admin, clock):
    assert _enrol(web).status_code == 201
    body = {"instrument": "nrs_pain", "answers": {"average": 4, "worst": 7, "current": None},
            "client_id": str(uuid.uuid4()), "administered_at": "2027-03-01T16:00:00+00:00",
            "source": "clinician", "reason": "asked at the visit"}
    r = api.c.post(P.replace("/studies", "/api/v1/studies") + "/questionnaire-responses",
                   headers=api.bearer(admin), json=body)
    assert r.status_code == 201, r.json
    page = _text(web.get(P))
    assert '<span class="score">average 4</span>, <span class="score">worst 7</span>, ' \
           '<span class="score">current –</span>' in page
    code = re.search(r'data-testid="activation-code">([^<]+)<',
                     _text(web.post(P + "/activation-code"))).group(1)
    device = api.activate(code)
    r = api.c.post("/api/v1/me/medications", headers=api.bearer(device), json={
        "drug": "oxycodone", "dose": 10, "unit": "mg", "route": "oral", "rescue": True,
        "taken_at": "2027-03-01T17:30:00+01:00", "client_id": str(uuid.uuid4())})
    assert r.status_code == 201, r.json
    page = _text(web.get(P))
    # CDC 2022: oxycodone 1.5 MME per mg, 10 mg = 15 MME
    assert re.search(r"oxycodone 10 mg · oral</td>\s*<td class=\"num\">15</td>\s*<td>yes</td>",
                     page), page[page.find("med-title"):][:1500]


@pytest.mark.parametrize("typed", ["0001-01-01T00:30", "9999-12-31T23:59", "2027-02-30T10:00",
                                   "2027-03-01T10:00+02:00", "\u0000"])
def test_odd_date_times_are_form_messages(web, typed):
    assert _enrol(web).status_code == 201
    r = web.post(P + "/events", {"type": "infusion", "period": "1", "when": "happened",
                                 "occurred_at": typed})
    assert r.status_code == 422, typed
    if typed != "\u0000":  # NUL is refused before any view, by the app's input guard
        # the form's own message, or the API schema's bounds (1900..2999)
        assert _errors(r)[0] in ("Enter a date and time.",) or \
            _errors(r)[0].startswith("must be a date-time from 1900"), typed


def test_a_planned_anchor_is_moved_then_cancelled_each_with_its_reason(web):
    assert _enrol(web).status_code == 201
    assert web.post(P + "/events", {"type": "infusion", "period": "1", "when": "planned",
                                    "planned_date": "2027-03-10"}).status_code == 302
    page = _text(web.get(P))
    event_id = re.search(r"/events/([0-9a-f-]{36})/change", page).group(1)
    assert ">Move<" in page and ">Cancel<" in page and ">Confirm it happened<" in page
    change = f"{P}/events/{event_id}/change"
    r = web.post(change, {"action": "reschedule", "planned_date": "2027-03-12", "reason": ""})
    assert r.status_code == 422 and _errors(r), _text(r)[-500:]
    assert web.post(change, {"action": "reschedule", "planned_date": "2027-03-12",
                             "reason": "theatre list changed"}).status_code == 302
    page = _text(web.get(P))
    assert "Anchor moved." in page and "2027-03-12" in page and "theatre list changed" in page
    assert web.post(change, {"action": "cancel", "reason": "surgery called off"}) \
        .status_code == 302
    page = _text(web.get(P))
    assert "Planned anchor cancelled." in page and "v3 · cancel" in page
    assert ">Move<" not in page  # nothing left to change on a cancelled anchor


def test_the_language_of_a_participants_texts_is_changed_on_the_page(web, app):
    assert _enrol(web).status_code == 201
    assert 'action="/studies/mini-crossover/participants/S1/language"' in _text(web.get(P))
    r = web.post(P + "/language", {"language": "de"})  # not one of the study's languages
    assert r.status_code == 422 and any("languages: en" in e for e in _errors(r))
    assert web.post(P + "/language", {"language": "en"}).status_code == 302
