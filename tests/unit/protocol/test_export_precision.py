"""Declared precision: per endpoint (``precision: 2``) and per study (``export.precision``)."""

from __future__ import annotations

import copy

import pytest

from diary.protocol.loader import ProtocolError, build_protocol
from tests.unit.protocol.test_protocol_validation import PARALLEL

RESPONDER = [{"key": "bl", "kind": "baseline", "from_day": -7, "to_day": -1},
             {"key": "d7", "kind": "timepoint", "day": 7},
             {"key": "p7", "kind": "percent_change", "of": "d7", "baseline": "bl"},
             {"key": "r7", "kind": "responder", "of": "p7", "reduction_percent": 30}]


def _with(**top):
    data = copy.deepcopy(PARALLEL)
    data.update(top)
    return data


def _decimals(protocol):
    return {e.key: e.decimals() for e in protocol.endpoints}


def test_defaults_are_one_decimal_and_whole_flags():
    assert _decimals(build_protocol(_with(endpoints=RESPONDER))) == {
        "bl": 1, "d7": 1, "p7": 1, "r7": 0}


def test_the_study_default_yields_to_an_endpoint_and_never_touches_flags():
    eps = copy.deepcopy(RESPONDER)
    eps[1]["precision"] = 3
    p = build_protocol(_with(endpoints=eps, export={"precision": 2}))
    assert _decimals(p) == {"bl": 2, "d7": 3, "p7": 2, "r7": 0}


@pytest.mark.parametrize(("top", "issues"), [
    ({"export": {"precision": 7}}, [("export.precision", "must be <= 6")]),
    ({"export": {"precision": -1}}, [("export.precision", "must be >= 0")]),
    ({"export": {"precison": 1}}, [("export.precison", "unknown field")]),
    ({"endpoints": [{"key": "d7", "kind": "timepoint", "day": 7, "precision": 1.5}]},
     [("endpoints[0].precision", "must be an integer, got 1.5")]),
    ({"endpoints": [{"key": "d7", "kind": "timepoint", "day": 7, "precision": 9}]},
     [("endpoints[0].precision", "must be <= 6, got 9")]),
])
def test_bad_precision_names_its_path_and_rule(top, issues):
    with pytest.raises(ProtocolError) as caught:
        build_protocol(_with(**top))
    assert caught.value.issues == issues
