"""Compare the totals a form tool calculated (PHQ-9 44261-6, GAD-7 70274-6) with our scores.

A form tool's total is never trusted nor a reason to refuse: a mismatch, or a total for a
scale we left unscored, is a warning kept with the response, and our score stands.

Examples
--------
>>> total_warnings({"total": (14, "item[9].answer[0].valueDecimal")},
...                {"total": {"value": 13, "reason": None}})[0]["rule"]
'the client calculated 14 but our total is 13; ours is kept'
>>> total_warnings({"total": (13.0, "item[9].answer[0].valueDecimal")},
...                {"total": {"value": 13, "reason": None}})
[]
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction


def total_warnings(client_totals: Mapping[str, tuple[float, str]],
                   scores: Mapping[str, Mapping]) -> list[dict]:
    """One warning (``path``, ``scale``, ``sent``, ``ours``, ``rule``) per client total that
    differs from our score of that scale, or that we could not check."""
    out = []
    for scale, (sent, path) in client_totals.items():
        score = scores.get(scale) or {}
        ours = score.get("value")
        if ours is None:
            why = score.get("reason") or "not scored"
            rule = f"the client calculated {sent} but we left the {scale} unscored ({why})"
        elif Fraction(sent) != Fraction(ours):  # exact: 13.0 is 13, 12.999 is not
            rule = f"the client calculated {sent} but our {scale} is {ours}; ours is kept"
        else:
            continue
        out.append({"path": path, "scale": scale, "sent": sent, "ours": ours, "rule": rule})
    return out
