"""Intakes the catalogue refuses, each with the field and the rule it broke."""

from __future__ import annotations

from decimal import Decimal

import pytest

from diary.medication import IntakeError, TableError, available_tables, load_table
from diary.medication import normalise_intake as intake
from diary.medication.table import parse_table


def refused(*args, **kw) -> IntakeError:
    with pytest.raises(IntakeError) as e:
        intake(*args, **kw)
    return e.value


@pytest.mark.parametrize(
    ("args", "kw", "field", "rule"),
    [
        (("oxycodon", 5, "mg", "oral"), {}, "drug",
         "unknown drug 'oxycodon' in table cdc-2022; did you mean oxycodone?"),
        (("acetaminofen", 500, "mg", "oral"), {}, "drug",
         "unknown drug 'acetaminofen' in table cdc-2022; did you mean acetaminophen?"),
        (("unobtainium", 5, "mg", "oral"), {}, "drug",
         "unknown drug 'unobtainium' in table cdc-2022"),
        (("", 5, "mg", "oral"), {}, "drug", "is required (a drug name from the catalogue)"),
        (("oxycodone", 10, "mcg/h", "oral"), {}, "unit",
         "mcg/h is a patch delivery rate; oxycodone oral takes mg, g"),
        (("fentanyl", 25, "mg", "transdermal"), {}, "unit",
         "a patch is dosed by its delivery rate, not by mg; fentanyl transdermal takes mcg/h"),
        (("amitriptyline", 1, "g", "oral"), {}, "unit",
         "g is not used for amitriptyline oral; amitriptyline oral takes mg"),
        (("oxycodone", 2, "tablets", "oral"), {}, "unit",
         "unknown unit 'tablets' (allowed for oxycodone oral: mg, g)"),
        (("oxycodone", -5, "mg", "oral"), {}, "dose", "must be greater than 0, got -5"),
        (("oxycodone", 0, "mg", "oral"), {}, "dose", "must be greater than 0, got 0"),
        (("oxycodone", "five", "mg", "oral"), {}, "dose", "must be a number, got 'five'"),
        (("oxycodone", True, "mg", "oral"), {}, "dose", "must be a number, got True"),
        (("oxycodone", float("nan"), "mg", "oral"), {}, "dose",
         "must be a finite number, got nan"),
        (("oxycodone", float("inf"), "mg", "oral"), {}, "dose",
         "must be a finite number, got inf"),
        (("oxycodone", 5000, "mg", "oral"), {}, "dose",
         "5000 mg is above the largest plausible single dose of oxycodone oral (160 mg)"),
        (("paracetamol", 5, "g", "oral"), {}, "dose",
         "5000 mg is above the largest plausible single dose of paracetamol oral (2000 mg)"),
        (("fentanyl", 1000, "mcg/h", "transdermal"), {}, "dose",
         "1000 mcg/h is above the largest plausible single dose of fentanyl transdermal "
         "(300 mcg/h)"),
        (("oxycodone", 10, "mg", "transdermal"), {}, "route",
         "oxycodone cannot be recorded as transdermal (allowed: oral, intravenous)"),
        (("paracetamol", 500, "mg", "ear"), {}, "route",
         "unknown route 'ear' (allowed for paracetamol: oral, intravenous, rectal)"),
        (("oxycodone", 10, "mg", "oral"), {"worn_hours": 72}, "worn_hours",
         "applies to patches only, not oral"),
        (("fentanyl", 25, "mcg/h", "transdermal"), {"worn_hours": 120}, "worn_hours",
         "must be from 1 to 96 hours, got 120"),
        (("fentanyl", 25, "mcg/h", "transdermal"), {"worn_hours": 1.5}, "worn_hours",
         "must be a whole number of hours, got 1.5"),
    ],
)
def test_refused_intakes_name_the_field_and_the_rule(args, kw, field, rule):
    e = refused(*args, **kw)
    assert (e.field, e.rule) == (field, rule)
    assert str(e) == f"{field}: {rule}"
    assert isinstance(e, ValueError)


def test_an_unknown_drug_carries_its_suggestions():
    assert refused("tramadoll", 50, "mg", "oral").suggestions == ("tramadol",)
    assert refused("unobtainium", 50, "mg", "oral").suggestions == ()


def test_the_largest_plausible_dose_itself_is_accepted():
    assert intake("oxycodone", 160, "mg", "oral").dose == Decimal(160)
    assert intake("oxycodone", "0.16", "g", "oral").dose == Decimal(160)


def test_a_study_pins_a_shipped_version_and_unknown_ones_are_refused():
    assert "cdc-2022" in available_tables()
    assert load_table("cdc-2022") is load_table("cdc-2022")       # cached
    with pytest.raises(ValueError, match=r"unknown conversion table 'cdc-1999' \(shipped: "):
        load_table("cdc-1999")
    with pytest.raises(ValueError, match="must look like cdc-2022"):
        load_table("../etc/passwd")


GOOD = {"id": "t-1", "title": "T", "citation": "C",
        "drugs": [{"code": "oxycodone", "names": ["oxycodone"], "class": "opioid",
                   "routes": {"oral": {"units": ["mg"], "max_dose": 160, "mme_factor": 1.5}}}]}


def _with(**route) -> dict:
    drug = {**GOOD["drugs"][0], "routes": {"oral": route}}
    return {**GOOD, "drugs": [drug]}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({**GOOD, "id": "t-2"}, "t-1.id: must equal the file name, got 't-2'"),
        (_with(units=["mg"], max_dose=160), "exactly one of mme_factor, no_mme"),
        (_with(units=["mg"], max_dose=160, mme_factor=0), "mme_factor: must be > 0"),
        (_with(units=["mcg/h"], max_dose=160, mme_factor=1), "transdermal takes mcg/h"),
        (_with(units=["mg", "mcg/h"], max_dose=160, mme_factor=1),
         "must all be masses or all rates"),
        (_with(units=["mg"], max_dose=160, mme_factor=1, default_wear_hours=72),
         "wear hours apply to transdermal routes only"),
        (_with(units=["mg"], max_dose=-1, mme_factor=1), "max_dose: must be > 0"),
        ({**GOOD, "drugs": [GOOD["drugs"][0], {**GOOD["drugs"][0], "code": "oxy"}]},
         "name 'oxycodone' is used by oxycodone and oxy"),
    ],
)
def test_a_broken_table_file_is_refused_with_its_path(data, message):
    with pytest.raises(TableError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_table(data, "t-1")


def test_the_table_files_are_declared_as_package_data_so_they_ship():
    import fnmatch
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    config = tomllib.loads((root / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["diary.medication"]
    shipped = sorted((root / "diary" / "medication" / "tables").glob("*"))
    assert shipped and all(any(fnmatch.fnmatch(f"tables/{p.name}", pat) for pat in patterns)
                           for p in shipped)
