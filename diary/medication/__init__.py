"""The medication diary's pure rules: drug catalogue, dose checks, MME (issue 6).

No database, no Flask: the only I/O is reading the packaged conversion table
(``tables/<version>.yaml``, via importlib.resources).  It lives in ``diary`` and not in
``scoring`` because it checks what is recorded (refusing unknown drugs and impossible
doses on receipt, like the diary's other input rules) and reads a data file, which
``scoring`` never does; the endpoint kinds in :mod:`scoring.medication_kind` read the
per-day MME this package derives, so ``scoring`` still imports nothing from ``diary``.
"""

from diary.medication.intake import Intake, IntakeError, normalise_intake
from diary.medication.mme import Mme, diary_rows, mme
from diary.medication.table import (
    DEFAULT_TABLE,
    ConversionTable,
    Drug,
    RouteRule,
    TableError,
    available_tables,
    load_table,
)

__all__ = [
    "DEFAULT_TABLE",
    "ConversionTable",
    "Drug",
    "Intake",
    "IntakeError",
    "Mme",
    "RouteRule",
    "TableError",
    "available_tables",
    "diary_rows",
    "load_table",
    "mme",
    "normalise_intake",
]
