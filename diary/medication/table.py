"""Versioned drug catalogue and MME conversion table, read from packaged YAML.

A table (``tables/<version>.yaml``) lists each drug with its names, class (opioid or
non-opioid) and, per allowed route, the allowed units, the largest plausible single dose
and the MME conversion factor (or why there is none).  The shipped version ``cdc-2022``
cites Dowell et al., MMWR Recomm Rep 2022;71(RR-3), Table 1.  A study pins a version
by id; versions are files, so a new source never changes values already derived.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from importlib import resources
from typing import Any

import yaml

from diary.medication.vocabulary import RATE, ROUTES, UNITS, dimension

__all__ = [
    "DEFAULT_TABLE",
    "NON_OPIOID",
    "OPIOID",
    "ConversionTable",
    "Drug",
    "RouteRule",
    "TableError",
    "available_tables",
    "load_table",
]

DEFAULT_TABLE = "cdc-2022"
OPIOID, NON_OPIOID = "opioid", "non-opioid"
_VERSION = re.compile(r"^[a-z0-9][a-z0-9.-]{0,40}$")
_CODE = re.compile(r"^[a-z][a-z0-9_]{0,40}$")


class TableError(ValueError):
    """A conversion table file breaks a rule; the message names the path in the file."""


@dataclass(frozen=True, slots=True)
class RouteRule:
    """How one drug may be recorded by one route.

    ``units[0]`` is the canonical unit: doses are stored and ``max_dose`` is given in it.
    ``mme_factor`` converts a canonical dose to MME (for a rate in mcg/h: MME per day
    of wear); ``None`` with ``no_mme`` saying why (non-opioids have neither).
    """

    route: str
    units: tuple[str, ...]
    max_dose: Decimal
    mme_factor: Decimal | None = None
    no_mme: str | None = None
    default_wear_hours: int | None = None
    max_wear_hours: int | None = None

    @property
    def unit(self) -> str:
        return self.units[0]

    @property
    def is_patch(self) -> bool:
        return dimension(self.unit) == RATE


@dataclass(frozen=True, slots=True)
class Drug:
    """A catalogue entry: code, display names (synonyms), class and allowed routes."""

    code: str
    names: tuple[str, ...]
    drug_class: str
    routes: Mapping[str, RouteRule]

    @property
    def is_opioid(self) -> bool:
        return self.drug_class == OPIOID


@dataclass(frozen=True)
class ConversionTable:
    """One version of the catalogue; look drugs up by code or any name."""

    id: str
    title: str
    citation: str
    url: str | None
    drugs: tuple[Drug, ...]

    def __post_init__(self) -> None:
        index: dict[str, Drug] = {}
        for d in self.drugs:
            for name in (d.code, *d.names):
                other = index.setdefault(name, d)
                if other is not d:
                    raise TableError(f"{self.id}: name {name!r} is used by {other.code} "
                                     f"and {d.code}")
        object.__setattr__(self, "_index", index)

    def find(self, name: str) -> Drug | None:
        """The drug with this code or name (case and spacing ignored), or ``None``."""
        return self._index.get(" ".join(str(name).lower().split()))

    def names(self) -> list[str]:
        """Every code and name, sorted (for suggestions and forms)."""
        return sorted(self._index)


def available_tables() -> list[str]:
    """Versions shipped with the package (file names without ``.yaml``)."""
    folder = resources.files("diary.medication").joinpath("tables")
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir()
                  if p.name.endswith(".yaml"))


@functools.lru_cache(maxsize=8)
def load_table(version: str = DEFAULT_TABLE) -> ConversionTable:
    """Read and validate the packaged table *version*.

    Raises
    ------
    ValueError
        For an unknown version (listing the shipped ones).
    TableError
        For a table file that breaks a rule (path in the file and the rule).

    Examples
    --------
    >>> t = load_table("cdc-2022")
    >>> t.find("Acetaminophen").code, t.find("oxycodone").routes["oral"].mme_factor
    ('paracetamol', Decimal('1.5'))
    """
    if not isinstance(version, str) or not _VERSION.fullmatch(version):
        raise ValueError(f"table version must look like cdc-2022, got {version!r}")
    path = resources.files("diary.medication").joinpath("tables", f"{version}.yaml")
    if not path.is_file():
        raise ValueError(f"unknown conversion table {version!r} "
                         f"(shipped: {', '.join(available_tables())})")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return parse_table(data, version)


def parse_table(data: Any, version: str) -> ConversionTable:
    """Build a :class:`ConversionTable` from parsed YAML; *version* must equal its ``id``."""
    if not isinstance(data, dict):
        raise TableError(f"{version}: must be a mapping")
    if data.get("id") != version:
        raise TableError(f"{version}.id: must equal the file name, got {data.get('id')!r}")
    for field in ("title", "citation"):
        if not isinstance(data.get(field), str) or not data[field].strip():
            raise TableError(f"{version}.{field}: is required text")
    drugs = data.get("drugs")
    if not isinstance(drugs, list) or not drugs:
        raise TableError(f"{version}.drugs: must be a non-empty list")
    parsed = tuple(_drug(d, f"{version}.drugs[{i}]") for i, d in enumerate(drugs))
    return ConversionTable(version, data["title"], " ".join(data["citation"].split()),
                           data.get("url"), parsed)


def _drug(d: Any, at: str) -> Drug:
    if not isinstance(d, dict):
        raise TableError(f"{at}: must be a mapping")
    code = d.get("code")
    if not isinstance(code, str) or not _CODE.fullmatch(code):
        raise TableError(f"{at}.code: must match {_CODE.pattern}, got {code!r}")
    names = d.get("names", [])
    if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
        raise TableError(f"{at}.names: must be a list of names")
    klass = d.get("class")
    if klass not in (OPIOID, NON_OPIOID):
        raise TableError(f"{at}.class: must be {OPIOID} or {NON_OPIOID}, got {klass!r}")
    routes = d.get("routes")
    if not isinstance(routes, dict) or not routes:
        raise TableError(f"{at}.routes: must be a non-empty mapping")
    rules = {r: _route(r, spec, klass, f"{at}.routes.{r}") for r, spec in routes.items()}
    norm = tuple(dict.fromkeys(" ".join(n.lower().split()) for n in names))
    return Drug(code, norm, klass, rules)


def _decimal(v: Any, at: str) -> Decimal:
    if isinstance(v, bool) or not isinstance(v, int | float | str):
        raise TableError(f"{at}: must be a number, got {v!r}")
    try:
        x = Decimal(str(v))
    except InvalidOperation:
        raise TableError(f"{at}: must be a number, got {v!r}") from None
    if not x.is_finite() or x <= 0:
        raise TableError(f"{at}: must be > 0, got {v!r}")
    return x


def _route(route: Any, spec: Any, klass: str, at: str) -> RouteRule:
    if route not in ROUTES:
        raise TableError(f"{at}: unknown route (known: {', '.join(ROUTES)})")
    if not isinstance(spec, dict):
        raise TableError(f"{at}: must be a mapping")
    allowed = {"units", "max_dose", "mme_factor", "no_mme", "default_wear_hours",
               "max_wear_hours"}
    if unknown := sorted(set(spec) - allowed):
        raise TableError(f"{at}.{unknown[0]}: unknown field")
    units = spec.get("units")
    if not isinstance(units, list) or not units or any(u not in UNITS for u in units):
        raise TableError(f"{at}.units: must list unit codes from {', '.join(UNITS)}")
    if len({dimension(u) for u in units}) != 1:
        raise TableError(f"{at}.units: must all be masses or all rates")
    # A patch is dosed as a delivery rate; every other route as a mass per dose.
    if (route == "transdermal") != (dimension(units[0]) == RATE):
        raise TableError(f"{at}.units: transdermal takes mcg/h, other routes mass units")
    factor = spec.get("mme_factor")
    factor = None if factor is None else _decimal(factor, f"{at}.mme_factor")
    no_mme = spec.get("no_mme")
    if klass == NON_OPIOID and (factor is not None or no_mme is not None):
        raise TableError(f"{at}: a non-opioid has no mme_factor or no_mme")
    if klass == OPIOID and (factor is None) == (no_mme is None):
        raise TableError(f"{at}: an opioid route needs exactly one of mme_factor, no_mme")
    wear = [spec.get(k) for k in ("default_wear_hours", "max_wear_hours")]
    if route == "transdermal":
        if any(isinstance(w, bool) or not isinstance(w, int) or w <= 0 for w in wear):
            raise TableError(f"{at}: a patch needs default_wear_hours and max_wear_hours "
                             "(positive integers)")
        if wear[0] > wear[1]:
            raise TableError(f"{at}.default_wear_hours: must be <= max_wear_hours")
    elif any(w is not None for w in wear):
        raise TableError(f"{at}: wear hours apply to transdermal routes only")
    return RouteRule(route, tuple(units), _decimal(spec.get("max_dose"), f"{at}.max_dose"),
                     factor, no_mme, *wear)
