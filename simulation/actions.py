"""What people do in a simulated trial, each action one or two real API calls.

Coordinator actions use the sandbox administrator's token (unblinded, so the outputs
name the real arms); participant actions use the participant's own device token, or the
signed SMS webhook for those who answer by text.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta

from diary.protocol.model import Protocol
from diary.sms.commands import accepts_medication

from .participants import Person, answers, pain_on, screening_answers
from .sandbox import ADMIN_EMAIL, ADMIN_PASSWORD

ROOT = "/api/v1/studies"
RESCUE = {"drug": "oxycodone", "dose": 5, "unit": "mg", "route": "oral"}
AE_TERMS = ("Dizziness", "Nausea", "Headache", "Somnolence")


def has_medication(protocol: Protocol) -> bool:
    return accepts_medication(protocol)


def counts_adverse_events(protocol: Protocol) -> bool:
    return any(getattr(e, "kind", None) == "ae_any" for e in protocol.endpoints) or any(
        a.form == "adverse_events" for a in protocol.assessments)


def _instrument(trial, instrument_id: str) -> dict:
    cache = trial.__dict__.setdefault("_instruments", {})
    if instrument_id not in cache:
        cache[instrument_id] = trial.api.get(f"/api/v1/instruments/{instrument_id}",
                                             trial.api.staff()).json
    return cache[instrument_id]


def set_up_study(trial) -> None:
    """Unblind the sandbox administrator (the outputs name arms) and, where the protocol
    randomises by list, upload a concealed list in permuted blocks, per site if stratified."""
    api, p = trial.api, trial.protocol
    if p.staff_blinded or p.randomisation.method == "list":
        api.put(f"{ROOT}/{trial.key}/roles", {"email": ADMIN_EMAIL,
                                               "role": "admin", "unblinded": True},
                api.staff())
    if p.randomisation.method != "list":
        return
    choices = [s.key for s in p.sequences] or [a.key for a in p.arms]
    field_name = "sequence" if p.design == "crossover" else "arm"
    strata = list(p.sites) if p.randomisation.stratify_by else [None]
    size = trial.__dict__.get("_list_size", 0) or 0
    rows = []
    for site in strata:
        slots: list[str] = []
        while len(slots) < size:
            block = choices * 2
            trial.rng.shuffle(block)
            slots += block
        rows += [{"number": k + 1, field_name: choice, **({"site": site} if site else {})}
                 for k, choice in enumerate(slots)]
    api.post(f"{ROOT}/{trial.key}/allocation-lists", {"rows": rows}, api.staff())


def _assign(trial, person: Person) -> dict:
    """Arm or sequence where the coordinator names it (no list): permuted blocks."""
    p = trial.protocol
    if p.randomisation.method == "list":
        return {}
    choices = [s.key for s in p.sequences] or [a.key for a in p.arms]
    if not choices:
        return {}
    block = trial.__dict__.setdefault("_block", [])
    if not block:
        block += choices * 2
        trial.rng.shuffle(block)
    return {"sequence" if p.design == "crossover" else "arm": block.pop()}


def enrol(trial, person: Person) -> bool:
    api, p = trial.api, trial.protocol
    fields = {"subject_id": person.subject, "site": person.site, "phone": person.phone,
              **_assign(trial, person)}
    if person.language:
        fields["language"] = person.language
    if p.screening:
        number = f"SCR-{person.subject}"
        for rule in p.screening:
            definition = _instrument(trial, rule.instrument)
            api.post(f"{ROOT}/{trial.key}/screenings",
                     {"screening_number": number, "site": person.site,
                      "instrument": rule.instrument, "answers": screening_answers(definition)},
                     api.staff())
        fields["screening_number"] = number
    enrolled = trial.attempt("enrolments", lambda: api.post(
        f"{ROOT}/{trial.key}/participants", fields, api.staff()))
    if enrolled is None:
        return False
    person.participant_id = _participant_id(trial, person.subject)
    person.enrolled_at = trial.clock.now()
    person.arm = enrolled.get("arm")
    if enrolled.get("sequence"):
        sequence = p.sequence(enrolled["sequence"])
        person.sequence = list(sequence.treatments) if sequence else []
    r = api.post("/api/v1/participant/activate", {"code": enrolled["activation_code"]}, {})
    person.token = r["token"]
    return True


def _participant_id(trial, subject: str) -> str:
    """The row id the outbox names (not in the API's answer; read, never written)."""
    from sqlalchemy import select

    from diary.db.models import Participant, Study

    with trial.api.app.extensions["paindiary"].session_factory() as s:
        return s.scalar(select(Participant.id).join(Study, Study.id == Participant.study_id)
                        .where(Study.key == trial.key, Participant.subject_id == subject))


def _anchor_times(trial, person: Person) -> list[datetime]:
    p, e = trial.protocol, trial.models.enrolment
    hh, mm = (int(x) for x in str(e["anchor_time"]).split(":"))
    day0 = person.enrolled_at.astimezone(trial.tz).date() + timedelta(
        days=int(e["anchor_after_days"]))
    first = trial.local(day0, time(hh, mm))
    if p.design == "crossover":
        gap = timedelta(days=int(e["period_gap_days"]))
        return [trial.local(day0 + k * gap, time(hh, mm)) for k in range(p.periods)
                ] if first else []
    anchor = p.anchors[0]
    count = 1 if anchor.max_count == 1 else int(e["courses"])
    if anchor.max_count:
        count = min(count, anchor.max_count)
    gap = timedelta(days=int(e["course_gap_days"]))
    return [trial.local(day0 + k * gap, time(hh, mm)) for k in range(count)]


def plan_anchors(trial, person: Person) -> None:
    """Every anchor planned at enrolment: its baseline days and windows are then owed."""
    api, p = trial.api, trial.protocol
    anchor = p.anchors[0]
    for k, at in enumerate(_anchor_times(trial, person)):
        body = {"type": anchor.key, "planned_at": at.isoformat()}
        if p.design == "crossover":
            body["period"] = k + 1
        ev = api.post(f"{ROOT}/{trial.key}/participants/{person.subject}/events", body,
                      api.staff())
        person.anchors.append(at)
        person.anchor_dates.append(at.astimezone(trial.tz).date())
        person.event_ids.append(ev["id"])
    trial.count("anchors planned", len(person.anchors))


def confirm_anchor(trial, person: Person, event_id: str, at: datetime) -> None:
    """The coordinator confirms the anchor when it happens (not after dropout: the
    person did not come)."""
    if not person.active(at.astimezone(trial.tz).date()):
        return
    api = trial.api
    trial.attempt("anchors confirmed", lambda: api.post(
        f"{ROOT}/{trial.key}/participants/{person.subject}/events/{event_id}/confirmation",
        {"occurred_at": at.isoformat()}, api.staff()))


def _device_time(trial) -> str:
    return trial.clock.now().astimezone(trial.tz).isoformat()


def log_day(trial, person: Person, day: date) -> None:
    """The pain of a diary day, in the app or by SMS; sometimes corrected a little later."""
    if day in person.logged or not person.active(day):
        return
    score = pain_on(person, day, trial.models)
    today = trial.clock.now().astimezone(trial.tz).date()
    if person.channel == "sms" and today in (day, day + timedelta(days=1)):
        done = trial.attempt("diary entries by SMS", lambda: _sms(trial, person, str(score)))
    else:
        done = trial.attempt("diary entries in the app", lambda: trial.api.post(
            "/api/v1/me/diary-entries",
            {"diary_date": day.isoformat(), "score": score, "client_id": str(uuid.uuid4()),
             "device_time": _device_time(trial)}, trial.api.bearer(person.token)))
    if done is None:
        return
    person.logged.add(day)
    # A typo is noticed the same day (a late entry's limit may be minutes away).
    if today == day and person.rng.random() < trial.models.diary["p_correction"]:
        later = trial.clock.now() + timedelta(minutes=5 + person.rng.randrange(40))
        trial.at(later, correct_day, trial, person, day, score)


def _sms(trial, person: Person, body: str) -> str:
    reply = trial.api.text_in(person.phone, body) or ""
    if not reply.startswith(("Thanks", "Merci", "Gracias", "Bedankt", "OK", "Changed")):
        from .sandbox import ApiError

        raise ApiError(f"SMS {body!r} answered {reply!r}")
    return reply


def correct_day(trial, person: Person, day: date, old: int) -> None:
    """A typo fixed: a second version with a reason (by SMS: the new score, then YES)."""
    if not person.active(day):
        return
    new = old + 1 if old < 10 else old - 1
    today = trial.clock.now().astimezone(trial.tz).date()
    if person.channel == "sms" and today == day:
        def by_text():
            trial.api.text_in(person.phone, str(new))
            return trial.api.text_in(person.phone, "YES")
        trial.attempt("corrections by SMS", by_text)
        return
    trial.attempt("corrections in the app", lambda: trial.api.post(
        "/api/v1/me/diary-entries",
        {"diary_date": day.isoformat(), "score": new, "client_id": str(uuid.uuid4()),
         "device_time": _device_time(trial), "reason": "Typed the wrong number"},
        trial.api.bearer(person.token)))


def rescue(trial, person: Person, day: date) -> None:
    """Rescue medication on a painful day, at the model's rate."""
    m = trial.models.medication
    if not person.active(day) or pain_on(person, day, trial.models) < m["rescue_threshold"]:
        return
    if person.rng.random() >= m["p_rescue_per_day"]:
        return
    body = {**RESCUE, "rescue": True, "taken_at": _device_time(trial),
            "client_id": str(uuid.uuid4())}
    trial.attempt("rescue medication", lambda: trial.api.post(
        "/api/v1/me/medications", body, trial.api.bearer(person.token)))


def _period_of(person: Person, day: date) -> int:
    return max([k for k, d in enumerate(person.anchor_dates) if d <= day], default=0)


def answer_window(trial, person: Person, window: dict) -> None:
    """A questionnaire or the side-effect checklist, answered in the app."""
    now = trial.clock.now()
    day = now.astimezone(trial.tz).date()
    if not person.active(day) or window["id"] in person.answered_windows:
        return
    h = trial.api.bearer(person.token)
    if window["form"] == "side_effects":
        checklist = trial.__dict__.get("_checklist")
        if checklist is None:
            checklist = trial.api.get("/api/v1/me/side-effect-checklist", h).json["symptoms"]
            trial.__dict__["_checklist"] = checklist
        p_se = trial.models.safety["p_side_effect"]
        ans = {s["code"]: (1 + person.rng.randrange(2) if person.rng.random() < p_se else 0)
               for s in checklist}
        done = trial.attempt("side-effect checklists", lambda: trial.api.post(
            "/api/v1/me/side-effects", {"diary_date": day.isoformat(), "answers": ans,
                                        "client_id": str(uuid.uuid4()),
                                        "device_time": _device_time(trial)}, h))
    else:
        definition = _instrument(trial, window["instrument"])
        ans = answers(definition, pain_on(person, day, trial.models), person.rng)
        done = trial.attempt("questionnaires", lambda: trial.api.post(
            "/api/v1/me/questionnaire-responses",
            {"instrument": window["instrument"], "window_id": window["id"], "answers": ans,
             "client_id": str(uuid.uuid4()), "device_time": _device_time(trial)}, h))
    if done is not None:
        person.answered_windows.add(window["id"])


def adverse_event(trial, person: Person, day: date, period: int) -> None:
    """The coordinator records an adverse event of the period on the form."""
    if not person.active(day):
        return
    api = trial.api
    body = {"term": AE_TERMS[person.rng.randrange(len(AE_TERMS))], "onset": day.isoformat(),
            "severity": "mild" if person.rng.random() < 0.7 else "moderate",
            "serious": False, "relatedness": "possible", "client_id": str(uuid.uuid4())}
    trial.attempt("adverse events", lambda: api.post(
        f"{ROOT}/{trial.key}/participants/{person.subject}/adverse-events", body, api.staff()))


def withdraw(trial, person: Person) -> None:
    if person.withdrawn:
        return
    api = trial.api
    body: dict = {"reason": "Withdrew consent (simulated)"}
    if "withdrawal" in trial.protocol.signatures:
        meanings = trial.protocol.signatures["withdrawal"]
        body["signature"] = {"password": ADMIN_PASSWORD,
                             "meaning": meanings[0] if meanings else "approval"}
    if trial.attempt("withdrawals", lambda: api.post(
            f"{ROOT}/{trial.key}/participants/{person.subject}/withdrawal", body,
            api.staff())) is not None:
        person.withdrawn = True
