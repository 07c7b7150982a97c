"""MME of each opioid against the CDC 2022 factors, units, synonyms and patches."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diary.medication import load_table, mme, normalise_intake

CDC = load_table("cdc-2022")

# Dowell et al., MMWR Recomm Rep 2022;71(RR-3), Table 1, typed in from the guideline
# (not read from our data file): MME = dose x factor; fentanyl in mcg/h -> MME/day.
CDC_2022_FACTORS = {
    ("codeine", "oral"): "0.15", ("fentanyl", "transdermal"): "2.4",
    ("hydrocodone", "oral"): "1", ("hydromorphone", "oral"): "5",
    ("methadone", "oral"): "4.7", ("morphine", "oral"): "1", ("oxycodone", "oral"): "1.5",
    ("oxymorphone", "oral"): "3", ("tapentadol", "oral"): "0.4", ("tramadol", "oral"): "0.2",
}


def test_the_table_holds_exactly_the_published_factors():
    found = {(d.code, r.route): r.mme_factor for d in CDC.drugs for r in d.routes.values()
             if r.mme_factor is not None}
    assert found == {k: Decimal(v) for k, v in CDC_2022_FACTORS.items()}
    assert "Dowell D" in CDC.citation and "RR-3" in CDC.citation and CDC.id == "cdc-2022"


@pytest.mark.parametrize(
    ("drug", "dose", "expected"),
    [
        ("oxycodone", 10, "15"),         # 10 x 1.5
        ("tramadol", 50, "10"),          # 50 x 0.2
        ("codeine", 30, "4.5"),          # 30 x 0.15
        ("methadone", 10, "47"),         # 10 x 4.7
        ("morphine", 30, "30"),          # 30 x 1
        ("hydrocodone", 10, "10"),       # 10 x 1
        ("hydromorphone", 4, "20"),      # 4 x 5
        ("oxymorphone", 10, "30"),       # 10 x 3
        ("tapentadol", 50, "20"),        # 50 x 0.4
        ("codeine", "7.5", "1.125"),     # 7.5 x 0.15, exact in decimals
    ],
)
def test_oral_opioid_mme_is_dose_times_the_cdc_factor(drug, dose, expected):
    r = mme(normalise_intake(drug, dose, "mg", "oral"), CDC)
    assert (r.value, r.reason, r.per_day) == (Decimal(expected), None, (Decimal(expected),))


def test_a_25_mcg_per_hour_fentanyl_patch_counts_60_mme_on_each_of_its_three_days():
    patch = normalise_intake("fentanyl", 25, "mcg/h", "transdermal")
    assert patch.worn_hours == 72                                  # the table's default
    r = mme(patch, CDC)
    assert r.per_day == (Decimal(60),) * 3                         # 25 x 2.4 per wear day
    assert r.value == Decimal(25) * Decimal("2.4") * 72 / 24       # 180
    assert r.days(10) == [(10, 60), (11, 60), (12, 60)]


def test_a_patch_removed_early_counts_its_last_partial_day_pro_rata():
    r = mme(normalise_intake("fentanyl", 50, "mcg/hr", "patch", worn_hours=30), CDC)
    assert r.per_day == (Decimal(120), Decimal(120) * 6 / 24)      # 50 x 2.4; 6 h of day 2
    assert r.value == Decimal(150)


def test_buprenorphine_is_recorded_but_has_no_mme_and_says_why():
    for dose, unit, route in [(10, "mcg/h", "transdermal"), (2, "mg", "sublingual"),
                              (150, "mcg", "buccal")]:
        intake = normalise_intake("buprenorphine", dose, unit, route)
        r = mme(intake, CDC)
        assert r.value is None and r.per_day == () and r.factor is None
        assert "no MME factor in CDC 2022" in r.reason and "partial" in r.reason
        assert r.days(3) == [(3, None)]


def test_non_oral_routes_without_a_cdc_factor_have_no_mme():
    r = mme(normalise_intake("morphine", 5, "mg", "IV"), CDC)
    assert r.value is None
    assert r.reason == "CDC 2022 gives factors for oral opioids and the fentanyl patch only"


@pytest.mark.parametrize("drug", ["paracetamol", "ibuprofen", "gabapentin", "pregabalin",
                                  "amitriptyline", "duloxetine", "naproxen", "diclofenac",
                                  "ketorolac"])
def test_non_opioids_count_zero_mme(drug):
    r = mme(normalise_intake(drug, 10, "mg", "oral"), CDC)
    assert (r.value, r.reason, r.per_day) == (0, None, (0,))


@pytest.mark.parametrize(
    ("dose", "unit", "mg"),
    [("0.01", "g", "10"), ("0.0075", "g", "7.5"), ("7.5", "MG", "7.5"), (7.5, "mg", "7.5")],
)
def test_grams_convert_exactly_to_mg(dose, unit, mg):
    intake = normalise_intake("oxycodone", dose, unit, "oral")
    assert (intake.dose, intake.unit) == (Decimal(mg), "mg")
    assert mme(intake, CDC).value == Decimal(mg) * Decimal("1.5")


@pytest.mark.parametrize(("dose", "unit"), [(500, "mcg"), (500, "µg"), (500, "ug"),
                                             ("0.5", "mg")])
def test_micrograms_convert_exactly_to_mg(dose, unit):
    intake = normalise_intake("hydromorphone", dose, unit, "intravenous")
    assert (intake.dose, intake.unit) == (Decimal("0.5"), "mg")


def test_milligrams_convert_to_micrograms_where_mcg_is_the_unit():
    intake = normalise_intake("fentanyl", "0.1", "mg", "iv")
    assert (intake.dose, intake.unit) == (Decimal(100), "mcg")


def test_paracetamol_one_gram_is_stored_as_1000_mg():
    i = normalise_intake("paracetamol", 1, "g", "oral")
    assert (i.dose, i.unit, str(i.dose)) == (Decimal(1000), "mg", "1000")


@pytest.mark.parametrize("name", ["acetaminophen", "Acetaminophen", "APAP", " paracetamol "])
def test_acetaminophen_and_paracetamol_are_one_drug(name):
    assert normalise_intake(name, 500, "mg", "oral").drug == "paracetamol"


@pytest.mark.parametrize("name", ["morphine sulfate", "Morphine  Sulphate"])
def test_salt_names_find_the_drug(name):
    assert normalise_intake(name, 10, "mg", "po").drug == "morphine"


def test_an_intake_checked_against_another_table_is_refused():
    intake = normalise_intake("oxycodone", 10, "mg", "oral")
    other = type(CDC)("other-1", "t", "c", None, CDC.drugs)
    with pytest.raises(ValueError, match="checked against table 'cdc-2022', not 'other-1'"):
        mme(intake, other)


# ---- properties ------------------------------------------------------------------------

ORAL = sorted(d for (d, route) in CDC_2022_FACTORS if route == "oral")
doses = st.decimals(min_value=Decimal("0.1"), max_value=Decimal(40), places=1)


@settings(deadline=None, max_examples=200)
@given(st.lists(st.tuples(st.sampled_from(ORAL), doses), min_size=1, max_size=10))
def test_total_mme_is_additive_over_intakes(intakes):
    total = sum((mme(normalise_intake(d, x, "mg", "oral"), CDC).value for d, x in intakes),
                Decimal(0))
    assert total == sum((x * Decimal(CDC_2022_FACTORS[d, "oral"]) for d, x in intakes),
                        Decimal(0))


@settings(deadline=None, max_examples=200)
@given(st.sampled_from(ORAL), st.decimals(min_value=Decimal("0.1"), max_value=Decimal(20),
                                          places=1), st.integers(min_value=1, max_value=3))
def test_scaling_the_dose_scales_the_mme(drug, dose, k):
    one = mme(normalise_intake(drug, dose, "mg", "oral"), CDC).value
    assert mme(normalise_intake(drug, dose * k, "mg", "oral"), CDC).value == one * k


@settings(deadline=None, max_examples=100)
@given(st.integers(min_value=1, max_value=300), st.integers(min_value=1, max_value=96))
def test_a_patch_delivers_rate_times_factor_per_24_hours_worn(rate, hours):
    r = mme(normalise_intake("fentanyl", rate, "mcg/h", "transdermal", worn_hours=hours), CDC)
    assert r.value == Decimal(rate) * Decimal("2.4") * hours / 24
    assert sum(r.per_day) == r.value and len(r.per_day) == -(-hours // 24)
