"""`RateLimiter` in Redis: every process behind one Redis shares the same counts.

The rule is `bot/ratelimit.py`'s, run as a Lua script so one attempt's check-and-count
over all its keys is atomic across processes. Each key is a hash under
`relevo:ratelimit:<limit>:<subject>` that expires once nothing in it matters any more.
Times come from the caller's clock (`now`), like the in-process limiter, so both keep
the same behaviour under a test's clock; the TTLs only clean up.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from redis.asyncio import Redis
from redis.exceptions import RedisError

from relevo.bot.ratelimit import LimiterUnavailable, LimitKey, Throttled

PREFIX = "relevo:ratelimit:"

# KEYS: one hash per key. ARGV: now, then per key: attempts, window, max lockout, forget.
# Returns {retry_after as a string ("0": allowed, all counted), newly locked key indexes}.
_ACQUIRE = """
local now = tonumber(ARGV[1])
local function save(key, s)
  redis.call('HSET', key, 'c', s.c, 'we', tostring(s.we), 'lu', tostring(s.lu),
             's', s.s, 'su', tostring(s.su))
  local ttl = math.max(s.we, s.lu, s.su) - now
  redis.call('PEXPIRE', key, math.max(1000, math.ceil(ttl * 1000)))
end
local states, limits, retry, locked = {}, {}, 0, {}
for i, key in ipairs(KEYS) do
  local base = 1 + (i - 1) * 4
  local l = {attempts = tonumber(ARGV[base + 1]), window = tonumber(ARGV[base + 2]),
             max_lockout = tonumber(ARGV[base + 3]), forget = tonumber(ARGV[base + 4])}
  local v = redis.call('HMGET', key, 'c', 'we', 'lu', 's', 'su')
  local s = {c = tonumber(v[1]) or 0, we = tonumber(v[2]) or 0, lu = tonumber(v[3]) or 0,
             s = tonumber(v[4]) or 0, su = tonumber(v[5]) or 0}
  states[i], limits[i] = s, l
  if s.lu > now then
    retry = math.max(retry, s.lu - now)
  elseif s.we > now and s.c >= l.attempts then
    if s.su > now then s.s = s.s + 1 else s.s = 1 end
    local lockout = math.min(l.window * 2 ^ math.min(s.s - 1, 60), l.max_lockout)
    s.lu = now + lockout
    s.su = s.lu + l.forget
    s.c, s.we = 0, 0
    retry = math.max(retry, lockout)
    table.insert(locked, i)
    save(key, s)
  end
end
if retry > 0 then
  table.insert(locked, 1, tostring(retry))
  return locked
end
for i, key in ipairs(KEYS) do
  local s = states[i]
  if s.we <= now then
    s.c, s.we = 0, now + limits[i].window
  end
  s.c = s.c + 1
  save(key, s)
end
return {"0"}
"""

# KEYS: the keys; ARGV: now. One attempt back to each key whose window is still open.
_REFUND = """
local now = tonumber(ARGV[1])
for _, key in ipairs(KEYS) do
  local v = redis.call('HMGET', key, 'c', 'we')
  if (tonumber(v[2]) or 0) > now and (tonumber(v[1]) or 0) > 0 then
    redis.call('HINCRBY', key, 'c', -1)
  end
end
return 0
"""


def client_name() -> str:
    return f"relevo-ratelimit-{os.getpid()}"


class RedisRateLimiter:
    def __init__(self, redis: Redis, *, prefix: str = PREFIX) -> None:
        self._redis = redis
        self._prefix = prefix
        self._acquire = redis.register_script(_ACQUIRE)
        self._refund = redis.register_script(_REFUND)

    @classmethod
    def from_url(cls, url: str) -> RedisRateLimiter:
        # Named, so `CLIENT LIST` tells which process holds a connection.
        return cls(Redis.from_url(url, client_name=client_name()))

    async def acquire(self, keys: Sequence[LimitKey], now: float) -> Throttled | None:
        args: list[float | int] = [now]
        for key in keys:
            limit = key.limit
            args += [limit.attempts, limit.window_seconds, limit.max_lockout_seconds,
                     limit.forget_after_seconds]
        try:
            answer = await self._acquire(keys=[self._name(key) for key in keys], args=args)
        except RedisError as exc:
            raise LimiterUnavailable(f"Redis: {type(exc).__name__}") from exc
        retry_after = float(answer[0])
        if retry_after <= 0:
            return None
        return Throttled(retry_after, tuple(keys[int(index) - 1] for index in answer[1:]))

    async def refund(self, keys: Sequence[LimitKey], now: float) -> None:
        try:
            await self._refund(keys=[self._name(key) for key in keys], args=[now])
        except RedisError as exc:
            raise LimiterUnavailable(f"Redis: {type(exc).__name__}") from exc

    async def close(self) -> None:
        await self._redis.aclose()

    def _name(self, key: LimitKey) -> str:
        return self._prefix + key.name
