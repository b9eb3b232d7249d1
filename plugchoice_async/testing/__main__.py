"""Command line: serve the emulator until Ctrl-C or SIGTERM.

``python -m plugchoice_async.testing --chargers 500 --port 8080`` prints two lines,
``PLUGCHOICE_BASE_URL=...`` and ``PLUGCHOICE_TOKEN=...``, then serves.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from typing import get_args

from ._ratelimit import ThrottleName
from ._server import PlugchoiceEmulator, RateLimitHeaderMode, UserEnvelope

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        # Run with -m, argv[0] is this file; as the plugchoice-emulator script, it is a fine name already.
        prog="python -m plugchoice_async.testing" if sys.argv[0].endswith("__main__.py") else None,
        description="Serve a local Plugchoice API v3 emulator with a generated fleet.",
    )
    parser.add_argument("--chargers", type=int, default=2000, help="fleet size (default: %(default)s)")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s)")
    parser.add_argument("--port", type=int, default=0, help="port to bind; 0 picks a free one (default)")
    parser.add_argument("--token", default="test-token", help="the accepted bearer token (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the generated data (default: %(default)s)")
    parser.add_argument(
        "--rate-limit",
        type=int,
        default=500,
        help="requests per window per token; 0 disables the limit (default: %(default)s)",
    )
    parser.add_argument(
        "--rate-period", type=float, default=60.0, help="rate-limit window in seconds (default: %(default)s)"
    )
    parser.add_argument(
        "--throttle",
        choices=get_args(ThrottleName),
        default="fixed-window",
        help="how the rate limit is kept: fixed-window (Laravel's, as Plugchoice: --rate-limit per window opened by "
        "the first request), sliding-window (at most --rate-limit in any trailing --rate-period) or leaky-bucket "
        "(nginx limit_req at --rate-limit/--rate-period per second, burst=--rate-burst nodelay) "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--rate-limit-headers",
        choices=get_args(RateLimitHeaderMode),
        default="always",
        help="where X-RateLimit-Limit/-Remaining/-Reset go: always (Limit and Remaining on every answer, Reset on "
        "429s, as Laravel), on-429 (all three on 429s only) or never; 429s always carry Retry-After "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--rate-burst",
        type=int,
        default=10,
        help="leaky-bucket only: requests allowed at once beyond the one being served (default: %(default)s)",
    )
    parser.add_argument(
        "--latency", type=float, default=0.0, help="delay added before every answer, seconds (default: 0)"
    )
    parser.add_argument(
        "--ignore-per-page",
        action="store_true",
        help="listings ignore per_page and serve 25 items a page, as the real API may (default: honour it, 1-100)",
    )
    parser.add_argument(
        "--endpoint-period",
        type=float,
        default=60.0,
        help="window of the per-endpoint budgets (setup, invitations, Chargee meter, public charging) in seconds; "
        "0 turns them off (default: %(default)s)",
    )
    parser.add_argument(
        "--user-envelope",
        choices=get_args(UserEnvelope),
        default="bare",
        help="how GET /user answers: bare (the account itself, as the published examples show) or wrapped "
        '(in {"data": ...}) (default: %(default)s)',
    )
    return parser


def _emulator(args: argparse.Namespace) -> PlugchoiceEmulator:
    """The emulator the parsed command line asks for (not started)."""
    return PlugchoiceEmulator(
        args.chargers,
        token=args.token,
        seed=args.seed,
        rate_limit=args.rate_limit or None,
        rate_period=args.rate_period,
        throttle=args.throttle,
        rate_limit_headers=args.rate_limit_headers,
        rate_burst=args.rate_burst,
        host=args.host,
        port=args.port,
        latency=args.latency,
        honour_per_page=not args.ignore_per_page,
        endpoint_period=args.endpoint_period or None,
        user_envelope=args.user_envelope,
    )


async def _serve(args: argparse.Namespace) -> None:
    emulator = _emulator(args)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # Windows: Ctrl-C raises KeyboardInterrupt instead
            loop.add_signal_handler(signum, stopping.set)
    async with emulator:
        print(f"PLUGCHOICE_BASE_URL={emulator.base_url}", flush=True)
        print(f"PLUGCHOICE_TOKEN={emulator.token}", flush=True)
        await stopping.wait()


def main(argv: list[str] | None = None) -> int:
    """Run the emulator from the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
