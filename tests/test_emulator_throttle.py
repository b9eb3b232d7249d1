"""The emulator's throttles (fixed window, sliding window, leaky bucket) and where its rate-limit headers go.

The throttles are checked as pure decisions over explicit clock values; the header modes, the settings and the command
line through a real emulator on loopback, its clock stepped by hand.
"""

from __future__ import annotations

import contextlib
import copy
import importlib.util
import random
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Iterable
from fractions import Fraction
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from plugchoice_async.testing import PlugchoiceEmulator
from plugchoice_async.testing.__main__ import _emulator, _parser
from plugchoice_async.testing._ratelimit import (
    THROTTLES,
    FixedWindowThrottle,
    LeakyBucketThrottle,
    SlidingWindowThrottle,
    Throttle,
    ThrottleDecision,
    ThrottleName,
)
from tests.conftest import FakeClock

ROOT = Path(__file__).resolve().parents[1]
RATE_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "Retry-After", "X-RateLimit-Reset")
KEY = "token"
# Times and rates below are multiples of powers of two, so the float arithmetic of the throttles is exact.
LIMIT, PERIOD, BURST = 4, 8.0, 2


def hits(throttle: Throttle, times: Iterable[float], **settings: Any) -> list[ThrottleDecision]:
    """The decisions on one request of ``KEY`` at each clock value, in order."""
    options = {"limit": LIMIT, "period": PERIOD, "burst": BURST, **settings}
    return [throttle.hit(KEY, now, options["limit"], options["period"], options["burst"]) for now in times]


def verdicts(decisions: Iterable[ThrottleDecision]) -> list[tuple[int, float | None]]:
    """(remaining, retry_after) of each decision: retry_after None means allowed."""
    return [(decision.remaining, decision.retry_after) for decision in decisions]


# -- fixed window (Laravel) ----------------------------------------------------------------------


def test_fixed_window_holds_limit_hits_per_window_opened_by_the_first_hit() -> None:
    decisions = hits(FixedWindowThrottle(), [100, 101, 102, 103, 104, 107.5, 108, 115, 115.75, 116, 116, 116, 116])
    assert verdicts(decisions) == [
        (3, None),  # the window 100..108 opens
        (2, None),
        (1, None),
        (0, None),
        (0, 4.0),  # full: allowed again when the window ends
        (0, 0.5),
        (3, None),  # 108: a new window 108..116
        (2, None),
        (1, None),
        (3, None),  # 116: the window 116..124 opens at this hit
        (2, None),
        (1, None),
        (0, None),
    ]
    assert [decision.allowed for decision in decisions[4:6]] == [False, False]


def test_fixed_window_lets_twice_the_limit_through_across_a_window_boundary() -> None:
    # Laravel's edge, kept on purpose: the last quarter second of one window and the first instant of the next.
    decisions = hits(FixedWindowThrottle(), [0, 7.75, 7.75, 7.75, 8, 8, 8, 8, 8])
    assert [decision.allowed for decision in decisions] == [True] * 8 + [False]


# -- sliding window ------------------------------------------------------------------------------


def test_sliding_window_counts_the_trailing_period() -> None:
    decisions = hits(SlidingWindowThrottle(), [0, 2, 4, 6, 7, 8, 8, 9.5, 10, 10.25])
    assert verdicts(decisions) == [
        (3, None),
        (2, None),
        (1, None),
        (0, None),
        (0, 1.0),  # 0, 2, 4, 6 in (-1, 7]: the hit at 0 leaves at 8
        (0, None),  # 8: the hit at 0 has left
        (0, 2.0),  # 2, 4, 6, 8 held: the hit at 2 leaves at 10
        (0, 0.5),
        (0, None),  # 10: 4, 6, 8, 10
        (0, 1.75),  # the hit at 4 leaves at 12
    ]


def test_sliding_window_never_allows_more_than_the_limit_in_any_period() -> None:
    times = [n / 4 for n in range(256)]  # four requests a second for 64 s
    decisions = hits(SlidingWindowThrottle(), times)
    allowed = [now for now, decision in zip(times, decisions, strict=True) if decision.allowed]
    for now, decision in zip(times, decisions, strict=True):
        in_window = sum(now - PERIOD < hit <= now for hit in allowed)
        # Never more than the limit in the trailing period, and a rejection only when it is full.
        assert in_window <= LIMIT
        if not decision.allowed:
            assert in_window == LIMIT
    assert len(allowed) == LIMIT * len(times) / 4 / PERIOD


def test_sliding_window_after_the_limit_is_lowered_waits_for_enough_hits_to_leave() -> None:
    throttle = SlidingWindowThrottle()
    hits(throttle, [0, 1, 2, 3])
    assert verdicts(hits(throttle, [4], limit=2)) == [(0, 6.0)]  # 2 and 3 may stay: the hit at 2 leaves at 10
    assert verdicts(hits(throttle, [9.75, 10], limit=2)) == [(0, 0.25), (0, None)]


# -- leaky bucket (nginx limit_req burst nodelay) ------------------------------------------------


def test_leaky_bucket_lets_a_burst_through_then_the_rate() -> None:
    # rate 4 / 8 s = one request every 2 s; burst 2: three at once.
    decisions = hits(LeakyBucketThrottle(), [0, 0, 0, 0, 1, 2, 2, 3, 4, 100, 100, 100, 100])
    assert verdicts(decisions) == [
        (2, None),
        (1, None),
        (0, None),
        (0, 2.0),  # excess would be 4 against 3: one request drains in 2 s
        (0, 1.0),
        (0, None),  # 2 s later one has drained
        (0, 2.0),
        (0, 1.0),
        (0, None),
        (2, None),  # idle: the bucket has emptied
        (1, None),
        (0, None),
        (0, 2.0),
    ]


def test_leaky_bucket_remaining_rounds_down() -> None:
    # At 1 the excess is 2.5 of 3: one more request now would make 3.5, so none remains.
    assert verdicts(hits(LeakyBucketThrottle(), [0, 0, 1])) == [(2, None), (1, None), (0, None)]


def test_leaky_bucket_without_burst_allows_one_request_per_interval() -> None:
    decisions = hits(LeakyBucketThrottle(), [0, 0.5, 1.5, 2, 3, 4, 4], burst=0)
    assert verdicts(decisions) == [(0, None), (0, 1.5), (0, 0.5), (0, None), (0, 1.0), (0, None), (0, 2.0)]


def nginx_limit_req(times: list[Fraction], rate: Fraction, burst: int) -> list[bool]:
    """nginx's ngx_http_limit_req_lookup with ``nodelay``, in exact arithmetic (nginx counts thousandths).

    A new key gets excess 0 and passes; then ``excess = max(0, excess - rate * elapsed + 1)`` and the request is
    rejected, keeping the old excess and time, when that is over ``burst``.
    """
    node: tuple[Fraction, Fraction] | None = None
    passed = []
    for now in times:
        if node is None:
            node = (Fraction(0), now)
            passed.append(True)
            continue
        excess = max(Fraction(0), node[0] - rate * (now - node[1]) + 1)
        passed.append(excess <= burst)
        if excess <= burst:
            node = (excess, now)
    return passed


def test_leaky_bucket_decides_as_nginx_limit_req() -> None:
    rng = random.Random(7)
    times = [Fraction(0)]
    for _ in range(600):
        times.append(times[-1] + Fraction(rng.randint(0, 160), 64))  # 0 to 2.5 s apart: above the rate, in bursts
    decisions = hits(LeakyBucketThrottle(), [float(now) for now in times])
    expected = nginx_limit_req(times, Fraction(LIMIT) / Fraction(PERIOD), BURST)
    assert [decision.allowed for decision in decisions] == expected
    assert 100 < expected.count(False) < 500  # the sequence exercises both answers

    # Whatever the interval, at most burst + 1 plus what drains in it.
    allowed = [now for now, ok in zip(times, expected, strict=True) if ok]
    rate = Fraction(LIMIT) / Fraction(PERIOD)
    for i, start in enumerate(allowed):
        for j in range(i, len(allowed)):
            assert j - i + 1 <= BURST + 1 + rate * (allowed[j] - start)


# -- every throttle ------------------------------------------------------------------------------

DENSE = [n / 4 for n in range(200)]  # four requests a second for 50 s: over every throttle's rate


@pytest.mark.parametrize("name", list(THROTTLES))
def test_retry_after_is_exactly_when_the_request_would_pass(name: ThrottleName) -> None:
    throttle = THROTTLES[name]()
    rejected = 0
    for now in DENSE:
        before = copy.deepcopy(throttle)
        decision = throttle.hit(KEY, now, LIMIT, PERIOD, BURST)
        if decision.retry_after is None:
            continue
        rejected += 1
        assert decision.retry_after > 0
        assert decision.remaining == 0
        early, on_time = copy.deepcopy(before), copy.deepcopy(before)
        assert not early.hit(KEY, now + decision.retry_after - 1 / 64, LIMIT, PERIOD, BURST).allowed
        assert on_time.hit(KEY, now + decision.retry_after, LIMIT, PERIOD, BURST).allowed
    assert rejected > len(DENSE) / 2


@pytest.mark.parametrize("name", list(THROTTLES))
def test_rejected_requests_never_count(name: ThrottleName) -> None:
    quiet, hammered = THROTTLES[name](), THROTTLES[name]()
    for now in DENSE:
        decision = quiet.hit(KEY, now, LIMIT, PERIOD, BURST)
        assert hammered.hit(KEY, now, LIMIT, PERIOD, BURST) == decision
        if not decision.allowed:  # ten more rejected requests just after: they must change nothing
            for extra in range(1, 11):
                assert not hammered.hit(KEY, now + extra / 1024, LIMIT, PERIOD, BURST).allowed


@pytest.mark.parametrize("name", list(THROTTLES))
def test_keys_are_counted_apart(name: ThrottleName) -> None:
    throttle = THROTTLES[name]()
    first = [throttle.hit("a", 0, LIMIT, PERIOD, BURST).allowed for _ in range(LIMIT + BURST + 1)]
    assert first[-1] is False
    assert throttle.hit("b", 0, LIMIT, PERIOD, BURST) == THROTTLES[name]().hit("b", 0, LIMIT, PERIOD, BURST)
    assert throttle.hit("b", 0, LIMIT, PERIOD, BURST).allowed


@pytest.mark.parametrize("name", list(THROTTLES))
def test_limit_zero_rejects_everything_for_a_period(name: ThrottleName) -> None:
    assert verdicts(hits(THROTTLES[name](), [0, 5, 100], limit=0)) == [(0, PERIOD)] * 3


# -- through the emulator ------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def serving(clock: FakeClock, **settings: Any) -> AsyncIterator[tuple[PlugchoiceEmulator, aiohttp.ClientSession]]:
    """A one-charger emulator on ``clock`` and a session with its token."""
    async with (
        PlugchoiceEmulator(chargers=1, clock=clock, **settings) as emulator,
        aiohttp.ClientSession(headers={"Authorization": f"Bearer {emulator.token}"}) as session,
    ):
        yield emulator, session


async def get_user(emulator: PlugchoiceEmulator, session: aiohttp.ClientSession) -> tuple[int, dict[str, str]]:
    """``GET /user``: the status and the rate headers of the answer."""
    async with session.get(f"{emulator.base_url}/user") as response:
        await response.read()
        return response.status, {name: response.headers[name] for name in RATE_HEADERS if name in response.headers}


@pytest.mark.parametrize("throttle", list(THROTTLES))
@pytest.mark.parametrize(
    ("mode", "on_200", "on_429"),
    [
        ("always", {"X-RateLimit-Limit": "1", "X-RateLimit-Remaining": "0"}, RATE_HEADERS),
        ("on-429", {}, RATE_HEADERS),
        ("never", {}, ("Retry-After",)),
    ],
)
async def test_header_mode_says_which_answers_carry_which_headers(
    throttle: ThrottleName, mode: str, on_200: dict[str, str], on_429: tuple[str, ...]
) -> None:
    clock = FakeClock()
    async with serving(
        clock, rate_limit=1, rate_period=64.0, rate_burst=0, throttle=throttle, rate_limit_headers=mode
    ) as (
        emulator,
        session,
    ):
        assert await get_user(emulator, session) == (200, on_200)

        status, headers = await get_user(emulator, session)
        assert status == 429
        assert tuple(headers) == on_429
        assert headers["Retry-After"] == "64"
        if "X-RateLimit-Reset" in headers:
            assert abs(int(headers.pop("X-RateLimit-Reset")) - (time.time() + 64)) <= 2
            assert headers == {"X-RateLimit-Limit": "1", "X-RateLimit-Remaining": "0", "Retry-After": "64"}

        # The 404 of an unknown route is an authenticated answer like the 200.
        clock.advance(64)
        async with session.get(f"{emulator.base_url}/nowhere") as response:
            assert response.status == 404
            assert {name: response.headers[name] for name in RATE_HEADERS if name in response.headers} == on_200
        assert emulator.rate_limited == 1


# (clock, status, X-RateLimit-Remaining, Retry-After) of successive requests, 2 per 8 s, burst 1.
THROUGH_THE_SERVER: dict[str, list[tuple[float, int, str, str | None]]] = {
    "fixed-window": [(0, 200, "1", None), (1, 200, "0", None), (2, 429, "0", "6"), (8, 200, "1", None)],
    "sliding-window": [
        (0, 200, "1", None),
        (1, 200, "0", None),
        (2, 429, "0", "6"),
        (8, 200, "0", None),
        (8.5, 429, "0", "1"),  # 0.5 s until the hit at 1 leaves: at least one second
        (9, 200, "0", None),
    ],
    "leaky-bucket": [
        (0, 200, "1", None),
        (1, 200, "0", None),
        (2, 429, "0", "2"),
        (4, 200, "0", None),
        (12, 200, "1", None),
    ],
}


@pytest.mark.parametrize("throttle", list(THROTTLES))
async def test_each_throttle_answers_429_with_retry_after_and_recovers(throttle: ThrottleName) -> None:
    clock = FakeClock()
    start = clock.now
    async with serving(clock, rate_limit=2, rate_period=8.0, rate_burst=1, throttle=throttle) as (emulator, session):
        seen = []
        for at, *_ in THROUGH_THE_SERVER[throttle]:
            clock.now = start + at
            status, headers = await get_user(emulator, session)
            assert headers["X-RateLimit-Limit"] == "2"
            seen.append((at, status, headers["X-RateLimit-Remaining"], headers.get("Retry-After")))
        assert seen == THROUGH_THE_SERVER[throttle]
        assert emulator.rate_limited == sum(status == 429 for _, status, _, _ in seen)


async def test_leaky_bucket_reset_is_when_the_bucket_holds_the_request() -> None:
    clock = FakeClock()
    async with serving(clock, rate_limit=1, rate_period=64.0, rate_burst=0, throttle="leaky-bucket") as (
        emulator,
        session,
    ):
        assert (await get_user(emulator, session))[0] == 200
        clock.advance(24)
        status, headers = await get_user(emulator, session)
        assert status == 429
        assert headers["Retry-After"] == "40"
        # The emulator's epoch seconds follow its clock: 24 s have passed there, 40 more to wait.
        assert abs(int(headers["X-RateLimit-Reset"]) - (time.time() + 24 + 40)) <= 2


async def test_settings_change_while_serving() -> None:
    clock = FakeClock()
    async with serving(clock, rate_limit=2, rate_period=64.0) as (emulator, session):
        assert [(await get_user(emulator, session))[0] for _ in range(3)] == [200, 200, 429]

        emulator.throttle = "leaky-bucket"  # starts afresh: one at once, then one per 32 s
        emulator.rate_burst = 0
        assert await get_user(emulator, session) == (200, {"X-RateLimit-Limit": "2", "X-RateLimit-Remaining": "0"})
        emulator.rate_limit_headers = "never"
        assert await get_user(emulator, session) == (429, {"Retry-After": "32"})
        clock.advance(32)
        emulator.rate_limit_headers = "on-429"
        assert await get_user(emulator, session) == (200, {})
        assert emulator.rate_limited == 2


@pytest.mark.parametrize(
    ("settings", "match"),
    [
        ({"throttle": "token-bucket"}, "throttle must be one of 'fixed-window', 'sliding-window', 'leaky-bucket'"),
        ({"rate_limit_headers": "sometimes"}, "rate_limit_headers must be one of 'always', 'on-429', 'never'"),
        ({"rate_burst": -1}, "rate_burst"),
    ],
)
def test_invalid_settings_are_rejected(settings: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        PlugchoiceEmulator(chargers=1, **settings)


@pytest.mark.parametrize(("name", "value"), [("throttle", "token-bucket"), ("rate_limit_headers", "sometimes")])
async def test_unknown_choice_set_while_serving_fails_requests_loudly(name: str, value: str) -> None:
    async with serving(FakeClock(), rate_limit=5) as (emulator, session):
        setattr(emulator, name, value)
        assert (await get_user(emulator, session))[0] == 500  # and the ValueError is logged
        assert emulator.rate_limited == 0


# -- command line --------------------------------------------------------------------------------


def test_cli_throttle_options_default_to_laravel() -> None:
    args = _parser().parse_args([])
    assert (args.throttle, args.rate_limit_headers, args.rate_burst) == ("fixed-window", "always", 10)
    emulator = _emulator(_parser().parse_args(["--chargers", "1"]))
    assert (emulator.throttle, emulator.rate_limit_headers, emulator.rate_burst) == ("fixed-window", "always", 10)


def test_cli_passes_the_throttle_options_to_the_emulator() -> None:
    argv = ["--chargers", "1", "--rate-limit", "7", "--rate-period", "2.5"]
    argv += ["--throttle", "leaky-bucket", "--rate-limit-headers", "on-429", "--rate-burst", "3"]
    emulator = _emulator(_parser().parse_args(argv))
    assert (emulator.rate_limit, emulator.rate_period) == (7, 2.5)
    assert (emulator.throttle, emulator.rate_limit_headers, emulator.rate_burst) == ("leaky-bucket", "on-429", 3)


def test_cli_help_describes_the_throttle_options() -> None:
    text = " ".join(_parser().format_help().split())
    assert "--throttle {fixed-window,sliding-window,leaky-bucket} how the rate limit is kept" in text
    assert "--rate-limit-headers {always,on-429,never} where X-RateLimit-Limit/-Remaining/-Reset go" in text
    assert "--rate-burst RATE_BURST leaky-bucket only:" in text


@pytest.mark.parametrize(
    "argv", [["--throttle", "token-bucket"], ["--rate-limit-headers", "sometimes"], ["--rate-burst", "some"]]
)
def test_cli_rejects_unknown_throttle_options(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        _parser().parse_args(argv)
    assert exit_info.value.code == 2
    assert argv[0] in capsys.readouterr().err


def test_benchmark_emulator_process_passes_the_throttle_options() -> None:
    spec = importlib.util.spec_from_file_location("bench_servers", ROOT / "benchmarks" / "_servers.py")
    assert spec is not None and spec.loader is not None
    servers = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(servers)

    answers = []
    settings = {"rate_limit": 1, "throttle": "leaky-bucket", "rate_limit_headers": "never", "rate_burst": 1}
    with servers.emulator_process(1, token="bench", **settings) as base_url:
        request = urllib.request.Request(f"{base_url}/user", headers={"Authorization": "Bearer bench"})
        for _ in range(3):
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    answers.append((response.status, response.headers))
            except urllib.error.HTTPError as error:
                answers.append((error.code, error.headers))
                error.close()
    assert [status for status, _ in answers] == [200, 200, 429]  # burst 1: two at once
    assert all(name not in headers for _, headers in answers for name in RATE_HEADERS if name != "Retry-After")
    assert 50 < int(answers[2][1]["Retry-After"]) <= 60  # one request drains in 60 s
