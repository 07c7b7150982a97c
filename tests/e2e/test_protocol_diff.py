"""The diff between two stored protocol versions of a study (issue 15)."""

from __future__ import annotations

from tests.conftest import MINIMAL_CROSSOVER

STUDY = "mini-crossover"


def _upgrade(api, token, source):
    return api.upload(token, source, url=f"/api/v1/studies/{STUDY}/versions")


def _diff(api, token, old, new):
    return api.c.get(f"/api/v1/studies/{STUDY}/versions/{old}/diff/{new}",
                     headers=api.bearer(token))


def amended(source: str) -> str:
    return (source.replace("title: Minimal crossover", "title: Minimal crossover, v1.1\n"
                                                       "version: '1.1'")
            .replace("window: {open: -P1D, close: P1D}", "window: {open: -P1D, close: P2D}")
            + "  - {key: pain_d14, instrument: nrs_pain, anchor: infusion, offset: P14D,\n"
              "     window: {open: -P1D, close: P1D}}\n")


def test_the_diff_lists_each_changed_path_and_the_unified_text(api, crossover, crossover_source):
    r = _upgrade(api, crossover, amended(crossover_source))
    assert r.status_code == 201, r.json
    r = _diff(api, crossover, 1, 2)
    assert r.status_code == 200, r.json
    assert (r.json["old"]["version"], r.json["new"]["version"]) == (1, 2)
    assert r.json["new"]["label"] == "1.1"
    assert r.json["changes"] == [
        {"path": "title", "kind": "changed", "old": "Minimal crossover",
         "new": "Minimal crossover, v1.1"},
        {"path": "assessments[pain_d7].window.close", "kind": "changed", "old": "P1D",
         "new": "P2D"},
        {"path": "assessments[pain_d14]", "kind": "added", "old": None,
         "new": {"key": "pain_d14", "instrument": "nrs_pain", "anchor": "infusion",
                 "offset": "P14D", "window": {"open": "-P1D", "close": "P1D"}}},
        {"path": "version", "kind": "added", "old": None, "new": "1.1"},
    ]
    text = r.json["text"]
    assert text.startswith("--- mini-crossover version 1\n+++ mini-crossover version 2\n")
    assert "+version: '1.1'\n" in text and "+     window: {open: -P1D, close: P2D}}\n" in text
    # backwards: old and new swapped, additions become removals (in version 2's order)
    back = _diff(api, crossover, 2, 1).json["changes"]
    assert [(c["path"], c["kind"]) for c in back] == [
        ("title", "changed"), ("version", "removed"),
        ("assessments[pain_d7].window.close", "changed"), ("assessments[pain_d14]", "removed")]
    assert (back[2]["old"], back[2]["new"]) == ("P2D", "P1D")
    assert _diff(api, crossover, 2, 2).json["changes"] == []


def test_a_missing_version_or_study_is_404_and_outsiders_learn_nothing(api, crossover):
    for old, new in ((1, 2), (0, 1), (1, 99999999999)):
        r = _diff(api, crossover, old, new)
        assert (r.status_code, r.json["code"]) == (404, "not_found"), (old, new)
    assert "no version 2" in _diff(api, crossover, 1, 2).json["message"]
    api.create_study(crossover, MINIMAL_CROSSOVER.replace("key: mini-crossover", "key: other"))
    outsider = api.staff(crossover, "other@site.org", "viewer", "other")
    r = _diff(api, outsider, 1, 1)
    assert (r.status_code, r.json["message"]) == (404, "no study 'mini-crossover'")
    assert _diff(api, api.staff(crossover, "v@site.org", "viewer", STUDY), 1, 1).status_code \
        == 200
