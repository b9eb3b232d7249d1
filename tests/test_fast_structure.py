"""The generated fast-path structuring functions give exactly what cattrs' own functions give."""

from __future__ import annotations

import copy
import random
from typing import Any

import pytest

from plugchoice_async import _converter
from plugchoice_async._fast_structure import can_generate, make_fast_structure_fn
from plugchoice_async.models import Charger, ChargerLicenses, User
from plugchoice_async.testing import PlugchoiceEmulator
from tests.conftest import load_fixture


def _fast(data: Any, cls: type[Any]) -> Any:
    return _converter.fast.get_structure_hook(cls)(data, cls)


def _reference(data: Any, cls: type[Any]) -> Any:
    return _converter.detailed.structure(data, cls)


def test_fast_converter_uses_generated_functions() -> None:
    hook = _converter.fast.get_structure_hook(Charger)
    assert "plugchoice_async fast structure" in hook.__code__.co_filename
    assert "cattrs generated" in _converter.detailed.get_structure_hook(Charger).__code__.co_filename


async def test_generated_fleet_equal_on_both_paths() -> None:
    async with PlugchoiceEmulator(chargers=300, seed=5, rate_limit=None) as emu:
        docs = [emu.chargers[u] for u in emu.uuids]
    rng = random.Random(3)
    for doc in docs:
        variant = copy.deepcopy(doc)
        # drop optional keys at random: absent must mean the default on both paths
        for key in ("pincode", "model_id", "parsed_firmware_version", "reference", "last_heartbeat_at", "model"):
            if rng.random() < 0.4:
                variant.pop(key, None)
        assert _fast(variant, Charger) == _reference(variant, Charger)


@pytest.mark.parametrize(
    ("mutate", "error"),
    [
        (lambda d: d.pop("uuid"), KeyError),
        (lambda d: d.update(created_at=12), TypeError),
        (lambda d: d.update(created_at="not a date"), ValueError),
        (lambda d: d.update(connectors=None), TypeError),
        (lambda d: d["connectors"][0].update(status=5), TypeError),
        (lambda d: d.update(licenses="yes"), Exception),
    ],
)
def test_invalid_input_fails_on_both_paths(mutate: Any, error: type[Exception]) -> None:
    data = copy.deepcopy(load_fixture("chargers.get.volttime.json")["data"])
    mutate(data)
    with pytest.raises(error):
        _fast(data, Charger)
    with pytest.raises(Exception):  # noqa: B017, PT011 - cattrs wraps it; only that it fails matters
        _reference(data, Charger)
    with pytest.raises(_converter.StructureError):
        _converter.structure(data, Charger)


def test_null_scalars_and_coercions_match() -> None:
    data = copy.deepcopy(load_fixture("chargers.get.volttime.json")["data"])
    data.update(id="17", max_current=16, blocked=0, status="NewStatus", created_at="2026-01-10T01:14:32")
    fast = _fast(data, Charger)
    assert fast == _reference(data, Charger)
    assert fast.id == 17
    assert fast.max_current == 16.0
    assert type(fast.max_current) is float
    assert fast.blocked is False
    assert fast.created_at.tzinfo is not None  # naive timestamps are UTC


def test_small_value_objects_are_shared() -> None:
    data = load_fixture("chargers.get.volttime.json")
    a, b = _fast(data["data"], Charger), _fast(copy.deepcopy(data["data"]), Charger)
    assert a.licenses is b.licenses
    assert a.licenses == ChargerLicenses(smart=False, pro=False)
    assert a.connectors[0] is not b.connectors[0]  # objects with timestamps are not shared


def test_generator_refuses_classes_it_cannot_reproduce() -> None:
    import attrs

    @attrs.frozen
    class WithFactory:
        items: list[int] = attrs.field(factory=list)

    @attrs.frozen
    class WithAlias:
        value: int = attrs.field(alias="other")

    assert can_generate(User)
    assert not can_generate(WithFactory)
    assert not can_generate(WithAlias)
    assert not can_generate(dict)
    fn = make_fast_structure_fn(User, _converter.fast)
    user = fn(load_fixture("user.get.volttime.json"), User)
    assert user == _reference(load_fixture("user.get.volttime.json"), User)
