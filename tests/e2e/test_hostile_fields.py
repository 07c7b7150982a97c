"""Hostile values in single fields get a 4xx naming the field and the rule, never a 500,
and nothing is stored (issue 12). Each case runs on SQLite, and on PostgreSQL when
PAINDIARY_TEST_DATABASE_URL is set (the ``api`` fixture).

Each case also sends the same request with a sane value, which is stored: so the refusal
is the field's doing, and "nothing stored" is a count that could have gone up.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import String, func, select

from diary.api.event_schemas import EventIn
from diary.api.questionnaire_schemas import ResponseIn, ScreeningIn
from diary.api.safety_schemas import AdverseEventIn, IntakeIn
from diary.api.schemas import AccountIn, EnrolIn, LoginIn, RoleIn
from diary.api.staff_schemas import StaffEntryIn, StaffResponseIn
from diary.db.allocation_models import AllocationList, AllocationSlot, BlindingCode
from diary.db.audit_models import (
    AuditChainHead,
    AuditPending,
    AuditRecord,
    AuditSeal,
    AuditSealMark,
)
from diary.db.auth_models import AuthThrottle
from diary.db.export_job_models import ExportJob
from diary.db.messaging import InboundSms, OutboxMessage, ReminderCursor, SmsConversation
from diary.db.models import (
    Account,
    ActivationCode,
    AnchorEvent,
    AnchorEventVersion,
    ApiToken,
    Base,
    DiaryEntry,
    Participant,
    ProtocolVersion,
    QuestionnaireResponse,
    Screening,
    Study,
    StudyRole,
)
from diary.db.safety_models import AdverseEventRecord, MedicationIntake, SideEffectReport
from diary.protocol.sections import CODE_RE, KEY_RE, LANG_RE, MAX_TITLE, MAX_VERSION_LABEL
from diary.safety import DEFAULT_SYMPTOMS
from diary.services import enrolment
from tests.conftest import MINIMAL_CROSSOVER

STUDY = "mini-crossover"
PARIS = ZoneInfo("Europe/Paris")
P = f"/api/v1/studies/{STUDY}/participants"
PHQ9 = {f"phq9_{n}": 1 for n in range(1, 10)}


@pytest.fixture
def ctx(api, s001, clock):
    """S001 enrolled and activated; 1 March 2027, 21:00 in Paris."""
    clock.set(datetime(2027, 3, 1, 21, tzinfo=PARIS))
    return {"admin": api.bearer(s001["admin"]), "device": api.bearer(s001["token"]),
            "admin_token": s001["admin"]}


def count(api, model) -> int:
    with api.app.extensions["paindiary"].session_factory() as s:
        return s.scalar(select(func.count()).select_from(model))


def refused(r, field: str, says: str | None = None) -> None:
    assert 400 <= r.status_code < 500, (r.status_code, r.get_data(as_text=True)[:300])
    assert r.json["field"] == field, r.json
    if says is not None:
        assert says in r.json["message"], r.json


# --- requests, each with one value to vary ------------------------------------------------

def diary_entry(api, ctx, device_time):
    return api.c.post("/api/v1/me/diary-entries", headers=ctx["device"], json={
        "diary_date": "2027-03-01", "score": 5, "client_id": str(uuid.uuid4()),
        "device_time": device_time})


def intake(api, ctx, taken_at="2027-03-01T19:30:00+01:00", *, coordinator=False, **fields):
    body = {"drug": "oxycodone", "dose": 10, "unit": "mg", "route": "oral",
            "taken_at": taken_at, "client_id": str(uuid.uuid4()), **fields}
    if coordinator:
        return api.c.post(f"{P}/S001/medications", headers=ctx["admin"], json=body)
    return api.c.post("/api/v1/me/medications", headers=ctx["device"], json=body)


def side_effects(api, ctx, device_time):
    return api.c.post("/api/v1/me/side-effects", headers=ctx["device"], json={
        "diary_date": "2027-03-01", "answers": {s.code: 0 for s in DEFAULT_SYMPTOMS},
        "client_id": str(uuid.uuid4()), "device_time": device_time})


def questionnaire(api, ctx, device_time="2027-03-01T20:00:00+01:00", **fields):
    body = {"instrument": "phq9", "answers": PHQ9, "client_id": str(uuid.uuid4()),
            "device_time": device_time, **fields}
    return api.c.post("/api/v1/me/questionnaire-responses", headers=ctx["device"], json=body)


def fhir_questionnaire(api, ctx, authored):
    body = {"resourceType": "QuestionnaireResponse", "status": "completed",
            "questionnaire": "urn:paindiary/Questionnaire/phq9",
            "identifier": {"value": str(uuid.uuid4())}, "authored": authored,
            "item": [{"linkId": k, "answer": [{"valueInteger": v}]} for k, v in PHQ9.items()]}
    return api.c.post("/api/v1/me/questionnaire-responses", headers=ctx["device"], json=body,
                      content_type="application/fhir+json")


def anchor_event(api, ctx, occurred_at="2027-03-01T08:00:00+00:00", **fields):
    body = {"type": "infusion", "period": 1, "occurred_at": occurred_at, **fields}
    return api.c.post(f"{P}/S001/events", headers=ctx["admin"], json=body)


def adverse_event(api, ctx, **fields):
    body = {"term": "Dizziness", "onset": "2027-03-01", "severity": "mild", "serious": False,
            "relatedness": "possible", "client_id": str(uuid.uuid4()), **fields}
    return api.c.post(f"{P}/S001/adverse-events", headers=ctx["admin"], json=body)


def enrol(api, ctx, **fields):
    body = {"subject_id": "S002", "site": "PAR", "sequence": "KP", **fields}
    return api.c.post(P, headers=ctx["admin"], json=body)


def account(api, ctx, email="coordinator@site.org"):
    return api.c.post("/api/v1/accounts", headers=ctx["admin"],
                      json={"email": email, "password": "a long enough password"})


# --- date-times that overflow when converted to UTC ---------------------------------------

OVERFLOWING = ["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00"]
INSTANTS = [
    # (what, request, field, table, a sane value)
    ("diary entry", diary_entry, "device_time", DiaryEntry, "2027-03-01T20:00:00+01:00"),
    ("own intake", intake, "taken_at", MedicationIntake, "2027-03-01T19:30:00+01:00"),
    ("intake by the site", lambda api, ctx, at: intake(api, ctx, at, coordinator=True),
     "taken_at", MedicationIntake, "2027-03-01T19:30:00+01:00"),
    ("side effects", side_effects, "device_time", SideEffectReport,
     "2027-03-01T20:00:00+01:00"),
    ("questionnaire", questionnaire, "device_time", QuestionnaireResponse,
     "2027-03-01T20:00:00+01:00"),
    ("FHIR questionnaire", fhir_questionnaire, "authored", QuestionnaireResponse,
     "2027-03-01T20:00:00+01:00"),
    ("anchor event", anchor_event, "occurred_at", AnchorEvent, "2027-03-01T08:00:00+00:00"),
]


@pytest.mark.parametrize("value", OVERFLOWING)
@pytest.mark.parametrize(("what", "send", "field", "table", "sane"), INSTANTS,
                         ids=[case[0] for case in INSTANTS])
def test_a_date_time_beyond_the_utc_range_is_refused(api, ctx, what, send, field, table,
                                                      sane, value):
    refused(send(api, ctx, value), field, "must be a date-time from 1900-01-01")
    assert count(api, table) == 0
    r = send(api, ctx, sane)
    assert r.status_code == 201, r.json
    assert count(api, table) == 1


# --- doses -----------------------------------------------------------------------------

@pytest.mark.parametrize(("dose", "says"), [
    ("1e30", "at most 9 digits before"),
    (1e30, "at most 9 digits before"),                   # a JSON number
    ("1234567890", "at most 9 digits before"),
    ("0.000000000000000000000000000001", "6 after the point"),   # 32 characters
    ("0." + "0" * 40 + "1", "in at most 32 characters"),
    ("7" * 1000, "in at most 32 characters"),
    (1e-7, "6 after the point"),
], ids=["1e30 text", "1e30 number", "10 digits", "tiny", "tiny in 43 characters",
        "1000 digits", "1e-7 number"])
def test_a_dose_with_too_many_digits_is_refused(api, ctx, dose, says):
    refused(intake(api, ctx, dose=dose), "dose", says)
    assert count(api, MedicationIntake) == 0
    assert intake(api, ctx, dose="0.000001").status_code == 201  # 6 decimals: accepted
    assert count(api, MedicationIntake) == 1


# --- text longer than its column ----------------------------------------------------------

TOO_LONG = [
    # (what, request, field, table, sane value): the value sent is one character too long
    ("account email", lambda api, ctx, v: account(api, ctx, v + "@site.org"), "email",
     Account, "coordinator"),
    ("subject id", lambda api, ctx, v: enrol(api, ctx, subject_id=v), "subject_id",
     Participant, "S002"),
    ("site", lambda api, ctx, v: enrol(api, ctx, site=v), "site", Participant, "PAR"),
    ("sequence", lambda api, ctx, v: enrol(api, ctx, sequence=v), "sequence", Participant,
     "KP"),
    ("arm", lambda api, ctx, v: enrol(api, ctx, arm=v), "arm", Participant, None),
    ("time zone", lambda api, ctx, v: enrol(api, ctx, timezone=v), "timezone", Participant,
     "Europe/Paris"),
    ("language", lambda api, ctx, v: enrol(api, ctx, language=v), "language", Participant,
     "en"),
    ("screening number at enrolment", lambda api, ctx, v: enrol(api, ctx,
                                                                   screening_number=v),
     "screening_number", Participant, None),
    ("event type", lambda api, ctx, v: anchor_event(api, ctx, type=v), "type", AnchorEvent,
     "infusion"),
    ("adverse event term", lambda api, ctx, v: adverse_event(api, ctx, term=v), "term",
     AdverseEventRecord, "Dizziness"),
    ("adverse event corrects", lambda api, ctx, v: adverse_event(
        api, ctx, corrects=v, reason="typo"), "corrects", AdverseEventRecord, None),
    ("intake corrects", lambda api, ctx, v: intake(api, ctx, corrects=v, reason="typo"),
     "corrects", MedicationIntake, None),
    ("questionnaire instrument", lambda api, ctx, v: questionnaire(api, ctx, instrument=v),
     "instrument", QuestionnaireResponse, "phq9"),
    ("questionnaire window", lambda api, ctx, v: questionnaire(api, ctx, window_id=v),
     "window_id", QuestionnaireResponse, None),
    ("screening number", lambda api, ctx, v: api.c.post(
        f"/api/v1/studies/{STUDY}/screenings", headers=ctx["admin"],
        json={"screening_number": v, "site": "PAR", "instrument": "dn4", "answers": {}}),
     "screening_number", Screening, None),
]
COLUMN_OF = {"email": Account.email, "subject_id": Participant.subject_id,
             "site": Participant.site, "sequence": Participant.sequence,
             "arm": Participant.arm, "timezone": Participant.timezone,
             "language": Participant.language, "screening_number": Screening.screening_number,
             "type": AnchorEvent.type, "term": AdverseEventRecord.term,
             "corrects": MedicationIntake.id, "instrument": QuestionnaireResponse.instrument,
             "window_id": QuestionnaireResponse.window_id}


@pytest.mark.parametrize(("what", "send", "field", "table", "sane"), TOO_LONG,
                         ids=[case[0] for case in TOO_LONG])
def test_text_longer_than_its_column_is_refused(api, ctx, what, send, field, table, sane):
    length = COLUMN_OF[field].type.length
    before = count(api, table)
    value = "a" * (length + 1 - len("@site.org") if field == "email" else length + 1)
    refused(send(api, ctx, value), field, f"{length}")
    assert count(api, table) == before
    if sane is not None:
        r = send(api, ctx, sane)
        assert r.status_code == 201, r.json
        assert count(api, table) == before + 1


# Every String(n) column is fed by a checked API field, by a checked protocol field, or by
# the server itself: a new column must be placed here, and an API field must not admit
# more characters than its column holds.
FROM_API = {
    Account.email: [(AccountIn, "email"), (LoginIn, "email"), (RoleIn, "email")],
    Participant.subject_id: [(EnrolIn, "subject_id")],
    Participant.site: [(EnrolIn, "site"), (RoleIn, "sites")],
    Participant.arm: [(EnrolIn, "arm")], Participant.sequence: [(EnrolIn, "sequence")],
    Participant.timezone: [(EnrolIn, "timezone")],
    Participant.language: [(EnrolIn, "language")],
    Screening.screening_number: [(EnrolIn, "screening_number"),
                                 (ScreeningIn, "screening_number")],
    Screening.site: [(ScreeningIn, "site")], Screening.instrument: [(ScreeningIn, "instrument")],
    AnchorEvent.type: [(EventIn, "type")],
    AdverseEventRecord.term: [(AdverseEventIn, "term")],
    QuestionnaireResponse.instrument: [(ResponseIn, "instrument"),
                                       (StaffResponseIn, "instrument")],
    QuestionnaireResponse.window_id: [(ResponseIn, "window_id"),
                                      (StaffResponseIn, "window_id")],
}
# Refs to other rows: checked against the row ids (String(36)).
CORRECTS = [(IntakeIn, "corrects"), (AdverseEventIn, "corrects"), (ResponseIn, "corrects"),
            (StaffEntryIn, "corrects"), (StaffResponseIn, "corrects")]
# Checked by a rule of its own, with a better message than a length.
BY_RULE = {
    Participant.reminder_time: 'enrolment: "HH:MM", fullmatch',
    MedicationIntake.dose: "diary.medication.intake: at most 32 characters and 9+6 digits",
    Study.key: KEY_RE.pattern, Study.title: MAX_TITLE, ProtocolVersion.label: MAX_VERSION_LABEL,
    # Allocation lists (issue 13): each value must be one of the protocol's keys and sites.
    AllocationSlot.arm: "diary.services.allocation: one of the protocol's arms",
    AllocationSlot.sequence: "diary.services.allocation: one of the protocol's sequences",
    AllocationSlot.stratum: "diary.services.allocation: factor=site, a protocol site",
}


def _bounded(*tables) -> set[str]:
    return {f"{t.__tablename__}.{c.name}" for t in tables for c in t.__table__.c
            if isinstance(c.type, String) and c.type.length}


def _names(attributes) -> set[str]:
    return {f"{a.class_.__tablename__}.{a.key}" for a in attributes}


SERVER_SET = _bounded(  # ids, hashes, codes from vocabularies, states: never a client's text
    Account, ActivationCode, AnchorEvent, AnchorEventVersion, ApiToken, AuditChainHead,
    AuditRecord, AuditPending, DiaryEntry,
    Participant, ProtocolVersion, QuestionnaireResponse, Screening, StudyRole,
    MedicationIntake, SideEffectReport, AdverseEventRecord, OutboxMessage, ReminderCursor,
    SmsConversation, BlindingCode, AllocationList, AllocationSlot, AuthThrottle, AuditSeal,
    AuditSealMark,
    ExportJob,  # layout, format, figure: OneOf short words (diary/api/export_job_schemas.py)
) - _names([*FROM_API, *BY_RULE])
# Twilio's signed webhooks (MessageSid, the masked From): the SMS layer's own checks.
FROM_TWILIO = _bounded(InboundSms)


def _length_max(schema, name: str) -> int | None:
    field = schema().fields[name]
    field = getattr(field, "inner", field)  # a list: each item
    validators = field.validators
    return min((v.max for v in validators if getattr(v, "max", None) is not None),
               default=None)


def test_each_string_column_is_fed_by_a_field_no_longer_than_the_column():
    columns = {f"{table.name}.{c.name}" for table in Base.metadata.sorted_tables
               for c in table.c if isinstance(c.type, String) and c.type.length}
    assert columns - (_names([*FROM_API, *BY_RULE]) | SERVER_SET | FROM_TWILIO) == set()
    for attr, fields in FROM_API.items():
        for schema, name in fields:
            assert _length_max(schema, name) == attr.type.length, (schema.__name__, name)
    for schema, name in CORRECTS:
        assert _length_max(schema, name) == 36, (schema.__name__, name)
    assert MAX_TITLE == Study.title.type.length
    assert MAX_VERSION_LABEL == ProtocolVersion.label.type.length
    assert "{0,62}" in KEY_RE.pattern and Study.key.type.length == 64
    assert "{0,31}" in CODE_RE.pattern and Participant.site.type.length >= 32
    assert len("abc-DE") <= Participant.language.type.length and LANG_RE.fullmatch("abc-DE")


# --- a pattern ending in $ also matched before a trailing newline ---------------------------

@pytest.mark.parametrize(("fields", "field", "says"), [
    ({"reminder_time": "20:00\n"}, "reminder_time", "HH:MM"),
    ({"subject_id": "S001\n"}, "subject_id", "letters, digits"),    # beside S001
    ({"subject_id": "A-001\n"}, "subject_id", "letters, digits"),
    ({"timezone": "Europe/Paris\n"}, "timezone", "IANA"),
    ({"site": "PAR\n"}, "site", "must be one of"),
    ({"language": "en\n"}, "language", "must be one of"),
])
def test_a_trailing_newline_is_not_part_of_a_valid_value(api, ctx, fields, field, says):
    before = count(api, Participant)
    refused(enrol(api, ctx, **fields), field, says)
    assert count(api, Participant) == before == 1


@pytest.mark.parametrize(("line", "path"), [
    ('key: "mini-crossover\\n"', "key"),
    ('timezone: "Europe/Paris\\n"', "timezone"),
    ('title: "' + "t" * 301 + '"', "title"),
    ('version: "' + "v" * 65 + '"', "version"),
])
def test_a_protocol_value_with_a_trailing_newline_or_too_long_is_refused(api, admin, line,
                                                                         path):
    name = line.split(":")[0]
    source = "\n".join(line if row.startswith(name + ":") else row
                       for row in MINIMAL_CROSSOVER.splitlines())
    if name == "version":
        source += "\n" + line
    r = api.upload(admin, source)
    assert r.status_code == 422 and path in r.json["errors"], r.json
    assert count(api, Study) == 0
    assert api.upload(admin, MINIMAL_CROSSOVER).status_code == 201


# --- a protocol nested 5,000 deep -----------------------------------------------------------

DEEP = ["sites: " + "[" * 5000 + "]" * 5000,
        "sites:\n  " + "- " * 5000 + "PAR",
        "sites: " + "{a: " * 5000 + "b" + "}" * 5000]


@pytest.mark.parametrize("nesting", DEEP, ids=["flow lists", "block lists", "flow mappings"])
def test_a_protocol_nested_thousands_deep_is_refused_by_the_api_and_the_cli(
        api, admin, tmp_path, nesting):
    source = MINIMAL_CROSSOVER.replace("sites: [PAR, LYO]", nesting)
    r = api.upload(admin, source)
    refused(r, "protocol", "nested deeper than 32 levels")
    assert count(api, Study) == 0
    path = tmp_path / "deep.yaml"
    path.write_text(source)
    result = api.app.test_cli_runner().invoke(args=["studies", "check", str(path)])
    assert result.exit_code == 1 and "nested deeper than 32 levels" in result.output
    assert not isinstance(result.exception, RecursionError)


# --- time zones that say nowhere ----------------------------------------------------------

@pytest.mark.parametrize("name", ["Factory", "EST5EDT", "CET", "Etc/GMT+5", "US/Eastern",
                                  "GMT", "posixrules", "Europe"])
def test_a_zone_that_is_not_a_place_is_refused_for_participants_and_studies(api, ctx, name):
    refused(enrol(api, ctx, timezone=name), "timezone",
            "must be a geographic IANA time zone, Area/Location such as Europe/Paris, or UTC")
    source = MINIMAL_CROSSOVER.replace("Europe/Paris", name).replace("mini-", "other-")
    r = api.upload(ctx["admin_token"], source)
    assert r.status_code == 422 and "Area/Location" in r.json["errors"]["timezone"][0]
    assert (count(api, Participant), count(api, Study)) == (1, 1)


@pytest.mark.parametrize("name", ["UTC", "Asia/Calcutta", "America/Argentina/Buenos_Aires"])
def test_utc_and_area_location_names_including_old_spellings_are_accepted(api, ctx, name):
    r = enrol(api, ctx, timezone=name)
    assert (r.status_code, r.json["timezone"]) == (201, name)


# --- an adverse event resolved in the future ------------------------------------------------

@pytest.mark.parametrize("resolved", ["9999-12-31", "2027-03-02"])
def test_an_adverse_event_cannot_resolve_after_today(api, ctx, resolved):
    refused(adverse_event(api, ctx, resolved=resolved), "resolved",
            "is in the future (today is 2027-03-01 in Europe/Paris)")
    assert count(api, AdverseEventRecord) == 0
    assert adverse_event(api, ctx, resolved="2027-03-01").status_code == 201  # today


# --- a role naming sites many times --------------------------------------------------------

@pytest.mark.parametrize(("sites", "says"), [
    (["PAR"] * 10_000, "Longer than maximum length 1000"),
    (["PAR", "LYO", "PAR"], "lists 'PAR' more than once"),
    (["P" * 33], "Longer than maximum length 32"),
], ids=["one site 10,000 times", "a site twice", "a site longer than its column"])
def test_a_role_must_name_each_site_once(api, ctx, sites, says):
    assert account(api, ctx).status_code == 201
    url = f"/api/v1/studies/{STUDY}/roles"
    body = {"email": "coordinator@site.org", "role": "coordinator"}
    r = api.c.put(url, headers=ctx["admin"], json={**body, "sites": sites})
    assert r.status_code == 422 and says in str(r.json["errors"]["sites"]), r.json
    assert r.json["field"].startswith("sites")
    assert count(api, StudyRole) == 0  # the administrator is a superuser: no role row
    assert api.c.put(url, headers=ctx["admin"], json={**body, "sites": ["PAR", "LYO"]}
                     ).status_code == 200
    assert count(api, StudyRole) == 1


# --- activation codes never collide ---------------------------------------------------------

class Lookups:
    """Stands in for the random lookup: hands out the given lookups in order."""

    def __init__(self):
        self.queue: list[str] = []
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        return self.queue.pop(0)


def _lookups(n: int, start: int = 0) -> list[str]:
    alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
    return ["Z" + alphabet[k // 31 % 31] + alphabet[k % 31] + "Z" for k in range(start,
                                                                             start + n)]


def test_enrolments_and_reissues_draw_again_when_the_lookup_is_taken(api, ctx, monkeypatch):
    fake = Lookups()
    monkeypatch.setattr(enrolment, "new_code_lookup", fake)
    taken = _lookups(10)
    fake.queue = list(taken)
    for n in range(10):  # ten codes hold ten lookups
        assert enrol(api, ctx, subject_id=f"T{n:02}").status_code == 201
    fresh = _lookups(20, start=10)
    codes = {}
    for n in range(10):  # each draws three taken lookups first, then a free one
        fake.queue = [taken[n], taken[(n + 1) % 10], taken[(n + 2) % 10], fresh[n]]
        r = enrol(api, ctx, subject_id=f"U{n:02}")
        assert r.status_code == 201, r.json
        assert r.json["activation_code"].startswith(fresh[n]) and fake.queue == []
        codes[f"U{n:02}"] = r.json["activation_code"]
    for n in range(10):  # a re-issue too
        fake.queue = [fresh[n], taken[n], fresh[10 + n]]
        r = api.c.post(f"{P}/T{n:02}/activation-code", headers=ctx["admin"])
        assert r.status_code == 201 and r.json["activation_code"].startswith(fresh[10 + n])
        codes[f"T{n:02}"] = r.json["activation_code"]
    for subject, code in codes.items():  # every code finds its own participant
        r = api.c.post("/api/v1/participant/activate", json={"code": code})
        assert (r.status_code, r.json["subject_id"]) == (200, subject)
    with api.app.extensions["paindiary"].session_factory() as s:
        lookups = s.scalars(select(ActivationCode.lookup)).all()
    assert len(lookups) == len(set(lookups)) == 1 + 10 + 10 + 10  # S001's, then ours


def test_when_every_draw_is_taken_the_enrolment_is_refused_and_nothing_stored(
        api, ctx, monkeypatch):
    fake = Lookups()
    monkeypatch.setattr(enrolment, "new_code_lookup", fake)
    (taken,) = fake.queue = _lookups(1)
    assert enrol(api, ctx, subject_id="T00").status_code == 201
    fake.queue = [taken] * enrolment.LOOKUP_DRAWS
    before = (count(api, Participant), count(api, ActivationCode), count(api, AuditRecord))
    refused(enrol(api, ctx, subject_id="T01"), "activation_code", "try again")
    assert (count(api, Participant), count(api, ActivationCode),
            count(api, AuditRecord)) == before
    assert api.c.get(f"{P}/T01", headers=ctx["admin"]).status_code == 404
