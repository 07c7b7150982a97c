"""The protocol file's sections, each read and checked into its model dataclass."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from diary.protocol.allocation_sections import read_blinding, read_randomisation
from diary.protocol.checks import Checker
from diary.protocol.durations import Duration
from diary.protocol.fhir_sections import read_fhir
from diary.protocol.instrument_sections import (
    read_instrument_options,
    read_instrument_texts,
    read_screening_rule,
)
from diary.protocol.model import (
    ENROLMENT,
    QUESTIONNAIRE,
    AnchorType,
    Arm,
    Assessment,
    DailyDiary,
    LateEntry,
    Protocol,
    Reminders,
    Repeat,
    Sequence,
    Window,
)
from diary.protocol.references import (
    assessment_form,
    licensed_text_warnings,
    questionnaire_endpoint_issues,
    questionnaire_units,
    unknown,
)
from diary.protocol.safety_sections import (
    check_symptom_endpoints,
    read_medication,
    read_side_effects,
)
from diary.protocol.signature_sections import read_signatures
from diary.timezones import geographic_zone

KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
LANG_RE = re.compile(r"^[a-z]{2,3}(-[A-Z]{2})?$")
DESIGNS = ("parallel", "crossover", "single_group")
# What the studies and protocol_versions tables hold (tests/e2e/test_hostile_fields.py
# checks these against the columns).
MAX_TITLE, MAX_VERSION_LABEL = 300, 64
DIARY_MEASURES = ("nrs_pain",)

TOP_FIELDS = {
    "key", "title", "version", "timezone", "design", "sites", "languages", "arms",
    "treatments", "sequences", "anchors", "daily_diary", "assessments", "reminders",
    "signatures",
    "endpoints", "screening", "instrument_texts", "instrument_options", "outside_windows",
    "medication", "side_effects", "blinding", "randomisation", "export", "fhir",
}


def read_protocol(check: Checker, data: Any) -> Protocol | None:
    top = check.mapping(data, "", TOP_FIELDS, {"key", "title", "timezone", "design"})
    if top is None:
        return None
    key = check.text(top.get("key"), "key", KEY_RE)
    title = check.text(top.get("title"), "title")
    if title is not None and len(title) > MAX_TITLE:
        check.fail("title", f"must have at most {MAX_TITLE} characters, got {len(title)}")
    tz = top.get("timezone")
    try:
        geographic_zone(tz)
    except ValueError as exc:
        check.fail("timezone", str(exc))
    design = top.get("design")
    if design not in DESIGNS:
        check.fail("design", f"must be one of {', '.join(DESIGNS)}")
    version = top.get("version", "")
    if not isinstance(version, str | int | float) or len(str(version)) > MAX_VERSION_LABEL:
        check.fail("version", f"must be a short label such as 1.0 (at most "
                              f"{MAX_VERSION_LABEL} characters)")

    sites = _codes(check, top.get("sites"), "sites")
    languages = _codes(check, top.get("languages", ["en"]), "languages", LANG_RE) or ["en"]
    arms = check.items(top.get("arms"), "arms", lambda v, p: _arm(check, v, p))
    treatments = check.items(top.get("treatments"), "treatments", lambda v, p: _arm(check, v, p))
    sequences = check.items(top.get("sequences"), "sequences", lambda v, p: _sequence(check, v, p))
    anchors = check.items(top.get("anchors"), "anchors", lambda v, p: _anchor(check, v, p))
    for name, things in (("arms", arms), ("treatments", treatments),
                         ("sequences", sequences), ("anchors", anchors)):
        check.unique(things, name)
    _check_design(check, design, arms, treatments, sequences, anchors)

    anchor_keys = {ENROLMENT} | {a.key for a in anchors}
    diary = None
    if top.get("daily_diary") is not None:
        diary = _daily_diary(check, top["daily_diary"], anchor_keys)
    assessments = check.items(
        top.get("assessments"), "assessments", lambda v, p: _assessment(check, v, p, anchor_keys)
    )
    check.unique(assessments, "assessments")
    reminders = _reminders(check, top.get("reminders") or {})
    endpoints = _with_export_precision(_endpoints(check, top.get("endpoints")),
                                       _export_precision(check, top.get("export")))
    medication_table = read_medication(check, top.get("medication"))
    checklist = read_side_effects(check, top.get("side_effects"))
    check_symptom_endpoints(check, endpoints, checklist)
    for path, rule in questionnaire_endpoint_issues(endpoints, assessments):
        check.refer(path, rule)
    endpoints = _with_scale_units(endpoints, assessments)
    screening = check.items(top.get("screening"), "screening",
                            lambda v, p: read_screening_rule(check, v, p))
    texts = read_instrument_texts(check, top.get("instrument_texts"), languages)
    used = [a.instrument for a in assessments if a.form == QUESTIONNAIRE]
    for path, rule in licensed_text_warnings(used + [r.instrument for r in screening],
                                             languages, texts):
        check.warn(path, rule)
    options = read_instrument_options(check, top.get("instrument_options"))
    outside = top.get("outside_windows", "accept")
    if outside not in ("accept", "refuse"):
        check.fail("outside_windows", "must be accept or refuse")
    signatures = read_signatures(check, top.get("signatures"))
    blinding = read_blinding(check, top.get("blinding"), design)
    randomisation = read_randomisation(check, top.get("randomisation"), design, sites)
    fhir = read_fhir(check, top.get("fhir"))
    if check.issues:
        return None
    return Protocol(
        signatures=signatures,
        key=key, title=title, timezone=tz, design=design, version_label=str(version),
        sites=tuple(sites), languages=tuple(languages), arms=tuple(arms),
        treatments=tuple(treatments), sequences=tuple(sequences), anchors=tuple(anchors),
        daily_diary=diary, assessments=tuple(assessments), reminders=reminders,
        endpoints=tuple(endpoints), screening=tuple(screening), instrument_texts=texts,
        instrument_options=options, outside_windows=outside, medication_table=medication_table,
        side_effects=checklist, blinding=blinding, randomisation=randomisation, fhir=fhir,
        medication_diary=top.get("medication") is not None,
    )


def _codes(check: Checker, value: Any, path: str, pattern: re.Pattern = CODE_RE) -> list[str]:
    codes = check.items(value, path, lambda v, p: check.text(v, p, pattern))
    if len(set(codes)) != len(codes):
        check.fail(path, "has duplicates")
    return codes


def _arm(check: Checker, value: Any, path: str) -> Arm | None:
    m = check.mapping(value, path, {"key", "label"}, {"key"})
    if m is None:
        return None
    key = check.text(m.get("key"), f"{path}.key", CODE_RE)
    label = m.get("label", key)
    return Arm(key, str(label)) if key else None


def _sequence(check: Checker, value: Any, path: str) -> Sequence | None:
    m = check.mapping(value, path, {"key", "treatments"}, {"key", "treatments"})
    if m is None:
        return None
    key = check.text(m.get("key"), f"{path}.key", CODE_RE)
    treatments = check.items(
        m.get("treatments"), f"{path}.treatments", lambda v, p: check.text(v, p, CODE_RE)
    )
    if "treatments" in m and m["treatments"] in (None, []):  # never drop it silently
        check.fail(f"{path}.treatments", "must list the treatment of each period")
    return Sequence(key, tuple(treatments)) if key and treatments else None


def _anchor(check: Checker, value: Any, path: str) -> AnchorType | None:
    m = check.mapping(value, path, {"key", "label", "per_period", "max_count"}, {"key"})
    if m is None:
        return None
    key = check.text(m.get("key"), f"{path}.key", KEY_RE)
    if key == ENROLMENT:
        check.fail(f"{path}.key", f"{ENROLMENT!r} is built in; do not declare it")
        return None
    per_period = check.boolean(m.get("per_period", False), f"{path}.per_period")
    max_count = m.get("max_count", 1)
    if max_count is not None:
        max_count = check.integer(max_count, f"{path}.max_count", minimum=1)
    if key is None:
        return None
    return AnchorType(key, str(m.get("label", key)), bool(per_period), max_count)


def _check_design(check, design, arms, treatments, sequences, anchors) -> None:
    if design == "parallel" and len(arms) < 2:
        check.fail("arms", "a parallel design needs at least two arms")
    if design != "parallel" and arms:
        check.fail("arms", "only a parallel design has arms")
    if design == "crossover":
        if len(treatments) < 2:
            check.fail("treatments", "a crossover design needs at least two treatments")
        if not sequences:
            check.fail("sequences", "a crossover design needs at least one sequence")
        known = {t.key for t in treatments}
        lengths = {len(s.treatments) for s in sequences}
        if len(lengths) > 1:
            check.fail("sequences", "every sequence must have the same number of periods")
        for i, seq in enumerate(sequences):
            for j, t in enumerate(seq.treatments):
                if t not in known:
                    check.fail(f"sequences[{i}].treatments[{j}]", f"unknown treatment {t!r}")
        if not any(a.per_period for a in anchors):
            check.fail("anchors", "a crossover design needs an anchor with per_period: true")
    else:
        if treatments or sequences:
            check.fail("sequences", "only a crossover design has treatments and sequences")
        for i, a in enumerate(anchors):
            if a.per_period:
                check.fail(f"anchors[{i}].per_period", "only a crossover design has periods")


def _daily_diary(check: Checker, value: Any, anchor_keys: set[str]) -> DailyDiary | None:
    path = "daily_diary"
    fields = {"measure", "anchor", "from_day", "to_day", "late_entry"}
    m = check.mapping(value, path, fields, {"anchor", "from_day", "to_day"})
    if m is None:
        return None
    measure = m.get("measure", "nrs_pain")
    if measure not in DIARY_MEASURES:
        check.fail(f"{path}.measure", f"must be one of {', '.join(DIARY_MEASURES)}")
    anchor = m.get("anchor")
    if not _known(anchor, anchor_keys):
        check.fail(f"{path}.anchor", _unknown_anchor(anchor, anchor_keys))
    first = check.integer(m.get("from_day"), f"{path}.from_day")
    last = check.integer(m.get("to_day"), f"{path}.to_day")
    if first is not None and last is not None and last < first:
        check.fail(f"{path}.to_day", "must not be before from_day")
    late = check.mapping(
        m.get("late_entry", {"days_after": 1, "until": "12:00"}),
        f"{path}.late_entry", {"days_after", "until"}, {"days_after", "until"},
    )
    late_entry = None
    if late is not None:
        days_after = check.integer(late.get("days_after"), f"{path}.late_entry.days_after", 0)
        until = check.clock_time(late.get("until"), f"{path}.late_entry.until")
        if days_after == 0 and until is not None and until.hour == until.minute == 0:
            check.fail(f"{path}.late_entry", "closes before the diary day begins")
        if days_after is not None and until is not None:
            late_entry = LateEntry(days_after, until)
    if None in (first, last, late_entry) or not _known(anchor, anchor_keys):
        return None
    return DailyDiary(measure, anchor, first, last, late_entry)


def _known(anchor: Any, anchor_keys: set[str]) -> bool:
    """A declared anchor key; a list or mapping here is a mistake, not a crash (unhashable)."""
    return isinstance(anchor, str) and anchor in anchor_keys


def _unknown_anchor(anchor: Any, anchor_keys: set[str]) -> str:
    return unknown("anchor", anchor, anchor_keys) + "; declare it under anchors"


def _assessment(check: Checker, value: Any, path: str, anchor_keys: set[str]):
    fields = {"key", "instrument", "form", "anchor", "offset", "repeat", "window", "label"}
    m = check.mapping(value, path, fields, {"key", "anchor", "offset", "window"})
    if m is None:
        return None
    key = check.text(m.get("key"), f"{path}.key", KEY_RE)
    if "form" not in m and "instrument" not in m:
        check.fail(f"{path}.instrument", "is required (a questionnaire; the safety forms are "
                                         "form: side_effects or form: adverse_events)")
    elif "form" not in m:
        check.text(m.get("instrument"), f"{path}.instrument", KEY_RE)
    instrument, form = assessment_form(check, m, path)
    anchor = m.get("anchor")
    if anchor is not None and not _known(anchor, anchor_keys):
        check.fail(f"{path}.anchor", _unknown_anchor(anchor, anchor_keys))
    offset = check.duration(m.get("offset"), f"{path}.offset") if "offset" in m else None
    if offset is not None and offset.approx_days < 0:
        check.fail(f"{path}.offset", "must not be negative")
    window = _window(check, m.get("window"), f"{path}.window", offset) if "window" in m else None
    repeat = None
    if m.get("repeat") is not None:
        repeat = _repeat(check, m["repeat"], f"{path}.repeat", offset)
    if None in (key, instrument, offset, window) or not _known(anchor, anchor_keys):
        return None
    if m.get("repeat") is not None and repeat is None:
        return None
    return Assessment(key, instrument, anchor, offset, window, repeat, str(m.get("label", "")),
                      form)


def _same_kind(check: Checker, d: Duration | None, offset: Duration | None, path: str) -> bool:
    if d is None or offset is None or d.is_elapsed == offset.is_elapsed or not d.approx_days:
        return True
    kind = "hours/minutes" if offset.is_elapsed else "days/weeks/months"
    check.fail(path, f"must be in {kind} like the offset {offset}")
    return False


def _window(check: Checker, value: Any, path: str, offset: Duration | None) -> Window | None:
    m = check.mapping(value, path, {"open", "close"}, {"open", "close"})
    if m is None:
        return None
    opens = check.duration(m.get("open"), f"{path}.open") if "open" in m else None
    closes = check.duration(m.get("close"), f"{path}.close") if "close" in m else None
    if opens is None or closes is None:
        return None
    ok = _same_kind(check, opens, offset, f"{path}.open")
    ok = _same_kind(check, closes, offset, f"{path}.close") and ok
    if opens.approx_days > 0:
        check.fail(f"{path}.open", "must not be after the target (use 0 days or a negative)")
        ok = False
    if closes.approx_days < opens.approx_days:
        check.fail(path, "closes before it opens")
        ok = False
    elif offset is not None and offset.is_elapsed and closes.approx_days == opens.approx_days:
        check.fail(path, "closes when it opens; give an elapsed-time window some length")
        ok = False
    elif offset is not None and not offset.is_elapsed and closes.approx_days < 0:
        check.fail(f"{path}.close", "must not be before the target day")
        ok = False
    return Window(opens, closes) if ok else None


def _repeat(check: Checker, value: Any, path: str, offset: Duration | None) -> Repeat | None:
    m = check.mapping(value, path, {"every", "count"}, {"every", "count"})
    if m is None:
        return None
    every = check.duration(m.get("every"), f"{path}.every") if "every" in m else None
    count = check.integer(m.get("count"), f"{path}.count", minimum=1)
    if every is not None and every.approx_days <= 0:
        check.fail(f"{path}.every", "must be positive")
        return None
    if every is None or count is None or not _same_kind(check, every, offset, f"{path}.every"):
        return None
    return Repeat(every, count)


def _reminders(check: Checker, value: Any) -> Reminders:
    path = "reminders"
    fields = {"daily_time", "nudge_after", "window_open", "window_closing_before",
              "missed_days_alert", "quiet_hours"}
    m = check.mapping(value, path, fields) or {}
    out: dict[str, Any] = {}
    if "daily_time" in m:
        out["daily_time"] = check.clock_time(m["daily_time"], f"{path}.daily_time")
    for name in ("nudge_after", "window_closing_before"):
        if m.get(name) is not None:
            out[name] = check.duration(m[name], f"{path}.{name}")
    if "window_open" in m:
        out["window_open"] = check.boolean(m["window_open"], f"{path}.window_open")
    if m.get("missed_days_alert") is not None:
        out["missed_days_alert"] = check.integer(
            m["missed_days_alert"], f"{path}.missed_days_alert", minimum=1
        )
    if m.get("quiet_hours") is not None:
        q = check.mapping(m["quiet_hours"], f"{path}.quiet_hours", {"start", "end"},
                          {"start", "end"})
        if q is not None:
            out["quiet_start"] = check.clock_time(q.get("start"), f"{path}.quiet_hours.start")
            out["quiet_end"] = check.clock_time(q.get("end"), f"{path}.quiet_hours.end")
    return Reminders(**{k: v for k, v in out.items() if v is not None})


def _export_precision(check: Checker, value: Any) -> int | None:
    """``export: {precision: n}``: the study's default decimals of endpoint values."""
    m = check.mapping(value, "export", {"precision"}) if value is not None else None
    if not m or m.get("precision") is None:
        return None
    from scoring.precision import MAX_DECIMALS  # pure, numpy-free

    n = check.integer(m["precision"], "export.precision", minimum=0)
    if n is not None and n > MAX_DECIMALS:
        check.fail("export.precision", f"must be <= {MAX_DECIMALS}")
        return None
    return n


def _with_export_precision(endpoints: list, decimals: int | None) -> list:
    """Endpoints without their own ``precision`` take the study's, except yes/no flags
    (always whole numbers unless the endpoint says otherwise)."""
    if decimals is None:
        return endpoints
    return [replace(e, precision=decimals) if e.precision is None and not e.binary else e
            for e in endpoints]


def _with_scale_units(endpoints: list, assessments: list) -> list:
    """Questionnaire endpoints without a declared unit take their scale's name and range,
    and a change of one takes it too (:func:`scoring.units.resolve_units`)."""
    units = questionnaire_units(endpoints, assessments)
    if not units:
        return endpoints
    from scoring.units import resolve_units  # numpy-free, but kept beside its caller

    return resolve_units(endpoints, scale_units=units)


def _endpoints(check: Checker, value: Any) -> list:
    """Endpoint declarations are checked by scoring's open registry of kinds."""
    if value is None:
        return []
    if not isinstance(value, list):
        check.fail("endpoints", "must be a list")
        return []
    # Imported here: scoring's kinds need numpy, which app start-up does without (issue 12).
    from scoring.endpoints import EndpointError, validate_endpoints

    try:
        return validate_endpoints(value)
    except EndpointError as exc:
        for path, rule in exc.issues:
            check.fail(path, rule)
        return []

