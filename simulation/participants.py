"""Synthetic participants: who they are, how their pain runs, how they answer.

Each person draws from a generator of their own, seeded by the simulation's seed and their
subject id, so what one person does never depends on the order events are processed in.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime

from .models import Models

# PSQI's clock and duration items (minutes): plausible values, the definition gives a range.
PSQI_TIMES = {"psqi_1": 23 * 60, "psqi_2": 20, "psqi_3": 7 * 60, "psqi_4": 7 * 60}
# Day modes: when (if at all) the person logs a diary day.
BEFORE, AFTER_REMINDER, AFTER_NUDGE, LATE, MISSED = "before", "reminder", "nudge", "late", "miss"


@dataclass
class Person:
    subject: str
    site: str
    rng: random.Random
    seed: str
    channel: str = "app"          # "app" or "sms": how the diary is answered
    phone: str = ""
    language: str | None = None
    participant_id: str = ""
    token: str = ""
    arm: str | None = None
    sequence: list[str] = field(default_factory=list)  # treatments per period (crossover)
    enrolled_at: datetime | None = None
    anchors: list[datetime] = field(default_factory=list)     # planned instants, UTC
    anchor_dates: list[date] = field(default_factory=list)    # their local dates
    event_ids: list[str] = field(default_factory=list)
    baseline: float = 6.0
    response: float = 1.0          # this person's share of the arm's effect
    drop_day: date | None = None   # stops answering from this local date
    withdraw_day: date | None = None
    withdrawn: bool = False
    day_modes: dict[date, str] = field(default_factory=dict)
    logged: set[date] = field(default_factory=set)
    answered_windows: set[str] = field(default_factory=set)

    def active(self, day: date) -> bool:
        return not self.withdrawn and (self.drop_day is None or day < self.drop_day)

    def treatment(self, period: int) -> str | None:
        """The treatment of period ``period`` (0-based), or the arm of a parallel study."""
        if self.sequence:
            return self.sequence[min(period, len(self.sequence) - 1)]
        return self.arm


def new_person(seed: int, n: int, site: str, models: Models, languages: list[str]) -> Person:
    subject = f"SIM{n + 1:04d}"
    key = f"{seed}:{subject}"
    rng = random.Random(key)
    pain = models.pain
    person = Person(subject=subject, site=site, rng=rng, seed=key,
                    phone=f"+1415{7000000 + n:07d}")
    person.channel = "sms" if rng.random() < models.diary["p_sms"] else "app"
    person.language = languages[rng.randrange(len(languages))] if languages else None
    person.baseline = min(10.0, max(1.0, rng.gauss(pain["baseline_mean"], pain["baseline_sd"])))
    person.response = max(0.0, rng.gauss(1.0, 0.5))
    return person


def _shape(day: int, models: Models) -> float:
    """The share of a treatment's effect on day ``day`` after its anchor: building up over
    ``onset_days``, then halving every ``duration_days`` (never, when null)."""
    if day < 0:
        return 0.0
    onset = max(1, int(models.pain["onset_days"]))
    ramp = min(1.0, (day + 1) / onset)
    half_life = models.pain["duration_days"]
    if not half_life:
        return ramp
    return ramp * 0.5 ** (max(0, day - onset) / float(half_life))


def pain_on(person: Person, day: date, models: Models) -> int:
    """The person's 0-10 pain on a local date: baseline, the current period's treatment
    effect, the previous period's carry-over, and day-to-day noise (drawn per date)."""
    mean = person.baseline
    period = -1
    for k, anchor_day in enumerate(person.anchor_dates):
        if anchor_day <= day:
            period = k
    if period >= 0:
        since = (day - person.anchor_dates[period]).days
        mean += person.response * models.effect(person.treatment(period)) * _shape(since, models)
        if period > 0 and person.sequence:
            previous = models.effect(person.treatment(period - 1))
            mean += (person.response * previous * models.pain["carry_over"]
                     * 0.5 ** (since / 7.0))
    noise = random.Random(f"{person.seed}:pain:{day.isoformat()}").gauss(
        0.0, models.pain["day_sd"])
    return int(min(10, max(0, math.floor(mean + noise + 0.5))))


def answers(definition: dict, pain: int, rng: random.Random, *, staff: bool = False) -> dict:
    """Answers to a served instrument definition that follow the pain: an item's options
    from best to worst as pain goes 0 to 10 (give or take one), the same for numbers (a
    visual analogue scale of health the other way round)."""
    share = pain / 10.0
    out = {}
    for item in definition["items"]:
        if item["clinician"] and not staff:
            continue
        if item["options"]:
            codes = [o["code"] for o in item["options"]]
            k = round(share * (len(codes) - 1)) + rng.choice((-1, 0, 0, 1))
            out[item["id"]] = codes[min(len(codes) - 1, max(0, k))]
        elif item["id"] in PSQI_TIMES:
            out[item["id"]] = PSQI_TIMES[item["id"]]
        else:
            lo, hi = item["min"], item["max"]
            level = 1.0 - share if "vas" in item["id"].lower() else share
            out[item["id"]] = min(hi, max(lo, round(lo + level * (hi - lo))))
    return out


def screening_answers(definition: dict) -> dict:
    """Screening candidates all pass: every item at its top option (DN4 10 of 10)."""
    out = {}
    for item in definition["items"]:
        if item["options"]:
            out[item["id"]] = item["options"][-1]["code"]
        else:
            out[item["id"]] = item["max"]
    return out


def day_mode(person: Person, models: Models) -> str:
    """When the person logs a diary day, drawn once per day from the diary model."""
    d, u = models.diary, person.rng.random()
    for mode, p in ((BEFORE, d["p_before_reminder"]),):
        if u < p:
            return mode
    for mode, p in ((AFTER_REMINDER, d["p_after_reminder"]), (AFTER_NUDGE, d["p_after_nudge"]),
                    (LATE, d["p_late"])):
        if person.rng.random() < p:
            return mode
    return MISSED


def delay_minutes(person: Person, mean: float, cap: float) -> float:
    """An exponential answer delay, at least one minute, at most ``cap``."""
    return min(cap, 1.0 + person.rng.expovariate(1.0 / max(mean, 1.0)))
