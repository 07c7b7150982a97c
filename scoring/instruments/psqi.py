"""Pittsburgh Sleep Quality Index (PSQI), Buysse et al. 1989: 7 components, global 0-21.

Answer coding (integers only, so every answer validates the same way):

- ``psqi_1`` usual bedtime and ``psqi_3`` usual getting-up time: clock time as
  minutes after midnight, 0-1439 (``clock_minutes("23:30") == 1410``);
- ``psqi_2`` minutes to fall asleep; ``psqi_4`` actual sleep per night in
  *minutes* (6.5 h = 390), both 0-1440;
- ``psqi_5a`` .. ``psqi_5j``, ``psqi_6`` .. ``psqi_9``: item score 0-3 as printed.
  ``psqi_5j`` ("other reason") is optional; when unanswered it counts 0.
  Item 10 and the bed-partner items are not scored and not modelled.

Time in bed is ``(getting-up - bedtime) mod 24 h``.  Boundaries: the 1989 paper's
Table prints duration ">7 h / 6-7 / 5-6 / <5" and efficiency ">85 % / 75-84 /
65-74 / <65", which leaves exactly 7 h, exactly 6 h and 84.5 % ambiguous.  We
use the half-open reading of the later scoring instructions and common scoring
scripts: >= 7 h -> 0, >= 6 h -> 1, >= 5 h -> 2, else 3; efficiency (exact,
unrounded) >= 85 % -> 0, >= 75 % -> 1, >= 65 % -> 2, else 3.  So exactly 7 h and
exactly 85 % score 0 here, where a literal reading of the paper gives 1.
Copyrighted (University of Pittsburgh): neutral labels only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from fractions import Fraction

from scoring.instruments import rules
from scoring.instruments.model import (
    Answers,
    Band,
    Instrument,
    InstrumentScore,
    Item,
    Option,
    Scale,
    ScaleScore,
)

__all__ = ["COMPONENTS", "PSQI", "clock_minutes", "score"]

_RATED = tuple(f"5{x}" for x in "abcdefghij") + ("6", "7", "8", "9")
_DISTURB = tuple(f"psqi_5{x}" for x in "bcdefghij")
COMPONENTS = {
    "quality": ("psqi_6",),
    "latency": ("psqi_2", "psqi_5a"),
    "duration": ("psqi_4",),
    "efficiency": ("psqi_1", "psqi_3", "psqi_4"),
    "disturbances": _DISTURB,
    "medication": ("psqi_7",),
    "daytime_dysfunction": ("psqi_8", "psqi_9"),
}


def _rated(n: str) -> Item:
    options = tuple(Option(k, f"PSQI item {n}, score {k}") for k in range(4))
    return Item(f"psqi_{n}", f"PSQI item {n}", options=options)


PSQI = Instrument(
    id="psqi",
    name="Pittsburgh Sleep Quality Index",
    version="1",
    reference=(
        "Buysse DJ, Reynolds CF, Monk TH, Berman SR, Kupfer DJ. The Pittsburgh Sleep Quality "
        "Index: a new instrument for psychiatric practice and research. Psychiatry Res "
        "1989;28:193-213."
    ),
    licence="licensed",
    items=(
        Item("psqi_1", "PSQI item 1", bounds=(0, 1439), unit="minutes after midnight"),
        Item("psqi_2", "PSQI item 2", bounds=(0, 1440), unit="minutes"),
        Item("psqi_3", "PSQI item 3", bounds=(0, 1439), unit="minutes after midnight"),
        Item("psqi_4", "PSQI item 4", bounds=(0, 1440), unit="minutes of sleep"),
    )
    + tuple(_rated(n) for n in _RATED),
    scales=tuple(Scale(c, c, items, 0, 3) for c, items in COMPONENTS.items())
    + (Scale("global", "PSQI global score", tuple(f"psqi_{n}" for n in ("1", "2", "3", "4")
                                                       + _RATED), 0, 21),),
    bands=(Band("global", 0, "good sleep quality"), Band("global", 6, "poor sleep quality")),
    missing_rule=(
        "A component needs all its items (psqi_5j counts 0 when unanswered); the global "
        "score needs all seven components (no proration, Buysse 1989)."
    ),
    coding="See the module docstring: clock times and durations in minutes, ratings 0-3.",
)


def clock_minutes(hhmm: str) -> int:
    """Minutes after midnight of a 24-hour ``"HH:MM"`` time, for items 1 and 3.

    Examples
    --------
    >>> clock_minutes("23:30"), clock_minutes("07:05")
    (1410, 425)
    """
    hours, sep, minutes = hhmm.partition(":")
    if not (sep and hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
        raise ValueError(f"expected a time as HH:MM, got {hhmm!r}")
    if int(hours) > 23 or int(minutes) > 59:
        raise ValueError(f"not a time of day: {hhmm!r}")
    return int(hours) * 60 + int(minutes)


def _grade(value: int | Fraction, cuts: tuple[int, ...]) -> int:
    """Number of ``cuts`` that ``value`` exceeds: 0..len(cuts)."""
    return sum(value > c for c in cuts)


def _latency(a: Mapping[str, int]) -> int:
    minutes = _grade(a["psqi_2"], (15, 30, 60))
    return _grade(minutes + a["psqi_5a"], (0, 2, 4))


def _duration(a: Mapping[str, int]) -> int:
    return 3 - sum(a["psqi_4"] >= h * 60 for h in (5, 6, 7))


def _efficiency(a: Mapping[str, int]) -> int | None:
    in_bed = (a["psqi_3"] - a["psqi_1"]) % 1440
    if in_bed == 0:
        return None
    percent = Fraction(100 * a["psqi_4"], in_bed)
    return 3 - sum(percent >= p for p in (65, 75, 85))


_RULES: dict[str, Callable[[Mapping[str, int]], int | None]] = {
    "quality": lambda a: a["psqi_6"],
    "latency": _latency,
    "duration": _duration,
    "efficiency": _efficiency,
    "disturbances": lambda a: _grade(sum(a.get(i, 0) for i in _DISTURB), (0, 9, 18)),
    "medication": lambda a: a["psqi_7"],
    "daytime_dysfunction": lambda a: _grade(a["psqi_8"] + a["psqi_9"], (0, 2, 4)),
}


def _component(name: str, given: Mapping[str, int]) -> ScaleScore:
    items = COMPONENTS[name]
    used = tuple(i for i in items if i in given)
    missing = tuple(i for i in items if i not in given and i != "psqi_5j")
    if missing:
        return ScaleScore(name, None, f"items missing: {', '.join(missing)}", None, used, missing)
    value = _RULES[name](given)
    if value is None:
        return ScaleScore(name, None, "time in bed is zero (bedtime equals getting-up time)",
                          None, used, ())
    return ScaleScore(name, value, None, None, used, ())


def score(answers: Answers) -> InstrumentScore:
    """Score a PSQI response.

    Parameters
    ----------
    answers : mapping of item id to an int or None (coding in the module docstring)

    Returns
    -------
    InstrumentScore
        The seven components (0-3) and ``global`` (their sum, 0-21; > 5 is "poor sleep
        quality", Buysse 1989), ``None`` with a reason when an item is missing.

    Examples
    --------
    >>> a = {"psqi_1": clock_minutes("23:00"), "psqi_2": 20,
    ...      "psqi_3": clock_minutes("07:00"), "psqi_4": 6 * 60 + 30,
    ...      "psqi_5a": 1, "psqi_6": 1, "psqi_7": 0, "psqi_8": 1, "psqi_9": 1}
    >>> a |= {f"psqi_5{x}": 1 for x in "bcdefghi"}
    >>> score(a).values  # efficiency 390/480 = 81.25 %; disturbances 8*1 -> 1
    {'quality': 1, 'latency': 1, 'duration': 1, 'efficiency': 1, 'disturbances': 1, \
'medication': 0, 'daytime_dysfunction': 1, 'global': 6}
    """
    given = PSQI.check(answers)
    parts = [_component(name, given) for name in COMPONENTS]
    unscored = [p.scale for p in parts if p.value is None]
    used = rules.result(PSQI, given, ()).items_used
    missing = tuple(dict.fromkeys(i for p in parts for i in p.items_missing))
    if unscored:
        overall = ScaleScore("global", None, f"components not scored: {', '.join(unscored)}",
                             None, used, missing)
    else:
        total = sum(p.value for p in parts)
        overall = ScaleScore("global", total, None, PSQI.band("global", total), used, ())
    return rules.result(PSQI, given, [*parts, overall])
