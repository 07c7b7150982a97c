"""The cdc-2022-anzca-2021 table: CDC 2022 oral and patch factors unchanged, parenteral
factors of the ANZCA Faculty of Pain Medicine table, and cdc-2022 itself untouched."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from importlib import resources

import pytest

from diary.medication import load_table, mme, normalise_intake
from diary.protocol.loader import build_protocol
from tests.unit.medication.test_mme import CDC_2022_FACTORS
from tests.unit.protocol.test_protocol_validation import PARALLEL

CDC = load_table("cdc-2022")
PARENTERAL = load_table("cdc-2022-anzca-2021")
ROUTES = ("intravenous", "subcutaneous", "intramuscular")

# ANZCA FPM PS01(PM) Appendix, "Parenteral preparations" (2014 and 2021 editions), typed in
# from the source, not read from our data file: oMEDD = daily dose x factor.
ANZCA_PARENTERAL = {"morphine": "3", "oxycodone": "3", "hydromorphone": "15",
                    "fentanyl": "0.2"}  # fentanyl per mcg


def test_the_table_holds_the_cdc_factors_plus_exactly_the_anzca_parenteral_ones():
    found = {(d.code, r.route): r.mme_factor for d in PARENTERAL.drugs
             for r in d.routes.values() if r.mme_factor is not None}
    expected = {k: Decimal(v) for k, v in CDC_2022_FACTORS.items()} | {
        (drug, route): Decimal(factor)
        for drug, factor in ANZCA_PARENTERAL.items() for route in ROUTES}
    assert found == expected
    assert "Dowell D" in PARENTERAL.citation and "ANZCA" in PARENTERAL.citation


@pytest.mark.parametrize(("drug", "dose", "unit", "route", "expected"), [
    ("morphine", 5, "mg", "IV", "15"),                 # 5 mg x 3
    ("morphine", 10, "mg", "subcutaneous", "30"),      # 10 mg x 3
    ("morphine", "2.5", "mg", "IM", "7.5"),            # 2.5 mg x 3
    ("hydromorphone", "0.4", "mg", "IV", "6"),         # 0.4 mg x 15
    ("hydromorphone", 200, "mcg", "SC", "3"),          # 200 mcg = 0.2 mg x 15
    ("hydromorphone", 1, "mg", "intramuscular", "15"),
    ("fentanyl", 100, "mcg", "IV", "20"),              # 100 mcg x 0.2
    ("fentanyl", "0.05", "mg", "IV", "10"),            # 0.05 mg = 50 mcg x 0.2
    ("fentanyl", 25, "mcg", "subcutaneous", "5"),
    ("fentanyl", 50, "mcg", "IM", "10"),
    ("oxycodone", 5, "mg", "IV", "15"),                # 5 mg x 3
    ("oxycodone", 2, "mg", "SC", "6"),
    ("oxycodone", 10, "mg", "intramuscular", "30"),
])
def test_each_parenteral_factor_on_a_worked_example(drug, dose, unit, route, expected):
    r = mme(normalise_intake(drug, dose, unit, route, table=PARENTERAL), PARENTERAL)
    assert (r.value, r.reason, r.per_day) == (Decimal(expected), None, (Decimal(expected),))
    assert r.table == "cdc-2022-anzca-2021"


def test_the_same_intakes_get_no_mme_under_cdc_2022():
    r = mme(normalise_intake("morphine", 5, "mg", "IV"), CDC)
    assert r.value is None and "oral opioids and the fentanyl patch only" in r.reason


def test_intravenous_tramadol_stays_without_mme_and_says_why():
    r = mme(normalise_intake("tramadol", 100, "mg", "IV", table=PARENTERAL), PARENTERAL)
    assert r.value is None and r.per_day == ()
    assert r.reason == ("no verified parenteral tramadol factor (not in the ANZCA FPM "
                        "parenteral table)")


@pytest.mark.parametrize(("drug", "route"), [(d, r) for d, r in CDC_2022_FACTORS])
def test_oral_and_patch_mme_are_the_same_under_both_tables(drug, route):
    unit, dose = ("mcg/h", 25) if route == "transdermal" else ("mg", 10)
    old = mme(normalise_intake(drug, dose, unit, route), CDC)
    new = mme(normalise_intake(drug, dose, unit, route, table=PARENTERAL), PARENTERAL)
    assert (new.value, new.per_day) == (old.value, old.per_day)


def test_both_tables_list_the_same_drugs_and_the_same_dose_limits():
    for drug in CDC.drugs:
        other = PARENTERAL.find(drug.code)
        assert other is not None and other.names == drug.names
        for route, rule in drug.routes.items():
            assert other.routes[route].units == rule.units
            assert other.routes[route].max_dose == rule.max_dose


def test_cdc_2022_is_unchanged():
    # Tables are versions: MME already derived with cdc-2022 must stay reproducible, so the
    # file is never edited (a change ships as a new file). This digest pins its bytes.
    data = resources.files("diary.medication").joinpath("tables", "cdc-2022.yaml").read_bytes()
    assert hashlib.sha256(data).hexdigest() == (
        "cde3ef8b18d3851f956f78bfd7a77359393d68eb091734d5fdbf680bcd772f19")
    assert all(r.mme_factor is None for d in CDC.drugs for r in d.routes.values()
               if r.route in ROUTES)


def test_a_study_pins_the_parenteral_table_in_its_protocol():
    protocol = build_protocol({**PARALLEL, "medication": {"table": "cdc-2022-anzca-2021"}})
    assert protocol.medication_table == "cdc-2022-anzca-2021"
