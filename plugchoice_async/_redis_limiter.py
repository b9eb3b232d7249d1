"""``RedisRateLimiter``: one rate budget shared by every process and machine that uses a token.

The rules are those of :class:`~._ratelimit.PacingState` (read its module docstring); here the
state lives in one Redis hash and both steps, ``grant`` and ``learn``, run as Lua scripts, so
every change is atomic, on Redis' clock (``TIME``), and the hash expires (a crashed worker leaves
nothing behind). Header parsing stays in Python (``server_pause`` and the ``X-RateLimit-*``
parser): the scripts get numbers. ``tests/test_redis_limiter.py`` runs the same scenarios through
both executors and compares every decision.

Inside one process, waiters queue on an ``asyncio.Lock`` (FIFO), so only the head of the queue
asks Redis; across processes they compete for the shared budget.

The key is ``plugchoice:ratelimit:`` plus a SHA-256 digest of the credential, never the
credential itself: processes with the same token share one budget without configuration.

Redis unreachable (refused, timed out: every call is bounded by ``timeout``): with
``fallback=True`` (the default) the limiter logs one WARNING naming the URL (without its
password), paces with an in-process :class:`LocalRateLimiter` and tries Redis again after
``retry_interval`` seconds; with ``fallback=False`` ``acquire`` raises
``RateLimiterUnavailableError``. Losing what an answer taught is only logged: an answer that
arrived is never lost for it.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final

from yarl import URL

from ._http import parse_rate_limit_headers
from ._ratelimit import LocalRateLimiter, PauseTooLong, RateLimit, Ticket, server_pause
from .exceptions import ConfigurationError, RateLimiterUnavailableError

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from redis.commands.core import AsyncScript

__all__ = ["RedisRateLimiter", "credential_key"]

logger: Final = logging.getLogger("plugchoice_async")

KEY_PREFIX: Final = "plugchoice:ratelimit:"

# Shared by both scripts: load the hash into `s` (with defaults), the CUBIC rate, and saving.
_COMMON: Final = """
local key = KEYS[1]
local maxreq, period0, burst, margin = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local maxpause, beta = tonumber(ARGV[5]), tonumber(ARGV[6])
local now
if ARGV[7] ~= '' then
  now = tonumber(ARGV[7])
else
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local C = 0.4
local s = {limit = maxreq, period = period0, trusted = 1, tat = 0, seq = 0, gen = 0, cseq = -1, cleft = 0,
  wstart = -1, paused = 0, probeat = 0, wmax = 0, cutat = 0, lat = 0, inflight = 0, lastseen = 0}
local raw = redis.call('HGETALL', key)
for i = 1, #raw, 2 do s[raw[i]] = tonumber(raw[i + 1]) end
local function fmt(x) return string.format('%.17g', x) end
local function clamp(x, lo, hi) if x < lo then return lo elseif x > hi then return hi else return x end end
local function rate()
  local ceiling = s.limit / s.period
  if s.wmax <= 0 then return ceiling end
  local k = (s.wmax * (1 - beta) / C) ^ (1 / 3)
  local d = now - s.cutat - k
  local r = C * d * d * d + s.wmax
  if r >= ceiling then s.wmax = 0; return ceiling end
  return math.max(r, ceiling / 1000)
end
local function interval() return (1 + margin) / rate() end
local function credit()
  if s.cseq < 0 then return nil end
  return math.min(s.cleft, s.limit) - (s.seq - s.cseq)
end
local function seen()
  if now - s.lastseen > 30 then s.inflight = 0 end
  s.lastseen = now
end
local function save()
  local flat = {}
  for name, value in pairs(s) do flat[#flat + 1] = name; flat[#flat + 1] = fmt(value) end
  redis.call('HSET', key, unpack(flat))
  local ttl = math.max(2 * s.period, s.paused - now + 60, 60)
  redis.call('PEXPIRE', key, math.ceil(math.min(ttl, 172800) * 1000))
end
"""

_GRANT: Final = (
    _COMMON
    + """
if now < s.paused then
  local wait = s.paused - now
  if wait > maxpause then return {'fail', fmt(wait)} end
  return {'wait', fmt(wait)}
end
local step = interval()
local credit = credit()
local probe = 0
if credit ~= nil and credit > 0 then
  -- the server says there is budget left
elseif credit ~= nil then
  if s.trusted == 0 and (s.probeat == 0 or now - s.probeat > 60) then
    probe = 1
    s.probeat = now
  elseif now < s.tat then
    return {'wait', fmt(s.tat - now)}
  end
else
  local earliest = s.tat - (burst - 1) * step
  if now < earliest then return {'wait', fmt(earliest - now)} end
end
s.seq = s.seq + 1
s.tat = math.max(s.tat, now) + step
seen()
s.inflight = s.inflight + 1
save()
return {'ok', tostring(s.seq), fmt(now), tostring(s.gen), tostring(probe)}
"""
)

# ARGV[8..]: ticket seq, sent_at, gen, probe; status ('' = no answer); limit, remaining ('' = not sent);
# window_spent (0/1); delay ('' = none). Returns {verdict, seconds, event}.
_LEARN: Final = (
    _COMMON
    + """
local tseq, tsent, tgen, tprobe = tonumber(ARGV[8]), tonumber(ARGV[9]), tonumber(ARGV[10]), tonumber(ARGV[11])
if tprobe == 1 then s.probeat = 0 end
seen()
s.inflight = math.max(0, s.inflight - 1)
if ARGV[12] == '' then save(); return {'none', '0', ''} end
local status = tonumber(ARGV[12])
s.lat = clamp(0.8 * s.lat + 0.2 * (now - tsent), 0, 10)
if ARGV[13] ~= '' then
  local limit = tonumber(ARGV[13])
  if limit >= 1 and limit <= 1000000 and limit ~= s.limit then
    s.limit = limit
    if limit ~= maxreq and s.period == period0 then s.trusted = 0 end
  end
end
if ARGV[14] ~= '' then
  local remaining = tonumber(ARGV[14])
  if remaining >= 0 and remaining <= s.limit then
    local left = remaining - s.inflight
    local current = credit()
    if tseq > s.cseq or current == nil or left < current then
      s.cseq = s.seq
      s.cleft = left
    end
    if remaining == s.limit - 1 then s.wstart = tsent end
  end
end
if status ~= 429 then save(); return {'none', '0', ''} end
local event = ''
if tprobe == 0 and tgen == s.gen then
  local current = rate()
  s.wmax = current
  s.cutat = now
  s.gen = s.gen + 1
  s.tat = math.max(s.tat, now + burst * interval())
  event = 'cut:' .. fmt(current * beta)
end
local windowspent = ARGV[15] == '1'
if ARGV[16] == '' then
  save()
  return {'again', fmt(math.max(1, interval())), event}
end
local delay = tonumber(ARGV[16])
if delay <= 1 and not windowspent then save(); return {'again', fmt(delay), event} end
if s.trusted == 0 and s.wstart >= 0 and s.wstart <= tsent then
  s.period = clamp(now + delay - s.wstart, 0.05, 86400)
  s.trusted = 1
  event = 'period:' .. fmt(s.period)
end
local until_ = now + delay + math.min(2, math.max(0.05, 0.01 * s.period, 2 * s.lat))
if until_ > s.paused then
  s.paused = until_
  s.cseq = -1
  s.wstart = -1
  s.tat = until_
  event = 'pause:' .. fmt(until_ - now)
end
save()
if delay > maxpause then return {'raise', fmt(delay), event} end
return {'again', '0', event}
"""
)


_SCRIPTS: Final = {"grant": _GRANT, "learn": _LEARN}


def credential_key(credential: str) -> str:
    """The Redis key for a credential: a digest of it, never the credential itself."""
    return KEY_PREFIX + hashlib.sha256(credential.encode()).hexdigest()[:32]


def _redacted(url: str) -> str:
    try:
        parsed = URL(url)
    except (TypeError, ValueError):
        return "<unparsable Redis URL>"
    if parsed.password is not None:
        parsed = parsed.with_password("***")
    return str(parsed)


def _arg(value: float | int | None) -> str:
    return "" if value is None else repr(value)


class RedisRateLimiter:
    """A :class:`RateLimiter` whose budget lives in Redis, shared by processes using one token.

    ::

        client = PlugchoiceClient(rate_limit=RedisRateLimiter("redis://localhost:6379/0"))

    Args:
        url: the Redis URL (``redis://``, ``rediss://`` or ``unix://``).
        rate_limit: the limit and the limiter's settings (default ``RateLimit()``: 500 per 60 s).
        key: the Redis key; None (the default) derives it from the client's credential.
        fallback: when Redis cannot be reached, pace in-process (True, with a WARNING) or raise
            ``RateLimiterUnavailableError`` (False).
        timeout: seconds any Redis call may take before Redis counts as unreachable.
        retry_interval: seconds between attempts to reach Redis again while falling back.

    Needs the ``redis`` extra: ``pip install 'plugchoice-async[redis]'``.
    """

    def __init__(
        self,
        url: str,
        rate_limit: RateLimit | None = None,
        *,
        key: str | None = None,
        fallback: bool = True,
        timeout: float = 2.0,
        retry_interval: float = 5.0,
        clock: Callable[[], float] | None = None,
    ) -> None:
        try:
            import redis.asyncio  # noqa: F401  - fail at construction, not at the first request
        except ImportError as exc:
            raise ConfigurationError("RedisRateLimiter needs redis-py: pip install 'plugchoice-async[redis]'") from exc
        if not isinstance(url, str) or not url.startswith(("redis://", "rediss://", "unix://")):
            raise ConfigurationError(f"not a Redis URL: {_redacted(str(url))}")
        if rate_limit is not None and not isinstance(rate_limit, RateLimit):
            raise ConfigurationError(f"rate_limit must be a RateLimit, got {rate_limit!r}")
        if timeout <= 0 or retry_interval <= 0:
            raise ConfigurationError("timeout and retry_interval must be > 0")
        self.url = url
        self.config = rate_limit or RateLimit()
        self.key = key
        self.fallback = fallback
        self.timeout = timeout
        self.retry_interval = retry_interval
        self._clock = clock  # tests: a fake clock instead of Redis' TIME
        self._config_args = [
            repr(self.config.max_requests),
            repr(float(self.config.period)),
            repr(self.config.effective_burst),
            repr(self.config.margin),
            repr(self.config.max_pause),
            repr(self.config.beta),
        ]
        self._redis: Redis | None = None
        self._scripts: dict[str, AsyncScript] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock: asyncio.Lock | None = None
        self._local: LocalRateLimiter | None = None
        self._down_until = 0.0

    def __repr__(self) -> str:
        return f"<RedisRateLimiter url={_redacted(self.url)!r} key={self.key!r}>"

    def for_credential(self, credential: str) -> RedisRateLimiter:
        """This limiter keyed for ``credential`` (kept as a digest only); unchanged if it has a key."""
        if self.key is not None:
            return self
        return RedisRateLimiter(
            self.url,
            self.config,
            key=credential_key(credential),
            fallback=self.fallback,
            timeout=self.timeout,
            retry_interval=self.retry_interval,
            clock=self._clock,
        )

    # -- connection ------------------------------------------------------------------------------
    def _client(self) -> Redis:
        loop = asyncio.get_running_loop()
        if self._redis is None or self._loop is not loop:
            from redis.asyncio import Redis
            from redis.backoff import NoBackoff
            from redis.retry import Retry

            self._redis = Redis.from_url(
                self.url,
                socket_timeout=self.timeout,
                socket_connect_timeout=self.timeout,
                retry=Retry(NoBackoff(), 0),  # our caller decides what to do when Redis is away
            )
            self._scripts = {name: self._redis.register_script(body) for name, body in _SCRIPTS.items()}
            self._loop = loop
            self._lock = asyncio.Lock()
        return self._redis

    def _queue(self) -> asyncio.Lock:
        self._client()
        assert self._lock is not None
        return self._lock

    async def _script(self, name: str, args: list[str]) -> list[Any]:
        from redis.exceptions import RedisError

        if self.key is None:
            raise ConfigurationError("RedisRateLimiter has no key: give key= or use it through PlugchoiceClient")
        self._client()
        now = "" if self._clock is None else repr(self._clock())
        try:
            result = await asyncio.wait_for(
                self._scripts[name](keys=[self.key], args=[*self._config_args, now, *args]), self.timeout * 2
            )
        except (RedisError, OSError, TimeoutError) as exc:
            raise RateLimiterUnavailableError(
                f"the rate limiter's Redis at {_redacted(self.url)} is unreachable: {type(exc).__name__}: {exc}"
            ) from None
        return [item.decode() if isinstance(item, bytes) else str(item) for item in result]

    def _fallback_limiter(self, error: RateLimiterUnavailableError) -> LocalRateLimiter:
        if self._local is None:
            logger.warning("%s; pacing in this process only until it is back", error)
            self._local = LocalRateLimiter(self.config)
        self._down_until = time.monotonic() + self.retry_interval
        return self._local

    # -- the protocol ----------------------------------------------------------------------------
    async def acquire(self, delay: float = 0.0) -> Ticket:
        """Wait ``delay`` seconds, then until the shared budget allows one more request."""
        if delay > 0:
            await asyncio.sleep(delay)
        if self._local is not None and time.monotonic() < self._down_until:
            return await self._local.acquire()
        async with self._queue():
            while True:
                try:
                    answer = await self._script("grant", [])
                except RateLimiterUnavailableError as exc:
                    if not self.fallback:
                        raise
                    local = self._fallback_limiter(exc)
                    break
                if self._local is not None:
                    logger.warning("the rate limiter's Redis at %s is back", _redacted(self.url))
                    self._local = None
                if answer[0] == "ok":
                    return Ticket(seq=int(answer[1]), sent_at=float(answer[2]), gen=int(answer[3]),
                                  probe=answer[4] == "1", shared=True)  # fmt: skip
                if answer[0] == "fail":
                    raise PauseTooLong(float(answer[1]))
                await asyncio.sleep(float(answer[1]))
        return await local.acquire()

    async def record(self, ticket: Ticket, status: int | None, headers: Mapping[str, str] | None) -> float | None:
        """Learn from the answer in Redis; for a 429, when to send it again (None: raise it)."""
        if not ticket.shared:
            local = self._local or LocalRateLimiter(self.config)
            return await local.record(ticket, status, headers)
        args = [_arg(ticket.seq), _arg(ticket.sent_at), _arg(ticket.gen), "1" if ticket.probe else "0"]
        if status is None or headers is None:
            args += ["", "", "", "0", ""]
        else:
            info = parse_rate_limit_headers(headers)
            limit = info.limit if info is not None else None
            remaining = info.remaining if info is not None else None
            spent = info is not None and (info.remaining == 0 or info.reset is not None)
            pause = server_pause(headers, time.time()) if status == 429 else None
            args += [_arg(status), _arg(limit), _arg(remaining), "1" if spent else "0", _arg(pause)]
        try:
            verdict, seconds, event = await self._script("learn", args)
        except RateLimiterUnavailableError as exc:
            logger.warning("%s; this answer taught the shared limiter nothing", exc)
            return None if status != 429 else 1.0
        if event.startswith("pause:"):
            logger.warning("rate limited (429): pausing every worker for %.2f s", float(event[6:]))
        elif event.startswith("cut:"):
            logger.info("429 while within budget: shared pacing cut to %.3g requests/s", float(event[4:]))
        elif event.startswith("period:"):
            logger.info("learned the server's rate-limit window: %.2f s", float(event[7:]))
        if verdict == "again":
            return float(seconds)
        return None

    async def aclose(self) -> None:
        """Close the connection pool (the limiter reconnects if used again)."""
        client, self._redis = self._redis, None
        self._loop = None
        if client is not None:
            await client.aclose()
