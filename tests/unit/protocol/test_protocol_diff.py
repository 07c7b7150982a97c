"""The protocol diff: keyed lists matched by key, positions elsewhere, types respected."""

from __future__ import annotations

from diary.protocol.diff import Change, changes, text_diff

OLD = """\
key: s
sites: [PAR, LYO]
blinding: double
assessments:
  - {key: d7, offset: P7D, window: {open: -P1D, close: P1D}}
  - {key: d28, offset: P28D}
endpoints:
  - {key: auc, kind: auc, from_day: 1, to_day: 35}
"""


def test_identical_sources_have_no_changes_and_no_text():
    assert changes(OLD, OLD) == []
    assert text_diff(OLD, OLD, old_name="a", new_name="b") == ""


def test_an_inserted_keyed_item_is_one_addition_not_a_cascade_of_changes():
    new = OLD.replace("  - {key: d28", "  - {key: d14, offset: P14D}\n  - {key: d28")
    assert changes(OLD, new) == [
        Change("assessments[d14]", "added", new={"key": "d14", "offset": "P14D"})]


def test_nested_values_removed_keys_and_plain_lists():
    new = (OLD.replace("close: P1D", "close: P2D").replace("sites: [PAR, LYO]", "sites: [PAR]")
           .replace("blinding: double\n", "") + "languages: [en]\n")
    assert changes(OLD, new) == [
        Change("sites[1]", "removed", old="LYO"),
        Change("blinding", "removed", old="double"),
        Change("assessments[d7].window.close", "changed", old="P1D", new="P2D"),
        Change("languages", "added", new=["en"]),
    ]


def test_reordered_keyed_items_are_reported_once():
    new = OLD.replace("  - {key: d7, offset: P7D, window: {open: -P1D, close: P1D}}\n", "")
    new = new.replace("endpoints:", "  - {key: d7, offset: P7D, window: {open: -P1D, "
                                    "close: P1D}}\nendpoints:")
    assert changes(OLD, new) == [Change("assessments", "reordered", old=["d7", "d28"],
                                        new=["d28", "d7"])]


def test_true_and_one_differ_and_a_list_of_unkeyed_items_goes_by_position():
    assert changes("x: 1\n", "x: true\n") == [Change("x", "changed", old=1, new=True)]
    old, new = "l: [{a: 1}, {a: 2}]\n", "l: [{a: 1}, {a: 3}, {a: 4}]\n"
    assert changes(old, new) == [Change("l[1].a", "changed", old=2, new=3),
                                 Change("l[2]", "added", new={"a": 4})]


def test_duplicate_keys_fall_back_to_positions():
    old, new = "l: [{key: a, v: 1}, {key: a, v: 2}]\n", "l: [{key: a, v: 1}, {key: a, v: 3}]\n"
    assert changes(old, new) == [Change("l[1].v", "changed", old=2, new=3)]


def test_the_text_diff_is_unified_with_the_names_given():
    text = text_diff(OLD, OLD.replace("P28D", "P30D"), old_name="s version 1",
                     new_name="s version 2")
    assert text.splitlines()[:2] == ["--- s version 1", "+++ s version 2"]
    assert "-  - {key: d28, offset: P28D}\n+  - {key: d28, offset: P30D}\n" in text


def test_a_file_without_final_newline_diffs_line_by_line():
    text = text_diff("a: 1", "a: 2", old_name="o", new_name="n")
    assert text.endswith("-a: 1\n+a: 2\n")
