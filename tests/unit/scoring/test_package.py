"""``scoring`` resolves its public names on first use (PEP 562), so that importing one
submodule (the app imports ``scoring.instruments`` at start-up) does not load numpy and
every kind: each name in ``__all__`` must still resolve, to its module's object."""

from __future__ import annotations

import importlib

import pytest

import scoring


def test_every_public_name_has_one_source_module():
    assert sorted(scoring.__all__) == sorted(scoring._MODULE_OF)


@pytest.mark.parametrize("name", scoring.__all__)
def test_a_public_name_is_the_object_of_its_module(name):
    module = importlib.import_module(f"scoring.{scoring._MODULE_OF[name]}")
    assert getattr(scoring, name) is getattr(module, name)
    assert name in dir(scoring)


def test_kinds_holds_the_built_in_kinds_when_read_from_the_package():
    assert {"auc", "baseline", "compliance", "timepoint", "weekly"} <= set(scoring.KINDS)


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        scoring.nope  # noqa: B018


@pytest.mark.parametrize("name", ["auc", "baseline", "compliance"])
def test_a_function_named_like_its_module_stays_the_function_after_the_module_is_imported(
        name):
    module = importlib.import_module(f"scoring.{name}")
    assert getattr(scoring, name) is getattr(module, name)
