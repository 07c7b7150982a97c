"""The simulations' output process (simulation/worker.py) is forked from this one: what
it would load for XLSX, XPORT and figures is loaded here once, so the many short runs of
these tests do not load (and, without bytecode, compile) pandas and matplotlib again in
each worker."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session", autouse=True)
def _output_libraries_loaded_once():
    from simulation.worker import _preload

    _preload()
