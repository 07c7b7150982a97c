"""Which instrument a QuestionnaireResponse answers, and what each of its linkIds means.

In order (issue 18):

1. ``questionnaire`` as a canonical URL: ours (``urn:paindiary/Questionnaire/<id>``,
   ``|version`` = our version), LOINC's ``http://loinc.org/q/<panel>``, a reference
   ``Questionnaire/<panel code or our id>`` (as LHC-Forms writes it), or an alias the
   study's protocol declares for another app's canonical (``fhir.questionnaire_aliases``;
   any version).  Another app's URL is never matched by its last segment.
2. ``"#id"``: a contained Questionnaire, by its ``url``, its LOINC ``code``, then its
   items' LOINC codes; its items' codes also say what the response's linkIds mean.
3. No ``questionnaire``: the items' linkIds (our item ids, LOINC codes as lforms writes
   them, ``/44249-1/44250-9``) and codes, at any depth; the instrument matching most items
   wins, a tie is ambiguous.

A node (item) of the response maps to one of our items, or to one of our scales when it
is the client's calculated total (PHQ-9 44261-6, GAD-7 70274-6).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from diary.fhir._codes import LOINC, OUR_BASE
from diary.fhir.issues import Issue, shown
from scoring.instruments.model import Instrument, Item, Scale
from scoring.instruments.registry import INSTRUMENTS

__all__ = ["Identified", "builtin_instrument", "identify", "target_of"]

_LOINC_Q = re.compile(r"http://loinc\.org/q/([0-9]+-[0-9])")
_REFERENCE = re.compile(r"Questionnaire/([A-Za-z0-9._-]+)")
_OURS = re.compile(re.escape(OUR_BASE) + r"/Questionnaire/([A-Za-z0-9._-]+)")


@dataclass(frozen=True)
class Identified:
    """The instrument, how it was found, and linkId -> our item or scale id where the
    linkId alone does not say (an alias's map, a contained Questionnaire's codes)."""

    instrument: Instrument
    via: str
    link_ids: Mapping[str, str] = field(default_factory=dict)
    # (system, code) -> score: an aliased app's own answer codes.
    answer_codes: Mapping[tuple[str, str], int] = field(default_factory=dict)


def builtin_instrument(url: str) -> Instrument | None:
    """The instrument a canonical (without ``|version``) names with no alias: ours,
    LOINC's ``http://loinc.org/q/<panel>``, or ``Questionnaire/<panel code or id>``."""
    if m := _OURS.fullmatch(url):
        return _by_id(m.group(1))
    if m := _LOINC_Q.fullmatch(url):
        return _by_panel(m.group(1))
    if m := _REFERENCE.fullmatch(url):
        return _by_panel(m.group(1)) or _by_id(m.group(1))
    return None


def identify(payload: dict, *, instrument_id: str | None, aliases: Sequence,
             issues: list) -> Identified | None:
    """The instrument of ``payload``, or ``None`` with an issue at ``questionnaire``
    (``issues`` takes ``(path, rule)`` tuples)."""
    def refuse(rule: str) -> None:
        issues.append(Issue("questionnaire", rule))

    canonical = payload.get("questionnaire")
    if canonical is None:
        if instrument_id is not None:
            if instrument_id in INSTRUMENTS:
                return Identified(INSTRUMENTS[instrument_id], "given")
            return refuse(f"is absent and {instrument_id!r} is not an instrument; "
                          f"known: {', '.join(sorted(INSTRUMENTS))}")
        return _by_items(payload.get("item"), {}, refuse, "items")
    if not isinstance(canonical, str) or not canonical:
        return refuse(f"must be a canonical URL string, got {shown(canonical)}")
    if canonical.startswith("#"):
        found = _contained(payload, canonical, aliases, refuse)
    else:
        found = _canonical(canonical, aliases, refuse)
    if found is not None and instrument_id is not None and found.instrument.id != instrument_id:
        return refuse(f"names {found.instrument.id} but the instrument given is {instrument_id}")
    return found


def target_of(instrument: Instrument, node: dict,
              link_ids: Mapping[str, str]) -> Item | Scale | None:
    """Our item or scale for one response item: by the declared map, our item id, the
    LOINC code in its linkId (last path segment) or in its ``code``."""
    link_id = node.get("linkId")
    if isinstance(link_id, str):
        if link_id in link_ids:
            return _item_or_scale(instrument, link_ids[link_id])
        if link_id in instrument.item_ids:
            return instrument.item(link_id)
    for code in _codes_of(node):
        if found := _by_loinc(instrument, code):
            return found
    return None


def _canonical(canonical: str, aliases: Sequence, refuse) -> Identified | None:
    url, _, version = canonical.partition("|")
    for alias in aliases:
        if alias.canonical == url:  # another app's Questionnaire: any of its versions
            return Identified(INSTRUMENTS[alias.instrument], "alias", alias.link_ids,
                              _answer_codes(alias))
    found = builtin_instrument(url)
    if found is None:
        hint = ""
        if _REFERENCE.search(url):
            hint = ("; another app's Questionnaire is not matched by its last segment: the "
                    "study declares it in its protocol (fhir.questionnaire_aliases)")
        return refuse(f"{canonical!r} is not a questionnaire we know: ours "
                      f"({OUR_BASE}/Questionnaire/<id>), LOINC's (http://loinc.org/q/<code>), "
                      f"Questionnaire/<LOINC panel code or id>, or a study alias{hint}")
    ours = _OURS.fullmatch(url) or (_REFERENCE.fullmatch(url) and _by_id(url.split("/")[-1]))
    if version and ours and version != found.version:
        return refuse(f"version {version!r} of {found.id} is not published; current: "
                      f"{found.version}")
    return Identified(found, "canonical")


def _contained(payload: dict, ref: str, aliases: Sequence, refuse) -> Identified | None:
    contained = payload.get("contained")
    resources = [r for r in contained if isinstance(r, dict)] if isinstance(contained,
                                                                           list) else []
    q = next((r for r in resources if r.get("resourceType") == "Questionnaire"
              and r.get("id") == ref[1:]), None)
    if q is None:
        ids = [f"#{r.get('id')}" for r in resources if r.get("resourceType") == "Questionnaire"]
        return refuse(f"{ref!r} names no contained Questionnaire; contained: "
                      f"{', '.join(ids) or 'none'}")
    # The contained Questionnaire's items say what the response's linkIds mean.
    codes = {node["linkId"]: list(_codes_of(node)) for node in _nodes(q.get("item"))
             if isinstance(node.get("linkId"), str)}
    found, alias = None, None
    url = q.get("url")
    if isinstance(url, str):
        url = url.partition("|")[0]
        alias = next((a for a in aliases if a.canonical == url), None)
        found = INSTRUMENTS[alias.instrument] if alias else builtin_instrument(url)
    if found is None:
        found = next((i for c in _codes_of(q) if (i := _by_panel(c))), None)
    if found is None:
        return _by_items(payload.get("item"), codes, refuse, "contained")
    declared = alias.link_ids if alias else {}
    return Identified(found, "contained", {**_link_map(found, codes), **declared},
                      _answer_codes(alias) if alias else {})


def _answer_codes(alias) -> dict[tuple[str, str], int]:
    system = getattr(alias, "answer_system", None)
    return {(system, code): score for code, score in
            (getattr(alias, "answer_codes", None) or {}).items()} if system else {}


def _by_items(items: Any, codes: Mapping[str, list[str]], refuse, via: str) -> Identified | None:
    """The instrument most of the items belong to (the response has no usable
    ``questionnaire``)."""
    nodes = list(_nodes(items))
    counts = {}
    for instrument in INSTRUMENTS.values():
        link_ids = _link_map(instrument, codes)
        hits = sum(1 for n in nodes if target_of(instrument, n, link_ids) is not None
                   or instrument.loinc in _codes_of(n))
        if hits:
            counts[instrument.id] = hits
    what = "is absent" if via == "items" else "names a contained Questionnaire without a url "\
                                             "or code we know"
    if not counts:
        seen = [n["linkId"] for n in nodes if isinstance(n.get("linkId"), str)][:5]
        return refuse(f"{what}, and no item's linkId or LOINC code belongs to an instrument we "
                      f"know (linkIds: {', '.join(map(repr, seen)) or 'none'}); send "
                      "questionnaire as a canonical URL")
    best = max(counts.values())
    top = sorted(i for i, n in counts.items() if n == best)
    if len(top) > 1:
        return refuse(f"{what}, and the items match {' and '.join(top)} equally ({best} "
                      "each): ambiguous; send questionnaire as a canonical URL")
    instrument = INSTRUMENTS[top[0]]
    return Identified(instrument, via, _link_map(instrument, codes))


def _link_map(instrument: Instrument, codes: Mapping[str, list[str]]) -> dict[str, str]:
    out = {}
    for link_id, node_codes in codes.items():
        for code in node_codes:
            if found := _by_loinc(instrument, code):
                out[link_id] = found.id
                break
    return out


def _nodes(items: Any) -> Iterator[dict]:
    """Every item dict at any depth: under groups and under answers."""
    for node in items if isinstance(items, list) else []:
        if not isinstance(node, dict):
            continue
        yield node
        yield from _nodes(node.get("item"))
        for answer in node.get("answer") if isinstance(node.get("answer"), list) else []:
            if isinstance(answer, dict):
                yield from _nodes(answer.get("item"))


def _codes_of(node: dict) -> list[str]:
    """LOINC codes a node carries: in ``code`` (a Questionnaire item; some form tools put
    it on response items too) and in its linkId's last segment (``/44249-1/44250-9``)."""
    out = [c.get("code") for c in node.get("code") or [] if isinstance(c, dict)
           and c.get("system") in (LOINC, None) and isinstance(c.get("code"), str)] \
        if isinstance(node.get("code"), list) else []
    link_id = node.get("linkId")
    if isinstance(link_id, str) and link_id.strip("/"):
        out.append(link_id.rstrip("/").rsplit("/", 1)[-1])
    return out


def _by_loinc(instrument: Instrument, code: str) -> Item | Scale | None:
    for item in instrument.items:
        if item.loinc == code:
            return item
    for scale in instrument.scales:
        if scale.loinc == code:
            return scale
    return None


def _item_or_scale(instrument: Instrument, target: str) -> Item | Scale:
    if target in instrument.item_ids:
        return instrument.item(target)
    return instrument.scale(target)


def _by_panel(code: str) -> Instrument | None:
    return next((i for i in INSTRUMENTS.values() if i.loinc == code), None)


def _by_id(name: str) -> Instrument | None:
    """Our instrument id, or the Questionnaire resource id we publish (``bpi-sf``)."""
    return INSTRUMENTS.get(name) or INSTRUMENTS.get(name.replace("-", "_"))

