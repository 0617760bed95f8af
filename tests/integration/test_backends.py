"""The openai / anthropic / bedrock backends, real SDK clients against local fake servers
that speak each wire protocol and inject faults."""
from __future__ import annotations

import asyncio
import os
import time

import pytest

from benchmarks import Task
from collector._client import ModelClient
from collector._spec import ModelSpec
from collector._types import Request
from collector.backends import get_backend
from tests.fakes import FakeProvider, FaultPlan

pytestmark = pytest.mark.integration

TASK = Task("humaneval", "t", "T/0", "function", "python", "code_generation", "def f(): ...", "def f(): return 1")
PROTOCOLS = ["openai", "anthropic", "bedrock"]


@pytest.fixture(autouse=True)
def _aws_env(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")


def _spec(proto: str, fake: FakeProvider, **over) -> ModelSpec:
    kw = {"openai": {"base_url": fake.openai_base_url, "api_key_env": "FAKE_KEY"},
          "anthropic": {"base_url": fake.url, "api_key_env": "FAKE_KEY"},
          "bedrock": {"endpoint_url": fake.url, "region": "us-east-1"}}[proto]
    retry = {"max_attempts": 8, "initial_backoff_s": 0.01, "max_backoff_s": 0.05, "timeout_s": 2.0,
             **over.pop("retry", {})}
    over.setdefault("concurrency", 8)
    return ModelSpec(id=proto, backend=proto, model="model-x", prices={"input_per_mtok": 1.0,
                     "output_per_mtok": 4.0}, retry=retry, **kw, **over)


def _req(i: int, max_tokens: int = 200) -> Request:
    return Request(generation_id=f"gen-{i}", model_id="m", task=TASK,
                   messages=[{"role": "system", "content": "be brief"}, {"role": "user", "content": f"task {i}"}],
                   prompt_text=f"task {i}", sample_index=0,
                   sampling={"temperature": 0.0, "top_p": 1.0, "max_tokens": max_tokens, "seed": 1})


def _run(spec: ModelSpec, reqs: list[Request]):
    async def go():
        client = ModelClient(spec, get_backend(spec.backend)(spec, api_key="sk-test-key"), circuit_threshold=50)
        try:
            return await asyncio.gather(*[client.generate(r) for r in reqs]), client
        finally:
            await client.aclose()
    return asyncio.run(go())


@pytest.mark.parametrize("proto", PROTOCOLS)
def test_structured_completion_and_exact_cost(proto):
    with FakeProvider(latency_s=0.01) as fake:
        (c,), _ = _run(_spec(proto, fake), [_req(0)])
        assert c.status == "ok" and "```python" in c.text
        assert c.input_tokens > 0 and c.output_tokens > 0 and c.request_id
        assert c.finish_reason in ("stop", "end_turn") and not c.truncated and c.attempts == 1
        assert c.cost_usd == pytest.approx((c.input_tokens * 1.0 + c.output_tokens * 4.0) / 1e6)
        assert fake.billed == {"gen-0": 1}          # the generation id travels with the request


@pytest.mark.parametrize("proto", PROTOCOLS)
def test_faults_are_retried_until_every_request_completes(proto):
    plan = FaultPlan(p429=0.2, p5xx=0.05, p_malformed=0.05, retry_after_s=0.05)
    with FakeProvider(faults=plan, seed=3) as fake:
        outs, client = _run(_spec(proto, fake), [_req(i) for i in range(40)])
        assert [c.status for c in outs] == ["ok"] * 40
        assert fake.statuses[429] > 0 and fake.statuses[503] > 0
        assert client.rate_limited == fake.statuses[429]
        assert max(c.attempts for c in outs) > 1


@pytest.mark.parametrize("proto", PROTOCOLS)
def test_retry_after_is_honoured(proto):
    plan = FaultPlan(p429=1.0, retry_after_s=0.6)
    with FakeProvider(faults=plan) as fake:
        t0 = time.monotonic()
        (c,), _ = _run(_spec(proto, fake, retry={"max_attempts": 2}), [_req(0)])
        assert c.status == "api_error" and c.attempts == 2 and c.error_detail.startswith("rate_limit")
        assert time.monotonic() - t0 >= 0.6                 # waited Retry-After, not 0.01 s
        assert fake.billed_total == 0


@pytest.mark.parametrize("proto", PROTOCOLS)
def test_permanent_4xx_is_fatal_at_once(proto):
    with FakeProvider(faults=FaultPlan(fatal_status=400)) as fake:
        (c,), _ = _run(_spec(proto, fake), [_req(0)])
        assert c.status == "api_error" and c.attempts == 1 and c.error_detail.startswith("fatal")
        assert fake.requests == 1 and c.cost_usd == 0.0


@pytest.mark.parametrize("proto", PROTOCOLS)
def test_timeouts_are_retried_within_elapsed_bound(proto):
    plan = FaultPlan(p_hang=1.0, hang_s=3.0)
    with FakeProvider(faults=plan) as fake:
        t0 = time.monotonic()
        (c,), _ = _run(_spec(proto, fake, retry={"timeout_s": 0.3, "max_attempts": 50, "max_elapsed_s": 1.0}),
                       [_req(0)])
        elapsed = time.monotonic() - t0
        assert c.status == "api_error" and "timed out" in c.error_detail
        assert 2 <= c.attempts <= 5 and elapsed < 3.0       # bounded by max_elapsed_s, not attempts
        assert fake.billed_total == 0


@pytest.mark.parametrize("proto", PROTOCOLS)
def test_truncation_by_max_tokens_is_flagged(proto):
    with FakeProvider(max_output_tokens=5) as fake:
        (c,), _ = _run(_spec(proto, fake), [_req(0, max_tokens=5)])
        assert c.status == "ok" and c.truncated and c.output_tokens == 5


def test_circuit_breaker_stops_a_failing_model():
    with FakeProvider(faults=FaultPlan(fatal_status=401)) as fake:
        spec = _spec("openai", fake)

        async def go():
            client = ModelClient(spec, get_backend("openai")(spec, api_key="k"), circuit_threshold=3)
            outs = [await client.generate(_req(i)) for i in range(10)]
            await client.aclose()
            return outs
        outs = asyncio.run(go())
        assert [c.status for c in outs] == ["api_error"] * 3 + ["circuit_open"] * 7
        assert fake.requests == 3 and "HTTP 401" in outs[-1].error_detail


def test_bedrock_reaches_the_models_concurrency():
    """boto3 is synchronous: its calls need threads of their own. On the event loop's default
    pool (min(32, CPUs + 4) threads) a model's concurrency above that was never reached."""
    default_pool = min(32, (os.cpu_count() or 1) + 4)
    n = default_pool + 8
    with FakeProvider(latency_s=0.4) as fake:
        spec = _spec("bedrock", fake, concurrency=n)
        results, _ = _run(spec, [_req(i) for i in range(n)])
    assert all(r.status == "ok" for r in results)
    assert fake.max_in_flight > default_pool


def test_openai_reasoning_models_get_max_completion_tokens_and_no_temperature():
    """api.openai.com refuses max_tokens and a temperature other than 1 for its reasoning
    models (a fatal 400 on every request); ``reasoning: true`` sends what they accept."""
    with FakeProvider(reasoning_models={"model-x"}) as fake:
        plain, _ = _run(_spec("openai", fake), [_req(0)])
        reasoning, _ = _run(_spec("openai", fake, reasoning=True), [_req(1, max_tokens=50)])
    assert plain[0].status == "api_error" and "max_completion_tokens" in plain[0].error_detail
    assert reasoning[0].status == "ok" and 0 < reasoning[0].output_tokens <= 50
