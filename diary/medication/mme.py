"""Morphine milligram equivalents of one intake, and how a patch spreads over days.

MME = canonical dose x the table's factor (CDC 2022: "multiply the dose for each opioid
by the conversion factor"; doses in mg, transdermal fentanyl in mcg/h giving MME per
day).  Non-opioids count 0 MME.  An opioid without a factor for its route
(buprenorphine; non-oral routes in cdc-2022) has no value and keeps the table's reason,
so an MME total over a window can say why it is missing instead of under-counting.

Patches (decision, documented here once): a patch application counts for each 24-hour
*wear day* from its application, attributed to diary day ``application day + k``; a
full wear day counts ``rate x factor`` MME, the last partial one its share of 24 h.  A
72-hour 25 mcg/h fentanyl patch thus gives 60 MME on its day and on each of the two next
days (180 MME in all = 25 x 2.4 x 72 / 24).  Removing it early is a correction of
``worn_hours``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from diary.medication.intake import Intake
from diary.medication.table import ConversionTable
from diary.medication.vocabulary import plain

__all__ = ["Mme", "diary_rows", "mme"]

_DAY_HOURS = 24


@dataclass(frozen=True, slots=True)
class Mme:
    """MME of one intake, or ``None`` with the reason.

    ``value`` is the total (a patch: over its whole wear); ``per_day[k]`` the part
    counted on diary day ``intake day + k`` (one item for a dose taken at once).
    ``daily`` is a patch's MME per full wear day (rate x factor), ``None`` otherwise: a
    72-hour patch reads 60 a day, not its 180 in all.
    """

    value: Decimal | None
    reason: str | None
    per_day: tuple[Decimal, ...]
    factor: Decimal | None
    table: str
    daily: Decimal | None = None

    def days(self, day: int) -> list[tuple[int, Decimal | None]]:
        """``(study day, MME)`` rows for an intake recorded on study day *day*.

        Examples
        --------
        >>> from diary.medication.intake import normalise_intake
        >>> from diary.medication.table import load_table
        >>> patch = normalise_intake("fentanyl", 25, "mcg/h", "transdermal", worn_hours=60)
        >>> mme(patch, load_table()).days(4)        # 25 x 2.4 = 60 per full day; 12 h = 30
        [(4, Decimal('60')), (5, Decimal('60')), (6, Decimal('30'))]
        """
        if self.value is None:
            return [(day, None)]
        return [(day + k, v) for k, v in enumerate(self.per_day)]


def mme(intake: Intake, table: ConversionTable) -> Mme:
    """The MME of *intake* by the factors of *table* (the version it was checked with).

    Examples
    --------
    >>> from diary.medication.intake import normalise_intake
    >>> from diary.medication.table import load_table
    >>> t = load_table("cdc-2022")
    >>> mme(normalise_intake("oxycodone", 10, "mg", "oral"), t).value       # 10 x 1.5
    Decimal('15')
    >>> mme(normalise_intake("ibuprofen", 400, "mg", "oral"), t).value
    Decimal('0')
    >>> p = mme(normalise_intake("fentanyl", 25, "mcg/h", "transdermal", worn_hours=72), t)
    >>> p.value, p.daily                            # 180 over the wear, 60 a day
    (Decimal('180'), Decimal('60'))
    >>> mme(normalise_intake("buprenorphine", 10, "mcg/h", "patch"), t).reason
    'buprenorphine has no MME factor in CDC 2022 (partial mu-opioid agonist; not in its \
conversion table)'
    """
    if intake.table != table.id:
        raise ValueError(f"intake was checked against table {intake.table!r}, not "
                         f"{table.id!r}; normalise it again with the study's table")
    drug = table.find(intake.drug)
    if drug is None or intake.route not in drug.routes:
        raise ValueError(f"{intake.drug} {intake.route} is not in table {table.id}")
    rule = drug.routes[intake.route]
    if not drug.is_opioid:
        return Mme(Decimal(0), None, (Decimal(0),), None, table.id)
    if rule.mme_factor is None:
        return Mme(None, rule.no_mme, (), None, table.id)
    per_dose = plain(intake.dose * rule.mme_factor)
    if not rule.is_patch:
        return Mme(per_dose, None, (per_dose,), rule.mme_factor, table.id)
    full, rest = divmod(intake.worn_hours, _DAY_HOURS)
    per_day = (per_dose,) * full + ((plain(per_dose * rest / _DAY_HOURS),) if rest else ())
    return Mme(plain(sum(per_day, Decimal(0))), None, per_day, rule.mme_factor, table.id,
               daily=per_dose)


def diary_rows(
    result: Mme, *, day: int, rescue: bool, entry_id: str
) -> list[tuple[int, Decimal | None, bool, str, str | None]]:
    """Rows of one intake for ``scoring.medication_kind.MedicationDays.from_rows``.

    ``(study day, MME, rescue, entry id, why no MME)``: one row per day the intake
    counts on.  A patch's rescue flag stays on its application day only, so
    ``rescue_days`` counts the day a dose was taken, not the days a patch is worn.

    Examples
    --------
    >>> from diary.medication.intake import normalise_intake
    >>> from diary.medication.table import load_table
    >>> t = load_table()
    >>> diary_rows(mme(normalise_intake("fentanyl", 25, "mcg/h", "td", worn_hours=48), t),
    ...            day=0, rescue=True, entry_id="i7")
    [(0, Decimal('60'), True, 'i7', None), (1, Decimal('60'), False, 'i7', None)]
    >>> diary_rows(mme(normalise_intake("buprenorphine", 2, "mg", "sl"), t), day=3,
    ...            rescue=False, entry_id="i8")[0][1:3]
    (None, False)
    """
    return [(d, v, rescue and k == 0, entry_id, result.reason)
            for k, (d, v) in enumerate(result.days(day))]
