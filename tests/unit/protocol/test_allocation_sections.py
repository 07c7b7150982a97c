"""The protocol's ``blinding`` and ``randomisation`` sections: defaults and refusals."""

from __future__ import annotations

import copy

import pytest

from diary.protocol.loader import ProtocolError, build_protocol
from diary.protocol.model import Randomisation
from tests.unit.protocol.test_protocol_validation import PARALLEL


def _with(**top):
    data = copy.deepcopy(PARALLEL)
    data.update(top)
    return data


def _single_group():
    data = _with(design="single_group")
    del data["arms"]
    return data


@pytest.mark.parametrize(("data", "blinding"), [
    (_with(), "double"),                      # arms: blinded unless the protocol says not
    (_single_group(), "open"),                # nothing allocated, nothing to blind
    (_with(blinding="single"), "single"),
    (_with(blinding="open"), "open"),
])
def test_blinding_defaults_to_double_where_something_is_allocated(data, blinding):
    protocol = build_protocol(data)
    assert protocol.blinding == blinding
    assert protocol.staff_blinded is (blinding == "double")


def test_randomisation_defaults_to_manual_assignment():
    assert build_protocol(_with()).randomisation == Randomisation("manual", ())
    listed = build_protocol(_with(randomisation={"method": "list", "stratify_by": ["site"]}))
    assert listed.randomisation == Randomisation("list", ("site",))
    assert listed.randomisation.from_list


@pytest.mark.parametrize(("data", "issues"), [
    (_with(blinding="triple"), [("blinding", "must be one of double, single, open")]),
    (_with(blinding=True), [("blinding", "must be one of double, single, open")]),
    (_with(randomisation="list"), [("randomisation", "must be a mapping")]),
    (_with(randomisation={"method": "list", "stratify_by": "site"}),
     [("randomisation.stratify_by", "must be a list")]),
    (_with(randomisation={"method": "list", "stratify_by": ["site", "site"]}),
     [("randomisation.stratify_by", "has duplicates")]),
    (_with(randomisation={"method": "list", "seed": 42}),
     [("randomisation.seed", "unknown field")]),
    ({**_single_group(), "randomisation": {"method": "list"}},
     [("randomisation.method",
       "only a parallel or crossover design has an arm or sequence to allocate")]),
    ({**_with(randomisation={"method": "list", "stratify_by": ["site"]}), "sites": []},
     [("randomisation.stratify_by", "stratifying by site needs the sites listed")]),
])
def test_bad_sections_name_their_path_and_rule(data, issues):
    with pytest.raises(ProtocolError) as caught:
        build_protocol(data)
    assert caught.value.issues == issues
