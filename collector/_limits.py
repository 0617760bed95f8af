"""Client-side limits: token buckets (requests/min, tokens/min), retries, circuit breaker."""
from __future__ import annotations

import logging
import random
from typing import Any

from aiolimiter import AsyncLimiter

log = logging.getLogger(__name__)


def _bucket(per_min: float, need: float = 1.0) -> AsyncLimiter:
    """A bucket refilling at ``per_min``/60 per second with a small burst.

    aiolimiter's capacity equals its max_rate over ``time_period``; a whole-minute bucket
    would let a full minute of requests out at once (and draw 429s), so the window is the
    shortest one that holds at least one unit and the largest single request.
    """
    per_s = per_min / 60.0
    window = max(1.0, min(need / per_s, 60.0), 1.0 / per_s)   # (one unit always fits: rpm < 1)
    return AsyncLimiter(per_s * window, time_period=window)


class RateLimiter:
    def __init__(self, requests_per_min: float | None, tokens_per_min: float | None,
                 max_request_tokens: int = 1):
        self.requests = _bucket(requests_per_min) if requests_per_min else None
        self.tokens = _bucket(tokens_per_min, max_request_tokens) if tokens_per_min else None

    async def acquire(self, tokens: int) -> None:
        if self.requests is not None:
            await self.requests.acquire(1)
        if self.tokens is not None:
            await self.tokens.acquire(min(max(1, tokens), self.tokens.max_rate))


class CircuitBreaker:
    """Opens after ``threshold`` consecutive requests that failed after all their retries,
    so a model whose key was revoked or whose quota is gone stops instead of retrying for hours."""

    def __init__(self, threshold: int):
        self.threshold = threshold
        self.consecutive = 0
        self.open = False
        self.reason = ""

    def record(self, ok: bool, detail: str = "") -> None:
        if ok:
            self.consecutive = 0
            return
        self.consecutive += 1
        if self.consecutive >= self.threshold and not self.open:
            self.open = True
            self.reason = f"{self.consecutive} consecutive failed requests; last: {detail}"
            log.error("circuit opened: %s", self.reason)


def backoff_wait(initial: float, maximum: float, max_elapsed: float = 300.0):
    """tenacity wait: exponential with full jitter, never shorter than Retry-After (which is
    only capped by the retry time budget: the server knows better than our backoff)."""

    def wait(retry_state: Any) -> float:
        n = retry_state.attempt_number
        base = random.uniform(0, min(maximum, initial * (2 ** (n - 1))))
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        ra = getattr(exc, "retry_after", None)
        if ra is not None:
            return max(base, min(float(ra), max_elapsed) + random.uniform(0, 0.1))
        return base

    return wait
