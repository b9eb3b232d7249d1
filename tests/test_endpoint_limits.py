"""Per-endpoint budgets: matched by route, paced apart, waited for before a slot, never slowing the rest.

A fake clock drives every wait: the limiter's sleeps advance it, so a 60 s pacing costs no real time.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import traceback
from typing import Any

import attrs
import orjson
import pytest

from plugchoice_async import (
    DEFAULT_ENDPOINT_LIMITS,
    APIConnectionError,
    ConfigurationError,
    EndpointLimit,
    LocalRateLimiter,
    PlugchoiceClient,
    PublicChargingClient,
    RateLimit,
    RateLimitError,
    Request,
    Response,
)
from plugchoice_async._endpoint_limits import EndpointLimiters
from plugchoice_async._ratelimit import Ticket
from plugchoice_async.testing import FakeTransport, PlugchoiceEmulator
from tests.conftest import FakeClock, load_fixture

BASE = "https://api.test/api/v3"
CHARGER_A = "3f2b6c1e-8a4d-4c1e-9f3a-2b6c1e8a4d4c"
CHARGER_B = "9a8b7c6d-1e2f-4a3b-8c7d-6e5f4a3b2c1d"
SITE = "5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a"


class ClockedSleep:
    """A sleep that advances the fake clock by the delay and yields once."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        self.clock.advance(delay)
        await asyncio.sleep(0)


#: What each route answers: its published example.
BODIES = {
    "/setup": "chargers.setup.docs.json",
    "/teams/invite": "site-invitations.invite.volttime.json",
    "/meters/chargee/": "meters.chargee.volttime.json",
    "/public-charging/chargers/": "public-charging.get-charger.docs.json",
    "/chargers/": "chargers.get.volttime.json",
}


def stamped(clock: FakeClock, times: list[tuple[str, float]]) -> Any:
    """A FakeTransport handler that notes (path, time sent) and answers the route's published example."""

    async def handler(request: Request) -> Response:
        times.append((request.path, clock()))
        name = next(name for part, name in BODIES.items() if part in request.path)
        body = orjson.dumps(load_fixture(name))
        return Response(status=200, headers={"Content-Type": "application/json"}, body=body)

    return handler


def client_for(fake: FakeTransport, clock: FakeClock, **kwargs: Any) -> PlugchoiceClient:
    sleep = ClockedSleep(clock)
    kwargs.setdefault("rate_limit", LocalRateLimiter(RateLimit(), clock=clock, sleep=sleep))
    return PlugchoiceClient("t", base_url=BASE, transport=fake, sleep=sleep, clock=clock, **kwargs)


def test_the_documented_limits_match_their_routes() -> None:
    routes = EndpointLimiters(DEFAULT_ENDPOINT_LIMITS)

    def name(method: str, path: str) -> str | None:
        gate = routes.gate(method, path, None)
        return None if gate is None else gate.limit.name

    assert name("POST", f"/chargers/{CHARGER_A}/setup") == "setup"
    assert name("GET", f"/chargers/{CHARGER_A}/setup") is None
    assert name("POST", f"/sites/{SITE}/teams/invite") == "invitations"
    assert name("GET", "/meters/chargee/SN-123") == "chargee meter"
    assert name("POST", "/public-charging/sessions") == "public charging start"
    assert name("GET", "/public-charging/sessions/tok") == "public charging read"
    assert name("GET", "/public-charging/chargers/ABC12") == "public charging read"
    for change in ("confirm", "stop", "cancel"):
        assert name("POST", f"/public-charging/sessions/tok/{change}") == "public charging session change"
    assert name("GET", f"/chargers/{CHARGER_A}") is None
    assert name("POST", f"/chargers/{CHARGER_A}/actions/restart") is None
    assert routes.limits_gets  # the default table limits two GET routes: GETs are matched
    posts = [limit for limit in DEFAULT_ENDPOINT_LIMITS if limit.method != "GET"]
    assert not EndpointLimiters(posts).limits_gets


@pytest.mark.parametrize(
    ("kwargs", "text"),
    [
        ({"max_requests": 0}, "max_requests"),
        ({"max_requests": 2.5}, "max_requests"),
        ({"period": -1}, "period"),
        ({"period": float("inf")}, "period"),
        ({"pattern": "/chargers/("}, "regular expression"),
        ({"pattern": 5}, "regular expression"),
        ({"pattern": b"/x"}, "regular expression"),
        ({"method": "get"}, "method"),
        ({"method": "FETCH"}, "method"),
        ({"user_budget": "no"}, "user_budget"),
        ({"name": ""}, "name"),
        ({"name": "setup\nX-Injected: 1"}, "name"),
        ({"pattern": ""}, "regular expression"),
    ],
)
def test_a_bad_endpoint_limit_is_refused_at_once(kwargs: dict[str, Any], text: str) -> None:
    fields: dict[str, Any] = {"name": "x", "method": "GET", "pattern": "/x", "max_requests": 1, "period": 1}
    with pytest.raises(ConfigurationError, match=text):
        EndpointLimit(**{**fields, **kwargs})


def test_the_client_refuses_endpoint_limits_of_the_wrong_type() -> None:
    with pytest.raises(ConfigurationError, match="endpoint_limits"):
        PlugchoiceClient("t", base_url=BASE, endpoint_limits="setup")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="EndpointLimit objects"):
        PlugchoiceClient("t", base_url=BASE, endpoint_limits=[("setup", 1, 60)])  # type: ignore[list-item]


async def test_setup_is_paced_per_charger_and_never_delays_other_calls() -> None:
    clock = FakeClock()
    times: list[tuple[str, float]] = []
    fake = FakeTransport()
    fake.add(handler=stamped(clock, times), times=None)
    start = clock()
    async with client_for(fake, clock) as client:
        setup_a = f"/chargers/{CHARGER_A}/setup"
        first = asyncio.create_task(client.chargers.setup(CHARGER_A, phases=3, max_current=16))
        second = asyncio.create_task(client.chargers.setup(CHARGER_A, phases=3, max_current=16))
        other = asyncio.create_task(client.chargers.setup(CHARGER_B, phases=1, max_current=6))
        reads = [asyncio.create_task(client.chargers.get(CHARGER_A)) for _ in range(5)]
        await asyncio.gather(first, second, other, *reads)
    sent = {path: [t - start for p, t in times if p == path] for path, _ in times}
    assert sent[setup_a][0] == 0.0
    # once per 60 s per charger (the limiter's 2% margin: 61.2 s)
    assert sent[setup_a][1] == pytest.approx(61.2)
    # another charger's setup and the reads went at once, while the second setup waited
    assert sent[f"/chargers/{CHARGER_B}/setup"] == [0.0]
    assert max(sent[f"/chargers/{CHARGER_A}"]) < 1.0


async def test_a_waiting_endpoint_call_holds_no_slot() -> None:
    clock = FakeClock()
    times: list[tuple[str, float]] = []
    fake = FakeTransport()
    fake.add(handler=stamped(clock, times), times=None)
    invite = f"/sites/{SITE}/teams/invite"
    async with client_for(fake, clock, max_concurrency=1) as client:
        invites = [asyncio.create_task(client.sites.access.invite(SITE, email=f"{n}@example.com")) for n in range(3)]
        await asyncio.sleep(0)
        read = await client.chargers.get(CHARGER_A)
        read_at = clock()
        await asyncio.gather(*invites)
    assert read.uuid == load_fixture(BODIES["/chargers/"])["data"]["uuid"]  # the read's own answer
    invite_times = [t for p, t in times if p == invite]
    # invitations: 5 a minute, spaced evenly (60 / 5 x 1.02 = 12.24 s apart); the read went first
    # even with one slot, while two invitations were still waiting for their budget
    assert [round(t - invite_times[0], 2) for t in invite_times] == [0.0, 12.24, 24.48]
    assert read_at - invite_times[0] < 12.24


async def test_a_429_on_an_endpoint_pauses_that_endpoint_only() -> None:
    clock = FakeClock()
    times: list[tuple[str, float]] = []
    fake = FakeTransport()
    chargee = "/meters/chargee/SN-1"
    reading = load_fixture("meters.chargee.volttime.json")
    fake.add(
        "GET",
        chargee,
        status=429,
        json={"message": "Too Many Attempts."},
        headers={"Retry-After": "30", "X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "0"},
    )
    fake.add(handler=stamped(clock, times), times=None)
    user = LocalRateLimiter(RateLimit(), clock=clock, sleep=ClockedSleep(clock))
    async with client_for(fake, clock, rate_limit=user) as client:
        start = clock()
        meter = asyncio.create_task(client.meters.chargee("SN-1"))
        await asyncio.sleep(0)
        for _ in range(3):
            await client.chargers.get(CHARGER_A)
        reads_done = clock() - start
        assert (await meter).uuid == (reading.get("data") or reading)["uuid"]
        stats = client.stats
    # the meter call was re-queued after the server's 30 s, the reads were not paused by it
    assert [t - start for p, t in times if p == chargee] == [pytest.approx(30.0, abs=1.0)]
    assert reads_done < 1.0
    assert stats.rate_limited == 1 and stats.requeued == 1
    # the user's limiter adopted nothing from the endpoint's headers
    assert user.state.limit == 500 and user.state.paused_until < start + 1


async def test_public_charging_spends_no_user_budget() -> None:
    clock = FakeClock()
    granted: list[int] = []

    class CountingLimiter(LocalRateLimiter):
        async def acquire(self, delay: float = 0.0) -> Ticket:
            granted.append(1)
            return await super().acquire(delay)

    times: list[tuple[str, float]] = []
    fake = FakeTransport()
    fake.add(handler=stamped(clock, times), times=None)
    user = CountingLimiter(RateLimit(), clock=clock, sleep=ClockedSleep(clock))
    async with client_for(fake, clock, rate_limit=user) as client:
        await client.public_charging.get_charger("ABC")
        assert granted == []
        await client.chargers.get(CHARGER_A)
        assert granted == [1]
        await client.meters.chargee("SN-1")  # a budget of its own, and the user's
        assert granted == [1, 1]
    [public, *_] = fake.requests
    assert "Authorization" not in public.headers


async def test_a_pause_beyond_max_pause_fails_the_endpoint_call_at_once() -> None:
    clock = FakeClock()
    fake = FakeTransport()
    fake.add(
        "POST",
        f"/chargers/{CHARGER_A}/setup",
        status=429,
        json={"message": "Too Many Attempts."},
        headers={"Retry-After": "3600", "X-RateLimit-Remaining": "0"},
    )
    async with client_for(fake, clock) as client:
        with pytest.raises(RateLimitError) as caught:
            await client.chargers.setup(CHARGER_A, phases=3, max_current=16)
        # the next one is refused before sending, naming the budget
        with pytest.raises(RateLimitError, match="setup budget") as again:
            await client.chargers.setup(CHARGER_A, phases=3, max_current=16)
    assert caught.value.retry_after == 3600
    assert again.value.retry_after is not None and again.value.retry_after > 3000
    assert len(fake.requests) == 1


async def test_endpoint_limits_can_be_turned_off() -> None:
    clock = FakeClock()
    times: list[tuple[str, float]] = []
    fake = FakeTransport()
    fake.add(handler=stamped(clock, times), times=None)
    async with client_for(fake, clock, endpoint_limits=None) as client:
        for _ in range(3):
            await client.chargers.setup(CHARGER_A, phases=3, max_current=16)
    assert max(t for _, t in times) - min(t for _, t in times) < 1.0  # not 2 x 61.2 s


# -- against the emulator, which keeps the same budgets (windows of 1 s instead of 60 s here) ------------------


def _fast(limits: tuple[EndpointLimit, ...] = DEFAULT_ENDPOINT_LIMITS) -> list[EndpointLimit]:
    return [attrs.evolve(limit, period=1.0) for limit in limits]


async def test_the_emulator_refuses_a_route_over_its_budget_and_the_client_stays_under_it() -> None:
    async with PlugchoiceEmulator(chargers=3, token="t", rate_limit=500, endpoint_period=1.0) as emu:
        # no client-side budgets: the sixth Chargee reading of the window is refused by the route's own limit
        async with PlugchoiceClient(
            "t", base_url=emu.base_url, endpoint_limits=None, max_retries=0, rate_limit=None
        ) as naive:
            for _ in range(5):
                await naive.meters.chargee("CHG-0001")
            with pytest.raises(RateLimitError) as refused:
                await naive.meters.chargee("CHG-0001")
        assert refused.value.headers["X-RateLimit-Limit"] == "5"
        assert refused.value.retry_after == 1
        emu.reset_stats()

    async with PlugchoiceEmulator(chargers=3, token="t", rate_limit=500, endpoint_period=1.0) as emu:
        async with PlugchoiceClient("t", base_url=emu.base_url, endpoint_limits=_fast(), max_retries=0) as client:
            readings = [client.meters.chargee("CHG-0001") for _ in range(8)]
            reads = [client.chargers.get(uuid) for uuid in emu.uuids]
            results = await asyncio.gather(*readings, *reads)
        assert len(results) == 11
        assert emu.rate_limited == 0  # paced under the route's budget: not one 429


async def test_calls_that_queued_behind_the_user_budget_are_spaced_again_when_sent() -> None:
    # The GETs fill the user's queue first: the readings, reserved one route interval apart, are let go
    # from it together; sent so, six would reach one window of the route. They are spaced at sending.
    async with PlugchoiceEmulator(chargers=30, token="t", rate_limit=20, rate_period=1.0, endpoint_period=1.0) as emu:
        async with PlugchoiceClient(
            "t",
            base_url=emu.base_url,
            rate_limit=RateLimit(max_requests=20, period=1.0),
            endpoint_limits=_fast(),
            max_retries=0,
        ) as client:
            reads = [client.chargers.get(uuid) for uuid in emu.uuids]
            readings = [client.meters.chargee("CHG-0001") for _ in range(7)]
            await asyncio.gather(*reads, *readings)
        meter_times = [r.at for r in emu.requests if "/meters/chargee/" in r.path]
    assert emu.rate_limited == 0
    gaps = [later - earlier for earlier, later in itertools.pairwise(meter_times)]
    assert len(meter_times) == 7 and min(gaps) > 0.15  # 1 s / 5 x 1.02 = 0.204 s apart, less arrival jitter


@pytest.mark.parametrize(
    "pattern",
    [
        r"/meters/x|/chargers/[^/]+",  # an alternation
        r"/chargerss?/[^/]+",  # an optional letter
        r".*/chargers/[^/]+",  # no literal start at all
    ],
)
async def test_a_get_limit_applies_whatever_its_pattern_starts_with(pattern: str) -> None:
    clock = FakeClock()
    times: list[tuple[str, float]] = []
    fake = FakeTransport()
    fake.add(handler=stamped(clock, times), times=None)
    reads = EndpointLimit(name="reads", method="GET", pattern=pattern, max_requests=1, period=10)
    async with client_for(fake, clock, endpoint_limits=[reads]) as client:
        start = clock()
        for _ in range(3):
            await client.chargers.get(CHARGER_A)
    assert [round(t - start, 1) for _, t in times] == [0.0, 10.2, 20.4]


async def test_a_get_limit_applies_to_pagination_links_too() -> None:
    clock = FakeClock()
    first = {**load_fixture("team-sites.list.volttime.json"), "next_page_url": f"{BASE}/teams/{SITE}/sites?page=2"}
    last = {**first, "next_page_url": None}
    fake = FakeTransport()
    fake.add("GET", f"/teams/{SITE}/sites", json=first)
    fake.add(json=last)
    listing = EndpointLimit(name="team sites", method="GET", pattern=r"/teams/[^/]+/sites", max_requests=1, period=10)
    async with client_for(fake, clock, endpoint_limits=[listing]) as client:
        start = clock()
        pages = [p async for p in client.teams.sites(SITE).iter_pages()]
        elapsed = clock() - start
    assert len(pages) == 2 and elapsed == pytest.approx(10.2)  # the second page waited for the budget


async def test_a_route_429_teaches_the_route_only_its_retry_after() -> None:
    clock = FakeClock()
    times: list[tuple[str, float]] = []
    fake = FakeTransport()
    fake.add(
        "POST",
        f"/chargers/{CHARGER_A}/setup",
        status=429,
        json={"message": "Too Many Attempts."},
        headers={"Retry-After": "5", "X-RateLimit-Limit": "500", "X-RateLimit-Remaining": "0"},
    )
    fake.add(handler=stamped(clock, times), times=None)
    async with client_for(fake, clock) as client:
        start = clock()
        await client.chargers.setup(CHARGER_A, phases=3, max_current=16)  # refused once, re-queued
        await client.chargers.setup(CHARGER_A, phases=3, max_current=16)
    sent = [round(t - start, 1) for _, t in times]
    # the user's 500 in the 429 was not adopted: the second setup still waits a whole route interval
    assert sent[0] >= 5.0 and sent[1] - sent[0] == pytest.approx(61.2, abs=0.1)


async def test_anonymous_calls_never_teach_the_users_limiter() -> None:
    clock = FakeClock()
    fake = FakeTransport()
    code = load_fixture("public-charging.get-charger.docs.json")
    fake.add(json=code, headers={"X-RateLimit-Limit": "30", "X-RateLimit-Remaining": "29"}, times=None)
    user = LocalRateLimiter(RateLimit(), clock=clock, sleep=ClockedSleep(clock))
    async with client_for(fake, clock, rate_limit=user, endpoint_limits=None) as client:
        await client.public_charging.get_charger("ABC")
    assert user.state.limit == 500 and user.state.seq == 0  # not even a ticket taken


@pytest.mark.parametrize(
    "answer",
    [
        b"HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n",
        b"NOTHTTP\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\nZZ\r\n",
    ],
)
async def test_a_broken_answer_to_a_public_session_never_shows_its_token(answer: bytes) -> None:
    secret = "s3cr3t-session-token-0123456789"

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(asyncio.IncompleteReadError):
            await reader.readuntil(b"\r\n\r\n")
        writer.write(answer)  # a malformed answer: aiohttp's own error text quotes the whole URL
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with PublicChargingClient(base_url=f"http://127.0.0.1:{port}/api/v3", max_retries=0) as public:
            with pytest.raises(APIConnectionError) as caught:
                await public.get_session(secret)
    finally:
        server.close()
    shown = "".join(traceback.format_exception(caught.value))
    assert secret not in shown and secret not in repr(caught.value) and secret not in str(vars(caught.value))


async def test_two_limits_with_one_name_keep_budgets_of_their_own() -> None:
    clock = FakeClock()
    times: list[tuple[str, float]] = []
    fake = FakeTransport()
    fake.add(handler=stamped(clock, times), times=None)
    first = EndpointLimit(name="mine", method="GET", pattern=r"/chargers/" + CHARGER_A, max_requests=1, period=10)
    second = attrs.evolve(first, pattern=r"/chargers/" + CHARGER_B)
    async with client_for(fake, clock, endpoint_limits=[first, second]) as client:
        start = clock()
        await client.chargers.get(CHARGER_A)
        await client.chargers.get(CHARGER_B)  # another budget: not paced behind the first
    assert [t - start for _, t in times] == [0.0, 0.0]
