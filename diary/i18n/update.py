"""``python -m diary.i18n.update [--check]``: extract the participant texts, merge them into
each language's ``participant.po`` and compile ``participant.mo``.

Sources: the SMS replies and reminder texts (``N_``, ``translate``, ``gettext``, ``say``
calls), the default side-effect symptoms' labels, and the shipped instruments' display
names, plus the item and option labels of the free instruments a participant can answer
by SMS (licensed wording comes from the
protocol's ``instrument_texts``, never from here). ``--check`` changes nothing and exits
1 when a catalog is out of date or lacks a translation (CI runs it).
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from diary.i18n import DOMAIN, LANGUAGES, LOCALES

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ["diary/sms/*.py", "diary/i18n/*.py", "notifications/planning/messages.py"]
KEYWORDS = {"N_": None, "translate": (2,), "gettext": (2,), "say": (2,)}
SMS_INSTRUMENTS = ("nrs_pain", "pgic")  # free, answerable by text: labels translated


def template() -> Catalog:
    """Every participant message id, with where it comes from."""
    from diary.safety.checklist import DEFAULT_SYMPTOMS, SEVERITIES
    from scoring.instruments.registry import INSTRUMENTS

    cat = Catalog(project="paindiary", domain=DOMAIN, charset="utf-8")
    for symptom in DEFAULT_SYMPTOMS:  # a study's own symptoms keep the study's wording
        cat.add(symptom.label, locations=[(f"diary/safety/checklist.py ({symptom.code})", 0)])
    for word in SEVERITIES:
        cat.add(word, locations=[("diary/safety/checklist.py (SEVERITIES)", 0)],
                auto_comments=["a side effect's severity: none, mild, moderate, severe"])
    for pattern in SOURCES:
        for path in sorted(ROOT.glob(pattern)):
            rel = path.relative_to(ROOT).as_posix()
            for lineno, msgid, comments, _ in extract_from_file(
                    "python", str(path), keywords=KEYWORDS, strip_comment_tags=True):
                if isinstance(msgid, str) and msgid:
                    cat.add(msgid, locations=[(rel, lineno)], auto_comments=comments)
    for inst_id, instrument in sorted(INSTRUMENTS.items()):
        where = [(f"scoring/instruments ({inst_id})", 0)]
        cat.add(instrument.name, locations=where)
        if inst_id in SMS_INSTRUMENTS:
            for item in instrument.items:
                cat.add(item.label, locations=where)
                for option in item.options:
                    cat.add(option.label, locations=where)
    return cat


def _po_bytes(cat: Catalog) -> bytes:
    buf = io.BytesIO()
    write_po(buf, cat, omit_header=False, sort_output=True, width=100,
             include_lineno=False)
    return buf.getvalue()


def _mo_bytes(cat: Catalog) -> bytes:
    buf = io.BytesIO()
    write_mo(buf, cat)
    return buf.getvalue()


def _without_date(data: bytes) -> bytes:
    """A catalog's text without the creation date (the only line that changes on rerun)."""
    return b"\n".join(line for line in data.split(b"\n")
                      if not line.startswith((b'"POT-Creation-Date', b'"PO-Revision-Date')))


def update(check: bool = False, out=sys.stdout) -> int:
    """Merge and compile every language; with ``check`` only report. Returns problems."""
    tmpl = template()
    problems = 0
    for lang in LANGUAGES[1:]:
        folder = LOCALES / lang / "LC_MESSAGES"
        po_path, mo_path = folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"
        if po_path.exists():
            with po_path.open("rb") as f:
                cat = read_po(f, locale=lang, domain=DOMAIN)
        else:
            cat = Catalog(locale=lang, domain=DOMAIN, project="paindiary", charset="utf-8")
        old_po = po_path.read_bytes() if po_path.exists() else b""
        created = cat.creation_date
        cat.update(tmpl, no_fuzzy_matching=True)
        cat.creation_date = created  # reruns then give the same bytes (the .mo has it)
        cat.obsolete.clear()
        missing = [m.id for m in cat if m.id and (not m.string or m.fuzzy)]
        po, mo = _po_bytes(cat), _mo_bytes(cat)
        stale = (_without_date(po) != _without_date(old_po)
                 or not mo_path.exists() or mo_path.read_bytes() != mo)
        print(f"{lang}: {len(cat) - len(missing)}/{len(cat)} translated"
              + (", out of date" if stale else ""), file=out)
        for msgid in missing:
            print(f"  {lang}: untranslated: {msgid!r}", file=out)
        problems += len(missing) + (1 if stale and check else 0)
        if not check:
            folder.mkdir(parents=True, exist_ok=True)
            if _without_date(po) != _without_date(old_po):
                po_path.write_bytes(po)
            mo_path.write_bytes(mo)
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m diary.i18n.update",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 if a catalog is stale or incomplete")
    args = parser.parse_args(argv)
    problems = update(check=args.check)
    return 1 if args.check and problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
