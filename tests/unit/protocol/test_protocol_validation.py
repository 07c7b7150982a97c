"""Protocol files are validated on load; every mistake names its path and the rule it breaks.

The broken protocols below are small mutations of two valid minimal bases, so each row
shows exactly one mistake and the exact (path, rule) it must produce (issue 2).
"""

from __future__ import annotations

import copy
import itertools
from pathlib import Path
from typing import Any

import pytest
import yaml

from diary.protocol.loader import ProtocolError, build_protocol, parse_protocol

PROTOCOLS = Path(__file__).resolve().parents[3] / "protocols"
SHIPPED = sorted(PROTOCOLS.glob("*.yaml"))
GEO = "must be a geographic IANA time zone, Area/Location such as Europe/Paris, or UTC; got "

PARALLEL: dict[str, Any] = {
    "key": "mini",
    "title": "Minimal parallel study",
    "version": "1.0",
    "timezone": "Europe/Paris",
    "design": "parallel",
    "sites": ["PAR01", "LYO02"],
    "arms": [{"key": "A"}, {"key": "B"}],
    "anchors": [{"key": "surgery"}],
    "daily_diary": {"anchor": "surgery", "from_day": -7, "to_day": 35,
                    "late_entry": {"days_after": 1, "until": "12:00"}},
    "assessments": [
        {"key": "m1", "instrument": "bpi_sf", "anchor": "surgery", "offset": "P1M",
         "window": {"open": "-P14D", "close": "P14D"}},
        {"key": "h48", "instrument": "nrs_pain", "anchor": "surgery", "offset": "PT48H",
         "window": {"open": "-PT2H", "close": "PT2H"}},
        {"key": "weekly", "instrument": "nrs_pain", "anchor": "surgery", "offset": "P7D",
         "repeat": {"every": "P7D", "count": 12}, "window": {"open": "-P1D", "close": "P1D"}},
    ],
    "reminders": {"daily_time": "20:00", "nudge_after": "PT2H", "missed_days_alert": 3,
                  "quiet_hours": {"start": "22:00", "end": "08:00"}},
    "endpoints": [{"key": "auc_d1_35", "kind": "auc", "from_day": 1, "to_day": 35}],
}

CROSSOVER: dict[str, Any] = {
    "key": "mini-crossover",
    "title": "Minimal crossover study",
    "timezone": "Europe/Paris",
    "design": "crossover",
    "treatments": [{"key": "A"}, {"key": "B"}],
    "sequences": [{"key": "AB", "treatments": ["A", "B"]},
                  {"key": "BA", "treatments": ["B", "A"]}],
    "anchors": [{"key": "infusion", "per_period": True}],
    "daily_diary": {"anchor": "infusion", "from_day": -7, "to_day": 35},
}

BASES = {"parallel": PARALLEL, "crossover": CROSSOVER}
DELETE = object()


def mutated(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of ``base`` with each dotted path ("assessments.2.window") set or deleted."""
    data = copy.deepcopy(base)
    for dotted, value in changes.items():
        *parents, last = [int(p) if p.isdigit() else p for p in dotted.split(".")]
        node = data
        for part in parents:
            node = node[part]
        if value is DELETE:
            del node[last]
        else:
            node[last] = value
    return data


def issues_of(data: Any) -> list[tuple[str, str]]:
    with pytest.raises(ProtocolError) as caught:
        build_protocol(data)
    return caught.value.issues


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_every_shipped_protocol_file_parses(path):
    protocol = parse_protocol(path.read_text(encoding="utf-8"))
    assert protocol.key == path.stem
    assert protocol.assessments and protocol.daily_diary is not None and protocol.endpoints


def test_one_protocol_file_is_shipped_for_each_design_of_the_founding_trials():
    assert [p.name for p in SHIPPED] == [
        "crossover-ketamine-magnesium.yaml",
        "crps-weekly-pain.yaml",
        "perioperative-ketamine.yaml",
        "repeated-infusions-paediatric.yaml",
        "single-dose-intranasal.yaml",
    ]


def test_the_shipped_crossover_uses_all_six_orders_of_its_three_treatments():
    protocol = parse_protocol((PROTOCOLS / "crossover-ketamine-magnesium.yaml").read_text())
    orders = {s.treatments for s in protocol.sequences}
    assert orders == set(itertools.permutations(("K", "KM", "P")))
    assert protocol.periods == 3
    assert protocol.anchor("infusion").per_period


def test_the_shipped_repeated_infusion_protocol_allows_any_number_of_courses():
    protocol = parse_protocol((PROTOCOLS / "repeated-infusions-paediatric.yaml").read_text())
    assert protocol.anchor("infusion").max_count is None


@pytest.mark.parametrize("base", ["parallel", "crossover"])
def test_the_minimal_bases_are_valid(base):
    assert build_protocol(copy.deepcopy(BASES[base])).key.startswith("mini")


BROKEN = [
    # (base, changes, exact issues)
    pytest.param("parallel", {"sponsor": "ACME"}, [("sponsor", "unknown field")],
                 id="unknown top-level field"),
    pytest.param("parallel", {"assessments.0.due": "P1M"},
                 [("assessments[0].due", "unknown field")], id="unknown assessment field"),
    pytest.param("parallel", {"assessments.2.window": {"open": "P0D", "close": "-P1D"}},
                 [("assessments[2].window", "closes before it opens")],
                 id="window closes before it opens"),
    pytest.param("parallel", {"assessments.0.window.close": "-P1D"},
                 [("assessments[0].window.close", "must not be before the target day")],
                 id="whole-day window ends before its target day"),
    pytest.param("parallel", {"assessments.0.window.open": "P1D"},
                 [("assessments[0].window.open",
                   "must not be after the target (use 0 days or a negative)")],
                 id="window opens after its target"),
    pytest.param("parallel", {"assessments.1.window": {"open": "PT0M", "close": "PT0M"}},
                 [("assessments[1].window",
                   "closes when it opens; give an elapsed-time window some length")],
                 id="elapsed window without length"),
    pytest.param("parallel", {"assessments.0.window": DELETE},
                 [("assessments[0].window", "is required")], id="assessment without window"),
    pytest.param("parallel", {"assessments.0.anchor": "infusion"},
                 [("assessments[0].anchor",
                   "unknown anchor 'infusion'; declare it under anchors")],
                 id="assessment with unknown anchor"),
    pytest.param("parallel", {"daily_diary.anchor": "dose"},
                 [("daily_diary.anchor", "unknown anchor 'dose'; declare it under anchors")],
                 id="diary with unknown anchor"),
    pytest.param("parallel", {"daily_diary.anchor": ["surgery"]},
                 [("daily_diary.anchor",
                   "unknown anchor ['surgery']; declare it under anchors")],
                 id="anchor written as a list"),
    pytest.param("parallel", {"assessments.0.anchor": {"surgery": 1}},
                 [("assessments[0].anchor",
                   "unknown anchor {'surgery': 1}; declare it under anchors")],
                 id="anchor written as a mapping"),
    pytest.param("parallel", {"anchors": [{"key": "surgery"}, {"key": "enrolment"}]},
                 [("anchors[1].key", "'enrolment' is built in; do not declare it")],
                 id="declaring the built-in enrolment anchor"),
    pytest.param("parallel", {"anchors.0.max_count": 0},
                 [("anchors[0].max_count", "must be >= 1")], id="anchor max_count zero"),
    pytest.param("parallel", {"assessments.0.offset": "P1MT12H"},
                 [("assessments[0].offset", "'P1MT12H' mixes months or years with "
                   "hours/minutes/seconds; use one or the other")],
                 id="months mixed with hours"),
    pytest.param("parallel", {"assessments.0.offset": "1 month"},
                 [("assessments[0].offset", "'1 month' is not an ISO 8601 duration "
                   "(examples: P7D, P2W, PT60M, PT48H, P6M)")],
                 id="offset in words"),
    pytest.param("parallel", {"assessments.0.offset": 30},
                 [("assessments[0].offset",
                   "must be an ISO 8601 duration string such as P7D, PT60M or P6M")],
                 id="offset as a bare number"),
    pytest.param("parallel", {"assessments.0.offset": "-P1D"},
                 [("assessments[0].offset", "must not be negative")], id="negative offset"),
    pytest.param("parallel", {"assessments.0.window.open": "-PT12H"},
                 [("assessments[0].window.open", "must be in days/weeks/months like the "
                   "offset P1M")],
                 id="hours in the window of a month offset"),
    pytest.param("parallel", {"assessments.1.window.close": "P1D"},
                 [("assessments[1].window.close", "must be in hours/minutes like the "
                   "offset PT48H")],
                 id="days in the window of an hour offset"),
    pytest.param("parallel", {"assessments.2.repeat.every": "PT168H"},
                 [("assessments[2].repeat.every", "must be in days/weeks/months like the "
                   "offset P7D")],
                 id="repeat in hours for a day offset"),
    pytest.param("parallel", {"assessments.2.repeat.every": "P0D"},
                 [("assessments[2].repeat.every", "must be positive")], id="repeat every zero"),
    pytest.param("parallel", {"assessments.2.repeat.count": 0},
                 [("assessments[2].repeat.count", "must be >= 1")], id="repeat count zero"),
    pytest.param("parallel", {"assessments.1.key": "m1"},
                 [("assessments", "duplicate key 'm1'")], id="duplicate assessment key"),
    pytest.param("parallel", {"arms.1.key": "A"}, [("arms", "duplicate key 'A'")],
                 id="duplicate arm key"),
    pytest.param("parallel", {"anchors": [{"key": "surgery"}, {"key": "surgery"}]},
                 [("anchors", "duplicate key 'surgery'")], id="duplicate anchor key"),
    pytest.param("parallel", {"sites": ["PAR01", "PAR01"]}, [("sites", "has duplicates")],
                 id="duplicate site"),
    pytest.param("parallel",
                 {"endpoints": [{"key": "auc", "kind": "auc", "from_day": 1, "to_day": 7},
                                {"key": "auc", "kind": "weekly", "weeks": 1}]},
                 [("endpoints[1].key", "duplicate key 'auc'")], id="duplicate endpoint key"),
    pytest.param("parallel", {"endpoints.0.kind": DELETE},
                 [("endpoints[0].kind", "is required")], id="endpoint without kind"),
    pytest.param("parallel", {"endpoints": {"auc": "auc"}}, [("endpoints", "must be a list")],
                 id="endpoints as a mapping"),
    pytest.param("parallel", {"assessments": {"m1": "P1M"}}, [("assessments", "must be a list")],
                 id="assessments as a mapping"),
    pytest.param("parallel", {"timezone": "Europe/Pariss"},
                 [("timezone", "unknown IANA time zone 'Europe/Pariss' (e.g. Europe/Paris)")],
                 id="misspelt time zone"),
    pytest.param("parallel", {"timezone": "Europe"},
                 [("timezone", GEO + "'Europe'")],
                 id="time zone folder instead of a zone"),
    pytest.param("parallel", {"timezone": "CET+1"},
                 [("timezone", GEO + "'CET+1'")],
                 id="time zone as an offset"),
    pytest.param("parallel", {"timezone": "Factory"}, [("timezone", GEO + "'Factory'")],
                 id="the tz database's placeholder zone"),
    pytest.param("parallel", {"timezone": "EST5EDT"}, [("timezone", GEO + "'EST5EDT'")],
                 id="a legacy POSIX-style zone"),
    pytest.param("parallel", {"timezone": "Etc/GMT+5"}, [("timezone", GEO + "'Etc/GMT+5'")],
                 id="a fixed offset without a place"),
    pytest.param("parallel", {"reminders.daily_time": "8pm"},
                 [("reminders.daily_time", 'must be a wall-clock time "HH:MM" (quote it in YAML)')],
                 id="reminder time 8pm"),
    pytest.param("parallel", {"reminders.daily_time": "24:00"},
                 [("reminders.daily_time", 'must be a wall-clock time "HH:MM" (quote it in YAML)')],
                 id="reminder time 24:00"),
    pytest.param("parallel", {"reminders.quiet_hours.start": "7:30"},
                 [("reminders.quiet_hours.start",
                   'must be a wall-clock time "HH:MM" (quote it in YAML)')],
                 id="quiet hours without a leading zero"),
    pytest.param("parallel", {"daily_diary.late_entry.until": "noon"},
                 [("daily_diary.late_entry.until",
                   'must be a wall-clock time "HH:MM" (quote it in YAML)')],
                 id="late entry until noon in words"),
    pytest.param("parallel", {"daily_diary.late_entry": {"days_after": 0, "until": "00:00"}},
                 [("daily_diary.late_entry", "closes before the diary day begins")],
                 id="late entry closing at the start of the day"),
    pytest.param("parallel", {"reminders.missed_days_alert": 0},
                 [("reminders.missed_days_alert", "must be >= 1")], id="missed-days alert zero"),
    pytest.param("parallel", {"reminders.window_open": "yes please"},
                 [("reminders.window_open", "must be true or false")],
                 id="window_open not a boolean"),
    pytest.param("parallel", {"daily_diary.to_day": -8},
                 [("daily_diary.to_day", "must not be before from_day")],
                 id="diary ends before it starts"),
    pytest.param("parallel", {"daily_diary.from_day": True},
                 [("daily_diary.from_day", "must be an integer")], id="diary day as a boolean"),
    pytest.param("parallel", {"daily_diary.measure": "vas"},
                 [("daily_diary.measure", "must be one of nrs_pain")],
                 id="diary measure unknown"),
    pytest.param("parallel", {"key": "Mini Study"},
                 [("key", "must match ^[a-z0-9][a-z0-9_-]{0,62}$")], id="study key with spaces"),
    pytest.param("parallel", {"languages": ["english"]},
                 [("languages[0]", "must match ^[a-z]{2,3}(-[A-Z]{2})?$")],
                 id="language not a code"),
    pytest.param("parallel", {"arms": [{"key": "A"}]},
                 [("arms", "a parallel design needs at least two arms")],
                 id="parallel with one arm"),
    pytest.param("parallel", {"design": "single_group"},
                 [("arms", "only a parallel design has arms")], id="single group with arms"),
    pytest.param("parallel", {"design": "factorial"},
                 [("design", "must be one of parallel, crossover, single_group"),
                  ("arms", "only a parallel design has arms")],
                 id="unknown design"),
    pytest.param("parallel", {"anchors.0.per_period": True},
                 [("anchors[0].per_period", "only a crossover design has periods")],
                 id="per-period anchor outside a crossover"),
    pytest.param("crossover", {"sequences.1.treatments.1": "C"},
                 [("sequences[1].treatments[1]", "unknown treatment 'C'")],
                 id="unknown treatment in a sequence"),
    pytest.param("crossover", {"anchors.0.per_period": False},
                 [("anchors", "a crossover design needs an anchor with per_period: true")],
                 id="crossover without per-period anchor"),
    pytest.param("crossover", {"sequences.1.treatments": ["B", "A", "A"]},
                 [("sequences", "every sequence must have the same number of periods")],
                 id="sequences of different lengths"),
    pytest.param("crossover", {"sequences.1.treatments": []},
                 [("sequences[1].treatments", "must list the treatment of each period")],
                 id="sequence without treatments"),
    pytest.param("crossover", {"sequences": []},
                 [("sequences", "a crossover design needs at least one sequence")],
                 id="crossover without sequences"),
    pytest.param("crossover", {"treatments": [{"key": "A"}],
                               "sequences": [{"key": "AA", "treatments": ["A", "A"]}]},
                 [("treatments", "a crossover design needs at least two treatments")],
                 id="crossover with one treatment"),
    pytest.param("crossover", {"sequences.1.key": "AB"},
                 [("sequences", "duplicate key 'AB'")], id="duplicate sequence key"),
    pytest.param("crossover", {"arms": [{"key": "A"}, {"key": "B"}]},
                 [("arms", "only a parallel design has arms")], id="crossover with arms"),
]


@pytest.mark.parametrize(("base", "changes", "expected"), BROKEN)
def test_a_broken_protocol_is_refused_with_the_exact_path_and_rule(base, changes, expected):
    assert issues_of(mutated(BASES[base], changes)) == expected


def test_several_mistakes_are_reported_together_in_one_error():
    data = mutated(PARALLEL, {
        "timezone": "Mars/Olympus_Mons",
        "arms.1.key": "A",
        "assessments.2.window": {"open": "P0D", "close": "-P1D"},
        "reminders.daily_time": "8pm",
    })
    with pytest.raises(ProtocolError) as caught:
        build_protocol(data)
    assert caught.value.issues == [
        ("timezone", GEO + "'Mars/Olympus_Mons'"),
        ("arms", "duplicate key 'A'"),
        ("assessments[2].window", "closes before it opens"),
        ("reminders.daily_time", 'must be a wall-clock time "HH:MM" (quote it in YAML)'),
    ]
    # The message lists one mistake a line, as "path: rule".
    assert str(caught.value).splitlines()[2] == "assessments[2].window: closes before it opens"


def test_a_valid_protocol_reads_its_durations_and_times():
    protocol = build_protocol(copy.deepcopy(PARALLEL))
    weekly = protocol.assessment("weekly")
    assert (weekly.repeat.every.days, weekly.repeat.count) == (7, 12)
    assert protocol.assessment("h48").offset.seconds == 48 * 3600
    assert protocol.reminders.daily_time.strftime("%H:%M") == "20:00"
    assert protocol.daily_diary.late_entry.until.strftime("%H:%M") == "12:00"


def test_a_pre_dose_time_point_at_zero_minutes_is_elapsed_time():
    # PT0M is written with a time part, so its window is in minutes like any elapsed offset.
    data = mutated(PARALLEL, {"assessments.1.offset": "PT0M",
                              "assessments.1.window": {"open": "-PT30M", "close": "PT0M"}})
    assert build_protocol(data).assessment("h48").offset.is_elapsed


def yaml_text(base: dict[str, Any]) -> str:
    return yaml.safe_dump(base, sort_keys=False)


def test_a_protocol_written_as_yaml_text_round_trips():
    assert parse_protocol(yaml_text(PARALLEL)) == build_protocol(copy.deepcopy(PARALLEL))


@pytest.mark.parametrize(
    ("text", "path", "rule_starts"),
    [
        # YAML mistakes name the file (here the default name), the line and the column.
        pytest.param("key: [unclosed\n", "", "protocol, line 2, column 1: not valid YAML: "
                     "expected ',' or ']'", id="unclosed bracket"),
        pytest.param("key: mini\ntitle: A\nkey: other\n", "",
                     "protocol, line 3, column 1: not valid YAML: duplicate key 'key'",
                     id="duplicate top-level key"),
        pytest.param("key: mini\nreminders: {daily_time: '20:00', daily_time: '21:00'}\n", "",
                     "protocol, line 2, column 34: not valid YAML: duplicate key 'daily_time'",
                     id="duplicate nested key"),
        pytest.param("key: mini\n\tdesign: parallel\n", "",
                     "protocol, line 2, column 1: not valid YAML: found character '\\t'",
                     id="tab indent"),
        pytest.param("", "", "must be a mapping", id="empty file"),
        pytest.param("- key: mini\n", "", "must be a mapping", id="list at the top"),
    ],
)
def test_text_that_is_not_a_yaml_mapping_is_refused(text, path, rule_starts):
    with pytest.raises(ProtocolError) as caught:
        parse_protocol(text)
    [(got_path, got_rule)] = caught.value.issues
    assert got_path == path
    assert got_rule.startswith(rule_starts)


def test_a_duplicate_yaml_key_is_refused_instead_of_keeping_the_last_value():
    # Plain yaml.safe_load would silently keep arms: [C, D]; the loader refuses instead.
    text = yaml_text(PARALLEL) + "arms: [{key: C}, {key: D}]\n"
    with pytest.raises(ProtocolError, match="duplicate key 'arms'"):
        parse_protocol(text)


def test_an_unquoted_reminder_time_is_caught_as_yaml_reads_20_00_as_a_number():
    # YAML 1.1 reads 20:00 as the sexagesimal integer 20*60 + 0 = 1200.
    text = yaml_text(PARALLEL).replace("daily_time: '20:00'", "daily_time: 20:00")
    assert "daily_time: 20:00" in text
    with pytest.raises(ProtocolError) as caught:
        parse_protocol(text)
    assert caught.value.issues == [
        ("reminders.daily_time", 'must be a wall-clock time "HH:MM" (quote it in YAML)')
    ]
