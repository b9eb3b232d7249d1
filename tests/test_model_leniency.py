"""The model leniency rule (issue 10, item 4): identity fields are required, every other field is None when absent.

See the docstring of ``plugchoice_async.models``. A fleet poll over listings whose items lack optional fields
succeeds; an item without its uuid fails naming it; and removing any optional key from any published example
(the real ones, the documented ones made readable, the parts of the public charging answers, and the items the
docs print as ``{}``), or all of them at once, still reads, while removing an identity key never does. Every
model read from the wire is in some example, so no model escapes the rule.
"""

from __future__ import annotations

import copy
import re
import types
import typing
from typing import Any

import attrs
import pytest
from aioresponses import aioresponses
from hypothesis import given, settings
from hypothesis import strategies as st

from plugchoice_async import ResponseValidationError, _converter, models
from plugchoice_async.models import (
    BulkCommandRun,
    Charger,
    ChargingProfile,
    PowerManagement,
    PublicCharger,
    PublicChargingPayment,
    PublicChargingSession,
    PublicChargingStart,
    PublicChargingState,
    SiteInviteResult,
    TeamCharger,
)
from tests.conftest import load_fixture, make_client
from tests.test_models_api import DOCS, PAGE_KEYS, VOLTTIME, _answers

BASE = "https://api.test/api/v3"
TEAM = "7e0b1a52-0000-4000-8000-00000000000a"
UUIDS = [f"3f2b6c1e-0000-4000-8000-{n:012d}" for n in range(1, 5)]
TS = "2026-01-10T01:14:32.000000Z"
UNIONS = (typing.Union, types.UnionType)

Path = tuple[Any, ...]
T = typing.TypeVar("T")


# -- a fleet poll over sparse listings ----------------------------------------------------------------------


def listed(n: int, **extra: Any) -> dict[str, Any]:
    """A ``GET /chargers`` item with nothing but its identity (and ``extra``)."""
    return {"uuid": UUIDS[n], "id": n + 1, "identity": f"CP-{n + 1:03d}", **extra}


def team_item(n: int, **extra: Any) -> dict[str, Any]:
    """A ``GET /teams/{t}/chargers`` item with nothing but its identity (and ``extra``)."""
    return {"uuid": UUIDS[n], "identity": f"CP-{n + 1:03d}", **extra}


def mock_listings(mocked: aioresponses, chargers: list[dict[str, Any]], team: list[dict[str, Any]]) -> None:
    mocked.get(re.compile(rf"{re.escape(BASE)}/teams(\?.*)?$"), payload={"data": [{"uuid": TEAM}]}, repeat=True)
    mocked.get(re.compile(rf"{re.escape(BASE)}/chargers\?.*"), payload={"data": chargers}, repeat=True)
    mocked.get(
        re.compile(rf"{re.escape(BASE)}/teams/{TEAM}/chargers.*"),
        payload={"data": team, "next_page_url": None, "per_page": 100},
        repeat=True,
    )


async def test_a_fleet_poll_reads_items_without_their_optional_fields() -> None:
    chargers = [
        listed(0),  # no status, error, connection_status, reference, timestamps, licenses, permissions
        listed(1, status="Charging", connection_status="online", reference=None),
        listed(2, error="NoError"),
        listed(3, connection_status="offline"),
    ]
    team = [
        team_item(0),  # no connectors, status, connection_status, licenses, site
        team_item(
            1, status="Charging", connection_status="online", connectors={"data": [{"id": 9, "connector_id": 1}]}
        ),
        team_item(2, connectors={"data": []}),
        team_item(3, connectors={"data": [{"id": 11, "connector_id": 1, "status": "Available"}]}),
    ]
    with aioresponses() as mocked:
        mock_listings(mocked, chargers, team)
        async with make_client(BASE) as client:
            snapshot = await client.fleet.snapshot()
            team_snapshot = await client.fleet.snapshot(TEAM)
    assert set(snapshot.chargers) == set(UUIDS) == set(team_snapshot.chargers)
    bare = snapshot.chargers[UUIDS[0]]
    assert (bare.status, bare.error, bare.connection_status, bare.reference, bare.connectors) == (
        None,
        None,
        None,
        None,
        (),
    )
    assert snapshot.chargers[UUIDS[1]].connectors[0].status is None  # a connector without its status
    assert snapshot.chargers[UUIDS[2]].error == "NoError"
    assert snapshot.by_status == {"(none)": 3, "Charging": 1}
    assert snapshot.by_connection_status == {"(none)": 3, "online": 1}  # the team listing's word counts


@pytest.mark.parametrize(
    ("listing", "missing", "where"),
    [
        ("chargers", "uuid", r"\$\[1\]\.uuid"),
        ("chargers", "identity", r"\$\[1\]\.identity"),
        ("team", "uuid", r"\$\[1\]\.uuid"),
        ("team", "identity", r"\$\[1\]\.identity"),
    ],
)
async def test_a_fleet_poll_fails_on_an_item_without_its_identity(listing: str, missing: str, where: str) -> None:
    chargers = [listed(n) for n in range(4)]
    team = [team_item(n) for n in range(4)]
    del (chargers if listing == "chargers" else team)[1][missing]
    with aioresponses() as mocked:
        mock_listings(mocked, chargers, team)
        async with make_client(BASE) as client:
            with pytest.raises(ResponseValidationError, match=rf"required key missing @ {where}") as info:
                await client.fleet.snapshot()
    assert missing in str(info.value)


def test_identity_is_all_a_listing_item_needs() -> None:
    charger = _converter.structure(listed(0), Charger)
    assert (charger.uuid, charger.id, charger.identity) == (UUIDS[0], 1, "CP-001")
    assert charger.licenses is None and charger.permissions is None and charger.connectors == ()
    item = _converter.structure(team_item(0), TeamCharger)
    assert item.licenses is None and item.connectors == () and item.connection_status is None
    with pytest.raises(_converter.StructureError, match=r"required key missing @ \$\.id"):
        _converter.structure({"uuid": UUIDS[0], "identity": "CP"}, Charger)


# -- every published example, any optional key removed -------------------------------------------------------


def _inner(tp: Any) -> Any:
    """The type a value of ``tp`` is read as: Optional and Annotated taken off."""
    while True:
        origin, args = typing.get_origin(tp), typing.get_args(tp)
        if origin is typing.Annotated:
            tp = args[0]
        elif origin in UNIONS:
            rest = [a for a in args if a is not type(None)]
            classes = [a for a in rest if attrs.has(a) or typing.get_origin(a) is tuple]
            tp = classes[0] if classes else rest[0]
        else:
            return tp


def keys(doc: Any, cls: type[Any], path: Path = (), *, ocpp: bool = False) -> list[tuple[Path, bool]]:
    """Every key of ``doc`` read as ``cls``: ``(path, optional)``; optional = every attribute read from it has a
    default."""
    if not isinstance(doc, dict):
        return []
    ocpp = ocpp or cls in _converter._OCPP_ANSWERS
    hints = typing.get_type_hints(cls, include_extras=True)
    rules = _converter._FIELD_RULES.get(cls, {})
    names = _converter.wire_names(cls, ocpp=ocpp)
    optional: dict[str, bool] = {}
    for field in attrs.fields(cls):
        wire = names[field.name]
        optional[wire] = optional.get(wire, True) and field.default is not attrs.NOTHING
    found: list[tuple[Path, bool]] = []
    for field in attrs.fields(cls):
        wire = names[field.name]
        if wire not in doc or any(p == (*path, wire) for p, _ in found):
            continue
        found.append(((*path, wire), optional[wire]))
        value, tp = doc[wire], _inner(hints[field.name])
        rule = rules.get(field.name)
        if rule is not None and rule.enveloped and isinstance(value, dict):
            value, path_in = value.get("data"), (*path, wire, "data")
        else:
            path_in = (*path, wire)
        if typing.get_origin(tp) is tuple and isinstance(value, list):
            item = _inner(typing.get_args(tp)[0])
            if attrs.has(item):
                for index, element in enumerate(value):
                    found += keys(element, item, (*path_in, index), ocpp=ocpp)
        elif attrs.has(tp):
            found += keys(value, tp, path_in, ocpp=ocpp)
    return found


def without(doc: Any, path: Path) -> Any:
    copied = copy.deepcopy(doc)
    parent = copied
    for step in path[:-1]:
        parent = parent[step]
    del parent[path[-1]]
    return copied


#: Values tried, in order, for a docs placeholder ``"<string>"`` that its field cannot read as it is.
PLACEHOLDER_VALUES = (TS, "08:00", "7.00", "{}")

#: The parts of the public charging answers (enveloped beside ``session_token`` and ``payment``).
PUBLIC_PARTS: list[tuple[str, str, type[Any]]] = [
    ("public-charging.get-charger.docs.json", "data", PublicCharger),
    *[
        (f"public-charging.{action}.docs.json", part, cls)
        for action in ("start-session", "get-session", "confirm-payment", "stop-session", "cancel-session")
        for part, cls in (("data", PublicChargingSession), ("payment", PublicChargingPayment))
    ],
]


def filled(doc: Any, cls: type[Any], *, ocpp: bool = False) -> Any:
    """A docs example (placeholder values) made readable as ``cls``.

    A ``"<string>"`` its field cannot read becomes the first of ``PLACEHOLDER_VALUES`` it can (a
    timestamp, a time of day, a number as text, JSON text); ``{}`` items of an array of models are
    the docs' "some item" and are left out. Everything else is kept, so every key stays.
    """
    if not isinstance(doc, dict):
        return doc
    ocpp = ocpp or cls in _converter._OCPP_ANSWERS
    hints = typing.get_type_hints(cls, include_extras=True)
    names = _converter.wire_names(cls, ocpp=ocpp)
    rules = _converter._FIELD_RULES.get(cls, {})
    out = dict(doc)
    for field in attrs.fields(cls):
        wire = names[field.name]
        if wire not in doc or (field.name in rules and rules[field.name].raw_text):
            continue
        value, tp = doc[wire], _inner(hints[field.name])
        rule = rules.get(field.name)
        if rule is not None and rule.enveloped and isinstance(value, dict):
            out[wire] = {**value, "data": filled_items(value.get("data"), tp, ocpp=ocpp)}
        elif typing.get_origin(tp) is tuple:
            out[wire] = filled_items(value, tp, ocpp=ocpp)
        elif attrs.has(tp):
            out[wire] = filled(value, tp, ocpp=ocpp)
        elif value == "<string>":
            read = _converter._production.rule(hints[field.name], ocpp=ocpp).read
            out[wire] = next((c for c in (value, *PLACEHOLDER_VALUES) if _reads(read, c)), value)
    return out


def filled_items(value: Any, tp: Any, *, ocpp: bool) -> Any:
    item = _inner(typing.get_args(tp)[0])
    if not isinstance(value, list) or not attrs.has(item):
        return value
    return [filled(element, item, ocpp=ocpp) for element in value if element != {}]


def _reads(read: Any, value: Any) -> bool:
    try:
        read(value)
    except Exception:
        return False
    return True


def _unwrapped(answer: Any, cls: type[Any]) -> list[Any]:
    if isinstance(answer, dict) and "data" in answer and "data" not in _converter.wire_names(cls):
        answer = answer["data"]
    return list(answer) if isinstance(answer, list) else [answer]


def documents() -> list[tuple[str, type[Any], Any]]:
    """Each published answer (page items one by one, unwrapped from ``data``): the real ones as they are, the
    documented ones made readable (``filled``), and the parts of the public charging answers."""
    found = []
    for name, cls, items in VOLTTIME:
        for answer in _answers(name, items):
            found += [(name, cls, doc) for doc in _unwrapped(answer, cls)]
    for name, cls, items in DOCS:
        for answer in _answers(name, items):
            for doc in _unwrapped(answer, cls):
                doc = {k: v for k, v in doc.items() if k not in PAGE_KEYS.get(name, set())}
                found.append((name, cls, filled(doc, cls)))
    for name, part, cls in PUBLIC_PARTS:
        example = load_fixture(name)
        if part in example:  # only some session answers carry a payment
            found.append((f"{name}:{part}", cls, filled(example[part], cls)))
    return found + documented_items()


def documented_items() -> list[tuple[str, type[Any], Any]]:
    """Answers whose items the docs print as ``{}``, with the items the API reference describes in words."""
    run = filled(load_fixture("actions.bulk-command.docs.json"), BulkCommandRun)
    charger = {"uuid": UUIDS[0], "identity": "CP-001", "reference": "<string>"}
    run["results"] = [
        {"charger_uuid": UUIDS[0], "status": "sent", "message": None, "executed_at": TS, "charger": charger},
        {"charger_uuid": UUIDS[1], "status": "skipped_forbidden", "message": "<string>", "executed_at": TS},
    ]
    invite = filled(load_fixture("site-invitations.invite.docs.json"), SiteInviteResult)
    invite["invite"]["accessible_assets"] = [{"asset_type": "charger", "asset_id": 123}]
    power = filled(load_fixture("sites.power-management.docs.json"), PowerManagement)
    group = power["groups"][0]  # a subgroup has the keys of a group (its shape is not published)
    subgroup = copy.deepcopy({k: v for k, v in group.items() if k not in ("chargers", "subgroups")})
    group["subgroups"] = [{**subgroup, "subgroups": []}]
    return [
        ("actions.bulk-command.docs.json+results", BulkCommandRun, run),
        ("site-invitations.invite.docs.json+assets", SiteInviteResult, invite),
        ("sites.power-management.docs.json+subgroup", PowerManagement, power),
    ]


DOCUMENTS = documents()


def read(doc: Any, cls: type[T], *, strict: bool = False) -> T:
    """``doc`` as ``cls``, in a ``{"data": ...}`` envelope: a bulk run's own ``data`` key is then not taken for one."""
    return (_converter.structure_strict if strict else _converter.structure)({"data": doc}, cls)


@pytest.mark.parametrize(("name", "cls", "doc"), DOCUMENTS, ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(DOCUMENTS)])
def test_every_document_reads_strictly(name: str, cls: type[Any], doc: Any) -> None:
    """What the tests below take keys from: every published answer, as a model, no key left unread."""
    assert type(read(doc, cls, strict=True)) is cls


def test_the_documents_cover_every_answer_model() -> None:
    """Every model read from the wire is in some document (so the key removal below reaches it)."""
    seen = {type(model) for _, cls, doc in DOCUMENTS for model in _models_in(read(doc, cls))}
    read_from_the_wire = {
        cls for name in models.__all__ if attrs.has(cls := getattr(models, name)) and cls not in NOT_IN_ANY_EXAMPLE
    }
    assert read_from_the_wire - seen == set()


#: Models not read from the wire as a whole: a request body (read only inside a composite schedule, which has
#: its own document) and the answers the SDK assembles from a response's parts (each part has its document).
NOT_IN_ANY_EXAMPLE: frozenset[type[Any]] = frozenset({ChargingProfile, PublicChargingStart, PublicChargingState})


def _models_in(obj: Any) -> typing.Iterator[Any]:
    if attrs.has(type(obj)):
        yield obj
        for field in attrs.fields(type(obj)):
            yield from _models_in(getattr(obj, field.name))
    elif isinstance(obj, tuple):
        for item in obj:
            yield from _models_in(item)


@pytest.mark.parametrize(("name", "cls", "doc"), DOCUMENTS, ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(DOCUMENTS)])
def test_removing_one_key_fails_exactly_for_identity_keys(name: str, cls: type[Any], doc: Any) -> None:
    found = keys(doc, cls)
    for path, optional in found:
        changed = without(doc, path)
        if optional:
            model = read(changed, cls, strict=True)  # strict: no key is left unread either
            assert type(model) is cls
        else:
            with pytest.raises(_converter.StructureError, match="required key missing"):
                read(changed, cls)


@pytest.mark.parametrize(("name", "cls", "doc"), DOCUMENTS, ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(DOCUMENTS)])
def test_removing_every_optional_key_at_once_still_reads(name: str, cls: type[Any], doc: Any) -> None:
    changed = doc
    for path in sorted((p for p, optional in keys(doc, cls) if optional), key=len, reverse=True):
        changed = without(changed, path)  # inner keys first: their parents are still there
    assert type(read(changed, cls, strict=True)) is cls
    assert all(not optional for _, optional in keys(changed, cls))  # only identity is left


def test_identity_keys_are_the_only_required_ones() -> None:
    required = {path[-1] for name, cls, doc in DOCUMENTS for path, optional in keys(doc, cls) if not optional}
    assert required == {
        "uuid",
        "id",
        "identity",
        "connector_id",
        "connectorId",
        "charger_uuid",
        "row",
        "access_token",
        "public_code",
        # request-body models, read inside a composite schedule answer
        "chargingRateUnit",
        "chargingSchedulePeriod",
        "startPeriod",
        "limit",
    }, required


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_removing_any_set_of_optional_keys_still_reads(data: st.DataObject) -> None:
    name, cls, doc = data.draw(st.sampled_from(DOCUMENTS))
    optional = [path for path, is_optional in keys(doc, cls) if is_optional]
    chosen = data.draw(st.lists(st.sampled_from(optional), unique=True) if optional else st.just([]))
    changed = copy.deepcopy(doc)
    for path in sorted(chosen, key=len, reverse=True):  # inner keys first: their parents are still there
        changed = without(changed, path)
    assert type(read(changed, cls)) is cls, (name, chosen)
