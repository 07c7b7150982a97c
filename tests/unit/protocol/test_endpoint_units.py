"""Endpoint units (``unit:``) and the primary flag, as the protocol loader (and so
``studies check``, study creation and upgrade) reads them."""

from __future__ import annotations

import copy

import pytest

from diary.protocol.loader import ProtocolError, build_protocol
from tests.unit.protocol.test_protocol_validation import PARALLEL

ENDPOINTS = [{"key": "bl", "kind": "baseline", "from_day": -7, "to_day": -1},
             {"key": "d7", "kind": "timepoint", "day": 7, "primary": True},
             {"key": "c7", "kind": "change", "of": "d7", "baseline": "bl"},
             {"key": "p7", "kind": "percent_change", "of": "d7", "baseline": "bl"},
             {"key": "r7", "kind": "responder", "of": "p7", "reduction_percent": 30},
             {"key": "auc", "kind": "auc", "from_day": 1, "to_day": 7},
             {"key": "cmp", "kind": "compliance", "from_day": 1, "to_day": 7}]


def _with(endpoints, **top):
    data = copy.deepcopy(PARALLEL)
    data.update(endpoints=endpoints, **top)
    return data


def test_each_kind_has_a_default_unit_and_a_change_takes_that_of_its_value():
    p = build_protocol(_with(ENDPOINTS))
    assert {e.key: e.unit_text() for e in p.endpoints} == {
        "bl": "NRS 0-10", "d7": "NRS 0-10", "c7": "NRS 0-10", "p7": "%", "r7": "",
        "auc": "NRS 0-10 score-days", "cmp": "% of diary days"}
    assert [e.key for e in p.endpoints if e.primary] == ["d7"]


def test_a_declared_unit_wins_and_its_change_follows_it():
    eps = copy.deepcopy(ENDPOINTS)
    eps[1]["unit"] = "VAS 0-100 mm"
    p = build_protocol(_with(eps, export={"precision": 2}))   # precision keeps the units
    units = {e.key: e.unit_text() for e in p.endpoints}
    assert (units["d7"], units["c7"], units["bl"]) == ("VAS 0-100 mm", "VAS 0-100 mm",
                                                       "NRS 0-10")


@pytest.mark.parametrize(("field", "value", "rule"), [
    ("unit", "", "must be a text of 1 to 40 printable characters without leading or "
                 "trailing spaces, got ''"),
    ("unit", " mm", "must be a text of 1 to 40 printable characters without leading or "
                    "trailing spaces, got ' mm'"),
    ("unit", "=1+1", "must not contain =, got '=1+1'"),
    ("unit", 10, "must be a text of 1 to 40 printable characters without leading or "
                 "trailing spaces, got 10"),
    ("primary", "yes", "must be true or false, got 'yes'"),
])
def test_a_bad_unit_or_primary_names_its_path_and_rule(field, value, rule):
    eps = copy.deepcopy(ENDPOINTS)
    eps[1][field] = value
    with pytest.raises(ProtocolError) as caught:
        build_protocol(_with(eps))
    assert caught.value.issues[0] == (f"endpoints[1].{field}", rule)   # then its dependants
