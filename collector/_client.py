"""ModelClient: one model's backend behind rate limits, bounded retries, a circuit breaker
and exact cost accounting. ``generate`` never raises: failures come back as data."""
from __future__ import annotations

import asyncio
import logging
import time

from tenacity import AsyncRetrying, RetryError, retry_if_exception, stop_after_attempt, stop_after_delay

from ._cost import cost_usd
from ._limits import CircuitBreaker, RateLimiter, backoff_wait
from ._spec import ModelSpec
from ._types import Completion, ProviderError, Request
from .backends import Backend

log = logging.getLogger(__name__)


def _retryable(exc: BaseException) -> bool:
    return isinstance(exc, ProviderError) and exc.kind != "fatal"


class ModelClient:
    def __init__(self, spec: ModelSpec, backend: Backend, *, circuit_threshold: int = 10,
                 max_request_tokens: int = 16384):
        self.spec = spec
        self.backend = backend
        self.limiter = RateLimiter(spec.rate_limit.requests_per_min, spec.rate_limit.tokens_per_min,
                                   max_request_tokens=max_request_tokens)
        self.circuit = CircuitBreaker(circuit_threshold)
        self.semaphore = asyncio.Semaphore(backend.in_flight(spec))
        self.attempts_total = 0
        self.rate_limited = 0

    async def _attempt(self, req: Request) -> Completion:
        await self.limiter.acquire(req.est_input_tokens + int(req.sampling.get("max_tokens", 0)))
        self.attempts_total += 1
        try:
            async with self.semaphore:
                return await self.backend.complete(req)
        except ProviderError as exc:
            if exc.kind == "rate_limit":
                self.rate_limited += 1
            log.debug("%s: attempt failed (%s): %s", self.spec.id, exc.kind, exc)
            raise

    async def generate(self, req: Request) -> Completion:
        if self.circuit.open:
            return Completion(status="circuit_open", attempts=0,
                              error_detail=f"circuit open for {self.spec.id}: {self.circuit.reason}")
        r = self.spec.retry
        t0 = time.monotonic()
        attempts = 0
        try:
            async for attempt in AsyncRetrying(
                    stop=stop_after_attempt(r.max_attempts) | stop_after_delay(r.max_elapsed_s),
                    wait=backoff_wait(r.initial_backoff_s, r.max_backoff_s, r.max_elapsed_s),
                    retry=retry_if_exception(_retryable), reraise=True):
                with attempt:
                    attempts = attempt.retry_state.attempt_number
                    completion = await self._attempt(req)
        except ProviderError as exc:
            self.circuit.record(False, str(exc))
            return Completion(status="api_error", attempts=attempts, latency_s=time.monotonic() - t0,
                              request_id=exc.request_id,
                              error_detail=f"{exc.kind}: {exc} (after {attempts} attempt(s))")
        except RetryError as exc:  # pragma: no cover - reraise=True makes this rare
            self.circuit.record(False, str(exc))
            return Completion(status="api_error", attempts=attempts, error_detail=str(exc))
        self.circuit.record(True)
        completion.attempts = attempts
        completion.cost_usd = cost_usd(self.spec, completion)
        return completion

    async def aclose(self) -> None:
        await self.backend.aclose()
