"""Token buckets, retry waits that honour Retry-After, circuit breaker, costs and budget."""
from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace

import pytest

from collector._cost import Budget, cost_usd, max_cost_usd
from collector._limits import CircuitBreaker, RateLimiter, backoff_wait
from collector._spec import ModelSpec
from collector._types import Completion, ProviderError, parse_retry_after


def test_request_bucket_paces_without_a_minute_long_burst():
    async def go():
        lim = RateLimiter(requests_per_min=600, tokens_per_min=None)
        t0 = time.monotonic()
        for _ in range(25):
            await lim.acquire(1)
        return time.monotonic() - t0
    elapsed = asyncio.run(go())
    # 10/s with a 10-request burst: 25 requests need ~1.5 s, not 0 (a 600-burst) nor 2.5 s
    assert 1.2 <= elapsed <= 3.0


def test_token_bucket_holds_a_request_larger_than_a_second_of_tokens():
    async def go():
        lim = RateLimiter(requests_per_min=None, tokens_per_min=6000, max_request_tokens=500)
        t0 = time.monotonic()
        await lim.acquire(500)    # 100 tokens/s, yet a 500-token request must not raise
        await lim.acquire(150)
        return time.monotonic() - t0
    assert asyncio.run(go()) >= 1.0


def test_backoff_never_shorter_than_retry_after():
    wait = backoff_wait(0.01, 30.0)
    exc = ProviderError("429", kind="rate_limit", retry_after=2.0)
    state = SimpleNamespace(attempt_number=1, outcome=SimpleNamespace(exception=lambda: exc))
    assert all(2.0 <= wait(state) <= 2.2 for _ in range(20))
    plain = SimpleNamespace(attempt_number=4, outcome=SimpleNamespace(exception=lambda: ValueError()))
    waits = [wait(plain) for _ in range(200)]
    assert max(waits) <= 0.08 and len(set(waits)) > 1       # exponential cap 0.01*2^3, jittered


def test_retry_after_header_forms():
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("0.25") == 0.25
    assert parse_retry_after(None) is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0   # in the past
    assert parse_retry_after("soon") is None


def test_circuit_opens_after_consecutive_failures_only():
    cb = CircuitBreaker(3)
    for ok in (False, False, True, False, False):
        cb.record(ok, "x")
    assert not cb.open
    cb.record(False, "HTTP 401")
    assert cb.open and "HTTP 401" in cb.reason


def test_exact_cost_with_cached_and_gpu_time():
    spec = ModelSpec(id="m", backend="openai", prices={"input_per_mtok": 2.0, "output_per_mtok": 8.0,
                                                       "cached_input_per_mtok": 0.5}, gpu_hour_usd=3.6)
    c = Completion(input_tokens=1000, cached_input_tokens=400, output_tokens=250, gpu_seconds=10)
    assert cost_usd(spec, c) == pytest.approx((600 * 2 + 400 * 0.5 + 250 * 8) / 1e6 + 10 * 3.6 / 3600)
    assert max_cost_usd(spec, 1000, 500) == pytest.approx((1000 * 2 + 500 * 8) / 1e6)


def test_budget_reserves_worst_case_and_stops_before_crossing():
    b = Budget(1.0)
    assert b.try_reserve(0.4) and b.try_reserve(0.4)
    assert not b.try_reserve(0.4) and not b.exhausted      # in flight may still free room
    b.settle(0.4, 0.1)
    assert b.try_reserve(0.4)                              # 0.1 + 0.4 + 0.4 <= 1
    b.settle(0.4, 0.3)
    b.settle(0.4, 0.3)
    assert not b.try_reserve(0.4) and b.exhausted          # 0.7 spent, nothing in flight
    assert b.spent == pytest.approx(0.7) and 1.0 - b.spent < 0.4
    assert Budget(None).try_reserve(100.0)


def _crumb_orders(amounts, seeds):
    """Seeds whose shuffled settle order leaves a float crumb in a plain running sum."""
    import random
    out = []
    for seed in seeds:
        order = list(amounts)
        random.Random(seed).shuffle(order)
        total = sum(amounts, 0.0)
        for a in order:
            total = max(0.0, total - a)
        if total != 0.0:
            out.append((seed, order))
    return out


def test_budget_reaches_exhausted_when_unequal_reservations_settle_in_another_order():
    """Worst cases of prompts of different lengths, settled in completion order: the sum of
    what is reserved must come back to exactly nothing, or the run waits for room forever."""
    import random
    rng = random.Random(7)
    amounts = [(rng.randint(80, 900) * 100.0 + 64 * 400.0) / 1e6 for _ in range(12)]
    crumbs = _crumb_orders(amounts, range(40))
    assert crumbs, "no settle order leaves a float crumb: the test would prove nothing"
    for _seed, order in crumbs:
        b = Budget(sum(amounts) + min(amounts) / 2)
        assert all(b.try_reserve(a) for a in amounts)
        for a in order:
            b.settle(a, a)              # every request cost its worst case
        assert b.reserved == 0.0 and b.outstanding == 0
        assert not b.try_reserve(max(amounts)) and b.exhausted      # nothing in flight: stop


def test_budget_stops_gpu_priced_requests_once_spent_reaches_it():
    """A model priced by GPU time reserves nothing (its cost is known only afterwards): it
    runs while there is money left and is stopped, for good, once the spend reaches the limit."""
    b = Budget(1.0)
    assert b.try_reserve(0.0)
    b.settle(0.0, 0.6)
    assert b.try_reserve(0.0) and not b.exhausted
    b.settle(0.0, 0.5)                  # in flight when the limit was reached: crosses it
    assert not b.try_reserve(0.0) and b.exhausted
    assert not b.try_reserve(0.001)
    assert Budget(None).try_reserve(0.0)


def test_fewer_than_one_request_per_minute_is_paced_not_refused():
    """0.5 requests a minute: the bucket must still hold one request (aiolimiter refuses an
    acquire above its capacity)."""
    async def go():
        lim = RateLimiter(requests_per_min=0.5, tokens_per_min=None)
        t0 = time.monotonic()
        await lim.acquire(1)
        return time.monotonic() - t0
    assert asyncio.run(go()) < 1.0            # the first request goes at once
