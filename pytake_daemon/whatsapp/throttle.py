"""Send-rate limits shared by every daemon process: a GCRA token bucket in Redis.

GCRA keeps one timestamp per bucket (the "theoretical arrival time"), so a check is one Lua call
with no background refill. Used per business number (Meta's throughput: 80 messages/s by default,
up to 1,000) and, optionally, per customer (Meta's pair rate limit).
"""

from __future__ import annotations

from redis.asyncio import Redis

# Returns 0 when allowed (and books the slot), else microseconds to wait. Redis' own clock, so
# processes with skewed clocks agree.
_GCRA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local wait = tat - burst - now
if wait > 0 then return math.ceil(wait) end
local new_tat = tat + interval
redis.call('SET', KEYS[1], string.format('%d', new_tat), 'PX',
           math.ceil((new_tat - now) / 1000) + 1000)
return 0
"""


class Throttle:
    def __init__(self, redis: Redis, *, prefix: str) -> None:
        self._redis = redis
        self._prefix = prefix
        self._script = redis.register_script(_GCRA)

    async def acquire(self, bucket: str, *, per_second: float, burst: int) -> float:
        """Take one slot: 0.0 when granted now, else the seconds to wait before asking again."""
        interval_us = 1_000_000 / per_second
        tolerance_us = interval_us * max(burst - 1, 0)
        wait_us = await self._script(
            keys=[f"{self._prefix}throttle:{bucket}"], args=[interval_us, tolerance_us]
        )
        return int(wait_us) / 1_000_000
