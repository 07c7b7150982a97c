"""Every shipped protocol run as a simulated study on the injected clock (issue 13).

What a trial team does, through the HTTP API only: load the protocol, upload the
concealed allocation list when it randomises by list, screen when it screens, enrol
three participants (the third never gets an anchor: an intention-to-treat
row), plan each anchor event ahead and confirm it when it happens (each period's infusion
of a crossover, each course of the repeated infusions), keep the daily diary, answer every
open task (questionnaires built from the instrument definition the API serves, the
side-effect checklist), record medication and adverse events where the endpoints read
them, run the scheduler, and export. So no shipped protocol can again remind a
participant of something the API then refuses.

The clock only visits the instants where something happens (each diary evening, each
window opening, each anchor), which keeps a 6-month follow-up to a few hundred steps.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from diary.protocol.loader import parse_protocol
from diary.timezones import zone
from notifications.transport import ConsoleTransport
from tests.e2e.reminder_support import Harness

PROTOCOLS = Path(__file__).resolve().parents[2] / "protocols"
SHIPPED = sorted(PROTOCOLS.glob("*.yaml"))
PASSWORD = "correct horse battery"

# The trial's primary endpoint (the protocol marks it `primary: true`), computed for the
# first, complete participant's first period. A new shipped protocol must add its own here.
PRIMARY = {
    "crossover-ketamine-magnesium": "auc_d1_35",
    "crps-weekly-pain": "chg_w12",
    "perioperative-ketamine": "auc_d1_42",
    "repeated-infusions-paediatric": "auc_d1_10",
    "single-dose-intranasal": "pchg_60min",
}
# Anchor events recorded per participant (S3 gets none): two courses of the repeated
# infusions for S1, every period of a crossover, else one.
COURSE_GAP = timedelta(days=42)  # the paediatric courses: after course 1's month-1 window
PERIOD_GAP = timedelta(days=35)  # the crossover: one infusion every 35 days
REMINDER_KINDS = {"window_open", "window_closing"}
# PSQI's clock and duration items: plausible values (the definition gives only a range).
PSQI_TIMES = {"psqi_1": 23 * 60, "psqi_2": 20, "psqi_3": 7 * 60, "psqi_4": 7 * 60}


@dataclass
class Person:
    subject: str
    token: str
    anchors: list[datetime] = field(default_factory=list)  # UTC instants, in order
    windows_answered: set[str] = field(default_factory=set)


@dataclass
class Run:
    """One simulated study: the API, the clock, the scheduler and what the test saw."""

    api: object
    clock: object
    harness: Harness
    key: str
    protocol: object
    people: list[Person] = field(default_factory=list)
    task_windows: dict[str, dict] = field(default_factory=dict)  # window id -> task
    instruments: dict[str, dict] = field(default_factory=dict)

    @property
    def tz(self):
        return zone(self.protocol.timezone)

    def staff(self) -> dict:
        """A fresh coordinator token: the clock moves past a token's 12 hours."""
        return self.api.bearer(self.api.login("admin@site.org", PASSWORD))

    def post(self, url: str, body: dict, headers: dict) -> dict:
        r = self.api.c.post(url, headers=headers, json=body)
        assert 200 <= r.status_code < 300, (url, body, r.json)
        return r.json

    def instrument(self, instrument_id: str) -> dict:
        if instrument_id not in self.instruments:
            r = self.api.c.get(f"/api/v1/instruments/{instrument_id}", headers=self.staff())
            assert r.status_code == 200, (instrument_id, r.json)
            self.instruments[instrument_id] = r.json
        return self.instruments[instrument_id]

    def answers(self, instrument_id: str, level: int, *, staff: bool = False) -> dict:
        """Valid answers from the served definition: option ``level`` of each coded item
        (clamped), the range's middle for a number; clinician items only for staff."""
        out = {}
        for item in self.instrument(instrument_id)["items"]:
            if item["clinician"] and not staff:
                continue
            if item["options"]:
                codes = [o["code"] for o in item["options"]]
                out[item["id"]] = codes[min(level, len(codes) - 1)]
            elif item["id"] in PSQI_TIMES:
                out[item["id"]] = PSQI_TIMES[item["id"]]
            else:
                lo, hi = item["min"], item["max"]
                out[item["id"]] = min(hi, lo + level) if hi - lo <= 10 else (lo + hi) // 2
        return out


def _csv(body: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


# --- the run ------------------------------------------------------------------------------

def _start(api, clock, app, path: Path) -> Run:
    protocol = parse_protocol(path.read_text(encoding="utf-8"))
    tz = zone(protocol.timezone)
    clock.set(datetime(2027, 3, 1, 9, tzinfo=tz).astimezone(UTC))
    admin = api.create_admin(password=PASSWORD)
    key = api.create_study(admin, path.name)
    run = Run(api, clock, Harness(app, ConsoleTransport(now=clock.now)), key, protocol)
    if protocol.randomisation.method == "list":
        _upload_allocation_list(run, admin)
    for n in range(3):
        run.people.append(_enrol(run, n))
    return run


def _upload_allocation_list(run: Run, admin: str) -> None:
    """The unblinded admin's concealed list: three slots per site, cycling through the
    arms or sequences (stratified by site if the protocol says so)."""
    p = run.protocol
    run.api.unblind(admin, run.key)
    choices = [s.key for s in p.sequences] or [a.key for a in p.arms]
    field_name = "sequence" if p.design == "crossover" else "arm"
    rows = [{"number": k + 1, field_name: choices[(i + k) % len(choices)],
             **({"site": site} if p.randomisation.stratify_by else {})}
            for i, site in enumerate(p.sites if p.randomisation.stratify_by else [None])
            for k in range(3)]
    run.post(f"/api/v1/studies/{run.key}/allocation-lists", {"rows": rows},
             run.api.bearer(admin))


def _enrol(run: Run, n: int) -> Person:
    p, subject = run.protocol, f"S{n + 1}"
    fields = {"subject_id": subject, "site": p.sites[n % len(p.sites)],
              "phone": f"+1415555{n:04d}"}
    if p.randomisation.method == "list":  # the next slot of the concealed list
        pass
    elif p.design == "crossover":  # named by the coordinator (open label, or manual)
        fields["sequence"] = p.sequences[n % len(p.sequences)].key
    elif p.arms:
        fields["arm"] = p.arms[n % len(p.arms)].key
    if p.screening:
        # Every rule passed at the instrument's top answers (DN4 > 4: 10 of 10), entered by
        # the clinician who screens (examination items included).
        (rule,) = p.screening
        run.post(f"/api/v1/studies/{run.key}/screenings",
                 {"screening_number": f"SCR-{n}", "site": fields["site"],
                  "instrument": rule.instrument,
                  "answers": run.answers(rule.instrument, 99, staff=True)}, run.staff())
        fields["screening_number"] = f"SCR-{n}"
    enrolled = run.post(f"/api/v1/studies/{run.key}/participants", fields, run.staff())
    return Person(subject, run.api.activate(enrolled["activation_code"]))


def _anchor_times(run: Run, n: int) -> list[datetime]:
    """Local 09:00, 9 days after enrolment, then every period or course."""
    p = run.protocol
    first = datetime(2027, 3, 10, 9, tzinfo=run.tz).astimezone(UTC)
    if n == 2:
        return []
    if p.design == "crossover":
        return [first + k * PERIOD_GAP for k in range(p.periods)]
    (anchor,) = p.anchors
    if anchor.max_count is None and n == 0:
        return [first, first + COURSE_GAP]
    return [first]


def _plan(run: Run, person: Person, n: int) -> dict[datetime, str]:
    """Every anchor event planned at enrolment (its baseline days and pre-anchor windows
    are then owed and reminded): event id by planned instant."""
    (anchor,) = run.protocol.anchors
    planned = {}
    for k, at in enumerate(_anchor_times(run, n)):
        body = {"type": anchor.key, "planned_at": at.isoformat()}
        if run.protocol.design == "crossover":
            body["period"] = k + 1
        ev = run.post(f"/api/v1/studies/{run.key}/participants/{person.subject}/events",
                      body, run.staff())
        planned[at] = ev["id"]
        person.anchors.append(at)
    return planned


def _schedule(run: Run, person: Person) -> dict:
    r = run.api.c.get(f"/api/v1/studies/{run.key}/participants/{person.subject}/schedule",
                      headers=run.staff())
    assert r.status_code == 200, r.json
    return r.json


def _steps(run: Run, schedules: list[dict]) -> list[datetime]:
    """Each diary evening (after the reminder), and each window: noon of its first day
    for one of a day or more (after the morning's opening message), else just after it
    opens."""
    evening = run.protocol.reminders.daily_time or time(20, 0)
    out: set[datetime] = set()
    for sched in schedules:
        for span in sched["diary_spans"]:
            day = date.fromisoformat(span["first"])
            while day <= date.fromisoformat(span["last"]):
                local = datetime.combine(day, evening, run.tz) + timedelta(minutes=30)
                out.add(local.astimezone(UTC))
                day += timedelta(days=1)
            out.add(datetime.combine(day + timedelta(days=1), time(12), run.tz)
                    .astimezone(UTC))  # the last diary day is over (late entries too)
        for w in sched["windows"]:
            opens = datetime.fromisoformat(w["opens_at"])
            closes = datetime.fromisoformat(w["closes_at"])
            if closes - opens >= timedelta(days=1):
                out.add(opens + timedelta(hours=12))
            else:
                out.add(opens + min(timedelta(minutes=5), (closes - opens) / 2))
            out.add(closes + timedelta(days=1))  # the export after every window is over
    return sorted(out)


def _answer_tasks(run: Run, person: Person, level: int) -> None:
    """Today's diary when due, then every open task not yet done, each answered with 2xx."""
    now = run.clock.now()
    h = run.api.bearer(person.token)
    r = run.api.c.get("/api/v1/me/tasks", headers=h)
    assert r.status_code == 200, r.json
    tasks = r.json
    diary = tasks["diary"]
    if diary and diary["due"] and not diary["done"]:
        # A score that varies a little from day to day, lower for each later participant.
        score = max(0, 7 - level - len(person.windows_answered) % 3)
        run.post("/api/v1/me/diary-entries",
                 {"diary_date": tasks["today"], "score": score,
                  "client_id": str(uuid.uuid4()), "device_time": now.isoformat()}, h)
    for task in tasks["open_windows"]:
        run.task_windows[task["id"]] = task
        if task["done"]:
            continue
        if task["form"] == "side_effects":
            codes = [s["code"] for s in run.api.c.get(
                "/api/v1/me/side-effect-checklist", headers=h).json["symptoms"]]
            answers = {c: (2 if i == 0 else 0) for i, c in enumerate(codes)}
            run.post("/api/v1/me/side-effects",
                     {"diary_date": tasks["today"], "answers": answers,
                      "client_id": str(uuid.uuid4()), "device_time": now.isoformat()}, h)
        else:
            assert task["form"] == "questionnaire", task
            # Pain falls after each anchor: the pre-anchor answers score higher.
            before = now < min((a for a in person.anchors), default=now)
            run.post("/api/v1/me/questionnaire-responses",
                     {"instrument": task["instrument"], "window_id": task["id"],
                      "answers": run.answers(task["instrument"], level + (3 if before else 0)),
                      "client_id": str(uuid.uuid4()), "device_time": now.isoformat()}, h)
        person.windows_answered.add(task["id"])


def _adverse_event(run: Run, person: Person, at: datetime) -> None:
    """At each confirmed anchor, where an ae_any endpoint counts them: a mild dizziness
    starting that day, on the coordinators' adverse-event form."""
    kinds = {e.kind for e in run.protocol.endpoints}
    subject_url = f"/api/v1/studies/{run.key}/participants/{person.subject}"
    if "ae_any" in kinds:
        run.post(f"{subject_url}/adverse-events",
                 {"term": "Dizziness", "onset": at.astimezone(run.tz).date().isoformat(),
                  "severity": "mild", "serious": False, "relatedness": "possible",
                  "client_id": str(uuid.uuid4())}, run.staff())


# Where endpoints read the medication diary: IV morphine on the day of the anchor,
# oxycodone the day after and a 72-hour fentanyl patch on day 24 (hand arithmetic in
# _check_perioperative).
MEDICATION_PLAN = [  # (day, hour, drug, dose, unit, route, hours worn)
    (0, 14, "morphine", 5, "mg", "intravenous", None),   # 5 x 3 = 15 MME
    (1, 10, "oxycodone", 10, "mg", "oral", None),        # 10 x 1.5 = 15 MME
    (24, 10, "fentanyl", 25, "mcg/h", "transdermal", 72),  # 60 MME on days 24, 25, 26
]


def _medications_due(run: Run, person: Person, posted: set) -> None:
    """The participant posts each planned intake at the first step after it was taken."""
    if not any(e.kind.startswith("mme") for e in run.protocol.endpoints) or not person.anchors:
        return
    day0 = person.anchors[0].astimezone(run.tz).date()
    for day, hour, drug, dose, unit, route, worn in MEDICATION_PLAN:
        taken = datetime.combine(day0 + timedelta(days=day), time(hour), run.tz)
        if (person.subject, day) in posted or taken > run.clock.now():
            continue
        body = {"drug": drug, "dose": dose, "unit": unit, "route": route, "rescue": day == 1,
                "taken_at": taken.isoformat(), "client_id": str(uuid.uuid4())}
        if worn:
            body["worn_hours"] = worn
        row = run.post("/api/v1/me/medications", body, run.api.bearer(person.token))
        if worn:  # the patch: its whole wear and its daily figure, both stored
            assert (row["mme"], row["mme_daily"]) == ("180", "60"), row
        posted.add((person.subject, day))


def simulate(run: Run) -> None:
    planned: dict[datetime, list[tuple[Person, str]]] = defaultdict(list)
    for n, person in enumerate(run.people):
        for at, event_id in _plan(run, person, n).items():
            planned[at].append((person, event_id))
    schedules = [_schedule(run, p) for p in run.people]
    steps = sorted(set(_steps(run, schedules)) | set(planned))
    done_meds: set = set()
    for at in steps:
        if at < run.clock.now():
            continue
        run.clock.set(at)
        for person, event_id in planned.get(at, []):
            run.post(f"/api/v1/studies/{run.key}/participants/{person.subject}/events/"
                     f"{event_id}/confirmation", {"occurred_at": at.isoformat()}, run.staff())
            _adverse_event(run, person, at)
        run.harness.tick(at)
        for level, person in enumerate(run.people):
            _answer_tasks(run, person, level)
            _medications_due(run, person, done_meds)


# --- the test -----------------------------------------------------------------------------

@pytest.fixture(params=SHIPPED, ids=lambda p: p.stem)
def finished(request, api, clock, app) -> Run:
    run = _start(api, clock, app, request.param)
    simulate(run)
    return run


def test_every_shipped_protocol_has_a_primary_endpoint_named_here():
    assert {p.stem for p in SHIPPED} == set(PRIMARY)
    for path in SHIPPED:
        protocol = parse_protocol(path.read_text(encoding="utf-8"))
        primary = [o.key for s in protocol.endpoints if s.primary for o in s.outputs()]
        assert primary == [PRIMARY[path.stem]], path.stem


def test_a_shipped_protocol_runs_end_to_end(finished: Run):
    run, protocol = finished, finished.protocol
    # Every window reminder the scheduler planned names a task the participant saw and
    # the API accepts: a known questionnaire, or the side-effect checklist.
    reminders = [r for r in run.harness.outbox() if r.kind in REMINDER_KINDS]
    assert reminders, "the protocol's windows were never reminded"
    for r in reminders:
        task = run.task_windows.get(r.target)
        assert task is not None, (r.kind, r.body)
        assert task["form"] in {"questionnaire", "side_effects"}, (r.kind, r.body)
        if task["form"] == "questionnaire":
            run.instrument(task["instrument"])  # 200, or the assertion names it
        assert "unknown" not in r.body

    # Exports: one row per participant and period, the declared endpoint columns.
    staff = run.staff()
    url = f"/api/v1/studies/{run.key}/endpoints?format=csv&layout="
    wide = run.api.c.get(url + "wide", headers=staff)
    assert wide.status_code == 200, wide.data[:500]
    rows = _csv(wide.data)
    expected = Counter()
    for n, person in enumerate(run.people):
        periods = protocol.periods if protocol.design == "crossover" else max(
            1, len(person.anchors))
        expected[person.subject] = periods
        assert n < 2 or not person.anchors  # S3: intention to treat, no anchor
    assert Counter(r["subject"] for r in rows) == expected
    columns = [o.key for spec in protocol.endpoints for o in spec.outputs()]
    assert set(columns) <= set(rows[0]), set(columns) - set(rows[0])
    first = next(r for r in rows if r["subject"] == "S1" and r["period"] in ("1", ""))
    primary = PRIMARY[protocol.key]
    for row in rows:  # S1 and S2 kept everything: the primary endpoint of every period
        if row["subject"] != "S3":
            assert row[primary] != "", (row["subject"], row["period"], primary,
                                        row[f"{primary}_reason"])
    itt = [r for r in rows if r["subject"] == "S3"]
    assert all(r[primary] == "" and r[f"{primary}_reason"] for r in itt)

    figure = run.api.c.get(f"/api/v1/studies/{run.key}/endpoints?format=png&figure=mean",
                           headers=staff)
    assert figure.status_code == 200 and figure.data.startswith(b"\x89PNG"), figure.data[:300]

    long = run.api.c.get(url + "long", headers=staff)
    assert long.status_code == 200, long.data[:500]
    long_rows = _csv(long.data)
    assert {r["USUBJID"] for r in long_rows} == set(expected)
    assert {(r["USUBJID"], r["APERIOD"]) for r in long_rows} == {
        (r["subject"], r["period"]) for r in rows}
    # The summary's primary line reads as a paper writes it, to one decimal (issue 14).
    summary = _csv(run.api.c.get(url + "summary", headers=staff).data)
    lines = [r["report"] for r in summary if r["primary"] == "Y" and r["report"]]
    assert lines and {r["endpoint"] for r in summary if r["primary"] == "Y"} == {primary}
    for line in lines:
        assert re.fullmatch(r"-?\d+\.\d ± (\d+\.\d|NA) \(.+\), n = \d+", line), line
    if protocol.key == "perioperative-ketamine":
        _check_perioperative(first)


def _check_perioperative(row: dict) -> None:
    """The medication diary by hand: IV morphine 5 mg x 3 (ANZCA parenteral) on day 0,
    oxycodone 10 mg x 1.5 on day 1, nothing on day 2: 30 MME on days 0-2. The 72-hour
    fentanyl patch from day 24 counts its daily 60 on days 24, 25 and 26 (never its 180
    on one day): days 24-30 average 180 / 7."""
    assert Decimal(row["mme_d0_2"]) == 15 + 15
    assert row["mme_m1"] == "25.7"                            # 180 / 7 to one decimal
    assert float(row["ae_any_d0_182"]) == 1  # the dizziness on the day of surgery
