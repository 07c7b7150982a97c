"""The protocol's ``instrument_options``: scoring choices the published rule leaves to the
study (proration, the EQ-5D-5L value set), each refused option an issue at its path."""

from __future__ import annotations

import copy

import pytest

from diary.protocol.loader import ProtocolError, build_protocol
from scoring.instruments.eq5d_values import DIMENSIONS, ValueSet
from tests.unit.protocol.test_protocol_validation import PARALLEL

VALUE_SET = {"name": "synthetic", "citation": "unit test only",
             "decrements": {d: [0.01, 0.02, 0.03, 0.04] for d in DIMENSIONS}}


def _with(options):
    data = copy.deepcopy(PARALLEL)
    data["instrument_options"] = options
    return data


def _issues(data) -> list[tuple[str, str]]:
    with pytest.raises(ProtocolError) as exc:
        build_protocol(data)
    return exc.value.issues


def test_without_the_section_no_instrument_has_options():
    assert build_protocol(copy.deepcopy(PARALLEL)).instrument_options == {}


def test_options_are_kept_as_the_scorers_keyword_arguments():
    p = build_protocol(_with({"eq5d5l": {"value_set": VALUE_SET},
                              "fdi_child": {"max_missing": 3}, "phq9": {"max_missing": 1}}))
    assert isinstance(p.instrument_options["eq5d5l"]["value_set"], ValueSet)
    assert p.instrument_options["fdi_child"] == {"max_missing": 3}
    assert p.instrument_options["phq9"] == {"max_missing": 1}


@pytest.mark.parametrize(("options", "issue"), [
    ({"hads": {"max_missing": 1}},
     ("instrument_options.hads", "takes no scoring options; instruments with options: "
                                 "eq5d5l, fdi_child, fdi_parent, gad7, phq9")),
    ({"eq5d": {"value_set": VALUE_SET}},
     ("instrument_options.eq5d", "unknown instrument 'eq5d' (did you mean 'eq5d5l'?); "
                                 "instruments with options: eq5d5l, fdi_child, fdi_parent, "
                                 "gad7, phq9")),
    ({"fdi_child": {"max_missing": 4}},
     ("instrument_options.fdi_child.max_missing", "must be an integer from 0 to 3")),
    ({"phq9": {"max_mising": 1}},
     ("instrument_options.phq9.max_mising", "unknown option; phq9 takes max_missing")),
    ({"eq5d5l": {"value_set": {**VALUE_SET, "citation": " "}}},
     ("instrument_options.eq5d5l.value_set.citation", "is required text")),
    ("eq5d5l", ("instrument_options", "must be a mapping")),
])
def test_each_refused_option_is_an_issue_at_its_path(options, issue):
    assert issue in _issues(_with(options))


def test_every_refused_option_is_reported_at_once():
    issues = _issues(_with({"fdi_parent": {"max_missing": -1},
                            "eq5d5l": {"value_set": {"name": "x"}}}))
    paths = [path for path, _ in issues]
    assert "instrument_options.fdi_parent.max_missing" in paths
    assert {"instrument_options.eq5d5l.value_set.citation",
            "instrument_options.eq5d5l.value_set.decrements"} <= set(paths)
