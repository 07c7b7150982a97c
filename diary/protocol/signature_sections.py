"""The protocol's ``signatures`` section: the actions that need an electronic signature
(21 CFR Part 11 §11.50, §11.200; issue 17).

    signatures:
      withdrawal: true                      # any meaning the signer states
      anchor_correction:                    # or one of these meanings
        - I confirm the corrected time from the source record

A signed action asks the user to re-enter their password and state the meaning of the
signature; the signer, time and meaning are recorded with the action's audit record.
"""

from __future__ import annotations

from typing import Any

from diary.protocol.checks import Checker

SIGNED_ACTIONS = ("withdrawal", "anchor_correction", "anchor_cancellation")
MAX_MEANING = 200


def read_signatures(check: Checker, value: Any) -> dict[str, tuple[str, ...]]:
    """Action -> the meanings it accepts (empty: any stated meaning)."""
    if value is None:
        return {}
    m = check.mapping(value, "signatures", set(SIGNED_ACTIONS))
    if m is None:
        return {}
    out: dict[str, tuple[str, ...]] = {}
    for action in SIGNED_ACTIONS:
        if action not in m:
            continue
        path, given = f"signatures.{action}", m[action]
        if given is True:
            out[action] = ()
            continue
        if not isinstance(given, list) or not given:
            check.fail(path, "must be true (any stated meaning) or a non-empty list of "
                             "meanings")
            continue
        meanings = check.items(given, path, lambda v, p: _meaning(check, v, p))
        if len(set(meanings)) != len(meanings):
            check.fail(path, "has duplicates")
        out[action] = tuple(meanings)
    return out


def _meaning(check: Checker, value: Any, path: str) -> str | None:
    text = check.text(value, path)
    if text is not None and len(text) > MAX_MEANING:
        check.fail(path, f"must have at most {MAX_MEANING} characters, got {len(text)}")
        return None
    return text
