"""Collector pieces without Ray: journal, plan keys, offline backends, vLLM batching/accounting
(with a stand-in for vllm.LLM: no GPU in this test suite)."""
from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from benchmarks import Task
from collector._journal import JournalWriter, prune_journal, read_journal
from collector._plan import count_tokens, expand
from collector._run import CollectOptions, Collector
from collector._spec import ModelSpec, parse_job
from collector._types import Request
from collector.backends import VLLMEngine, get_backend
from collector.backends._offline import load_samples
from collector.errors import JobError


def _task(i: int = 0) -> Task:
    return Task(benchmark="humaneval", version="t", task_id=f"T/{i}", kind="function", language="python",
                dimension="code_generation", prompt=f"def f{i}(x):\n    \"\"\"Return x.\"\"\"\n",
                reference=f"def f{i}(x):\n    return x\n", entry_point=f"f{i}")


def test_journal_survives_a_torn_line_and_prunes_durable_files(tmp_path):
    w = JournalWriter(tmp_path, prefix="model/a")
    w.append({"generation_id": "g1", "raw_output": "x"})
    w.append({"generation_id": "g2", "raw_output": "y"})
    w.close()
    with open(w.path, "a") as f:
        f.write('{"generation_id": "g3", "raw_')          # a crash mid-write
    recs = [r for _, r in read_journal(tmp_path)]
    assert [r["generation_id"] for r in recs] == ["g1", "g2"]
    assert prune_journal(tmp_path, {"g1": "ok"}) == 0 and w.path.exists()
    assert prune_journal(tmp_path, {"g1": "ok", "g2": "ok"}) == 1 and not w.path.exists()


def test_journal_of_a_live_other_process_is_never_pruned(tmp_path):
    path = tmp_path / f"m-1-abcdef12.jsonl"            # pid 1 is alive (init)
    path.write_text('{"generation_id": "g"}\n')
    assert prune_journal(tmp_path, {"g": "ok"}) == 0 and path.exists()
    assert prune_journal(tmp_path, {"g": "ok"}, closed={path}) == 1


def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_a_journaled_success_is_not_given_up_for_an_earlier_failed_row(tmp_path):
    """Run 1 left an api_error row for g; run 2's retry of g was paid and journaled, then the
    driver died before flushing it. Run 3 must take the success from the journal (not pay
    for g a third time) and keep the journal file until the warehouse holds it."""
    from warehouse import Warehouse

    wh = Warehouse.open(str(tmp_path / "wh"), create=True)
    wh.append("generations", [{"generation_id": "g", "status": "api_error", "benchmark": "humaneval"},
                               {"generation_id": "h", "status": "ok", "benchmark": "humaneval"}])
    journal = tmp_path / "journal"
    journal.mkdir()
    path = journal / f"gpt-{_dead_pid()}-abcdef12.jsonl"
    path.write_text(json.dumps({"generation_id": "g", "status": "ok", "benchmark": "humaneval",
                                "raw_output": "paid", "cost_usd": 0.25}) + "\n"
                    + json.dumps({"generation_id": "h", "status": "api_error", "benchmark": "humaneval"})
                    + "\n")
    assert prune_journal(journal, {"g": "api_error", "h": "ok"}) == 0 and path.exists()
    c = Collector(parse_job(JOB % (3, "0.0")), CollectOptions(warehouse=str(tmp_path / "wh"), base_dir=tmp_path))
    c.wh = wh
    assert c._replay_journal(journal) == 1          # g's success; h's older failure is not news
    gens = wh.sql("SELECT generation_id, status, raw_output FROM generations ORDER BY 1").to_pylist()
    assert gens == [{"generation_id": "g", "status": "ok", "raw_output": "paid"},
                    {"generation_id": "h", "status": "ok", "raw_output": None}]
    assert not path.exists()                        # now every record is in the warehouse


JOB = """\
benchmarks: [{name: humaneval}]
models:
  - {id: ref, backend: reference}
  - {id: gpt, backend: openai, prices: {input_per_mtok: 1, output_per_mtok: 2}, retry: {max_attempts: %d}}
sampling: {temperature: %s, n: 2}
"""


def test_generation_ids_follow_outputs_not_client_settings(tmp_path):
    tasks = {"humaneval": [_task(0), _task(1)]}
    a = expand(parse_job(JOB % (3, "0.0")), tasks, tmp_path, "r1")
    b = expand(parse_job(JOB % (9, "0.0")), tasks, tmp_path, "r2")        # retries: same ids
    c = expand(parse_job(JOB % (3, "0.7")), tasks, tmp_path, "r3")        # temperature: new ids
    ids = lambda items: [it.request.generation_id for it in items]  # noqa: E731
    assert len(a) == 2 * 2 * 2 and len(set(ids(a))) == 8
    assert ids(a) == ids(b) and not set(ids(a)) & set(ids(c))
    assert [it.model.id for it in a[:2]] == ["ref", "gpt"]                # interleaved by model
    assert a[0].request.est_input_tokens == count_tokens(a[0].request.prompt_text) > 0


def test_replay_and_reference_backends(tmp_path):
    samples = tmp_path / "s.jsonl"
    samples.write_text('{"task_id": "T/0", "completion": "    return x\\n"}\n'
                       '{"task_id": "T/0", "solution": "def f0(x): return 1"}\n')
    assert load_samples(samples) == {"T/0": ["    return x\n", "def f0(x): return 1"]}
    spec = ModelSpec(id="rp", backend="replay", samples=str(samples), style="completion")
    job = parse_job(JOB % (3, "0.0"))
    items = expand(job.model_copy(update={"models": [spec]}), {"humaneval": [_task(0), _task(1)]}, tmp_path, "r")
    assert [(it.request.task.task_id, it.request.sample_index) for it in items] == [("T/0", 0), ("T/0", 1)]
    backend = get_backend("replay")(spec, base_dir=tmp_path)
    out = asyncio.run(backend.complete(items[1].request))
    assert out.text == "def f0(x): return 1" and out.cost_usd == 0.0
    ref = get_backend("reference")(ModelSpec(id="r", backend="reference"))
    text = asyncio.run(ref.complete(items[0].request)).text
    assert text.startswith("```python\n") and "return x" in text
    (tmp_path / "bad.jsonl").write_text('{"task": 1}\n')
    with pytest.raises(JobError, match=r"bad.jsonl:1"):
        load_samples(tmp_path / "bad.jsonl")


# ----------------------------------------------------------------------------- vLLM
@dataclass
class _Out:
    text: str
    token_ids: list[int]
    finish_reason: str


@dataclass
class _ReqOut:
    request_id: str
    prompt_token_ids: list[int]
    outputs: list[_Out]


class FakeLLM:
    """Stands in for vllm.LLM: records batches, answers deterministically."""

    def __init__(self):
        self.calls: list[int] = []

    def generate(self, prompts, params, use_tqdm=False):
        self.calls.append(len(prompts))
        return [_ReqOut(str(i), list(range(len(p.split()))),
                        [_Out(f"out:{p[:5]}", list(range(p_.max_tokens)), "length")])
                for i, (p, p_) in enumerate(zip(prompts, params))]

    def chat(self, convs, params, use_tqdm=False):
        return self.generate([c[-1]["content"] for c in convs], params)


@dataclass
class FakeParams:
    temperature: float
    top_p: float
    max_tokens: int
    seed: int | None = None


def _req(i: int, max_tokens: int = 4) -> Request:
    return Request(generation_id=f"g{i}", model_id="local", task=_task(i),
                   messages=[{"role": "user", "content": f"prompt number {i}"}], prompt_text=f"prompt number {i}",
                   sample_index=0, sampling={"temperature": 0.0, "top_p": 1.0, "max_tokens": max_tokens, "seed": 7})


def test_vllm_engine_shares_gpu_seconds_by_tokens():
    spec = ModelSpec(id="local", backend="vllm", model="tiny", tensor_parallel_size=2, gpu_hour_usd=2.0)
    llm = FakeLLM()
    eng = VLLMEngine(spec, llm=llm, sampling_params_cls=FakeParams)
    items = [{"messages": r.messages, "prompt_text": r.prompt_text, "sampling": r.sampling, "seed": r.seed,
              "style": "completion"} for r in (_req(1, 4), _req(2, 12))]
    res = eng.generate_batch(items)
    assert llm.calls == [2]
    assert [r["output_tokens"] for r in res] == [4, 12] and res[0]["finish_reason"] == "length"
    total = sum(r["gpu_seconds"] for r in res)
    assert total == pytest.approx(res[0]["latency_s"] * 2)            # wall x TP GPUs
    assert res[1]["gpu_seconds"] > res[0]["gpu_seconds"]


def test_vllm_backend_micro_batches_concurrent_requests():
    spec = ModelSpec(id="local", backend="vllm", model="tiny", batch_size=8, gpu_hour_usd=1.0, style="completion")
    llm = FakeLLM()
    eng = VLLMEngine(spec, llm=llm, sampling_params_cls=FakeParams)
    backend = get_backend("vllm")(spec, engines=[eng], max_wait_s=0.05)

    async def go():
        out = await asyncio.gather(*[backend.complete(_req(i)) for i in range(20)])
        await backend.aclose()
        return out
    outs = asyncio.run(go())
    assert len(outs) == 20 and all(o.output_tokens == 4 for o in outs)
    assert sum(backend.batches) == 20 and max(backend.batches) == 8 and len(backend.batches) <= 4
    assert all(o.gpu_seconds >= 0 for o in outs)


def test_vllm_without_the_extra_is_a_job_error(monkeypatch):
    import builtins
    real = builtins.__import__

    def no_vllm(name, *a, **k):
        if name == "vllm":
            raise ImportError("no vllm")
        return real(name, *a, **k)
    monkeypatch.setattr(builtins, "__import__", no_vllm)
    with pytest.raises(JobError, match="gpu extra"):
        VLLMEngine(ModelSpec(id="x", backend="vllm"))


def test_progress_summary_and_estimate_tables_render_the_numbers():
    from rich.console import Console

    from collector._cost import Budget
    from collector._progress import ProgressDisplay, estimate_table, summary_table
    from collector._run import ModelStats, RunSummary

    stats = {"gpt": ModelStats(total=10, skipped=2, done=5, in_flight=3, ok=4, failed=1, cost_usd=0.125,
                               scored=4, passed=3, circuit_open=True)}
    fake = type("C", (), {"run_id": "r1", "stats": stats, "budget": Budget(1.0, 0.125),
                          "job": type("J", (), {"budget_usd": 1.0})()})()
    con = Console(record=True, width=160)
    con.print(ProgressDisplay(fake, enabled=False).render())
    con.print(summary_table(RunSummary("r1", "finished", stats, spend_usd=0.125, budget_exhausted=True)))
    con.print(estimate_table([{"model": "gpt", "backend": "openai", "requests": 12, "already_done": 3,
                               "input_tokens": 900, "max_output_tokens": 1200, "min_cost_usd": 0.0009,
                               "max_cost_usd": 0.0057}]))
    text = con.export_text()
    assert "5/8" in text and "circuit open" in text and "$0.1250 of $1.00" in text
    assert "75.0%" in text and "BUDGET REACHED" in text and "0.0057" in text


def test_a_failed_flush_keeps_its_rows_for_the_next():
    """A warehouse write that fails (S3 hiccup) must not drop the rows it had taken: scores
    have no journal behind them."""
    class FlakyWarehouse:
        def __init__(self):
            self.fail, self.written = 1, []

        def append(self, table, rows):
            if self.fail:
                self.fail -= 1
                raise OSError("503 Slow Down")
            self.written.append((table, [r["k"] for r in rows]))

    c = Collector(parse_job(JOB % (3, "0.0")), CollectOptions(warehouse="unused", base_dir=Path(".")))
    c.wh = FlakyWarehouse()
    c._gen_buf, c._score_buf = [{"k": 1}, {"k": 2}], [{"k": 3}]
    with pytest.raises(OSError):
        c._flush(force=True)
    c._gen_buf.append({"k": 4})                   # appended meanwhile: after the kept rows
    c._flush(force=True)
    assert c.wh.written == [("generations", [1, 2, 4]), ("scores", [3])]
    assert c._gen_buf == [] and c._score_buf == []


@pytest.mark.parametrize("content,message", [
    ('{"task_id": "T/0", "completion": "caf\xe9"}\n'.encode("latin-1"), "unreadable (UnicodeDecodeError"),
    (b'{"task_id": "T/0", "completion": "x"}\n{oops\n', "line 2: malformed JSON"),
    (b'{"completion": "x"}\n', ":1: not a sample (needs task_id"),
    (b'{"task_id": "T/0"}\n', ":1: sample has no completion"),
])
def test_replay_samples_that_cannot_be_read_are_one_line_job_errors(tmp_path, content, message):
    path = tmp_path / "s.jsonl"
    path.write_bytes(content)
    with pytest.raises(JobError) as exc:
        load_samples(path)
    assert message in str(exc.value) and "\n" not in str(exc.value)


def test_replay_samples_split_at_newlines_only(tmp_path):
    path = tmp_path / "s.jsonl"
    path.write_text('{"task_id": "T/0", "completion": "a\u2028b"}\n{"task_id": "T/0", "solution": "c"}\n',
                    encoding="utf-8")
    assert load_samples(path) == {"T/0": ["a\u2028b", "c"]}


def test_gpu_hour_price_needs_a_backend_that_measures_gpu_time(tmp_path):
    """`vllm serve` behind the openai backend returns no GPU time: priced by gpu_hour_usd, every
    generation would cost $0 and no budget would stop it."""
    served = ModelSpec(id="served", backend="openai", model="Qwen/Qwen2.5-Coder-7B-Instruct",
                       base_url="http://127.0.0.1:8000/v1", gpu_hour_usd=2.0)
    problems = get_backend("openai").preflight(served, tmp_path)
    assert any("gpu_hour_usd needs a backend that measures GPU time" in p for p in problems)
    local = ModelSpec(id="local", backend="vllm", model="tiny", gpu_hour_usd=2.0)
    assert not any("gpu_hour_usd" in p for p in get_backend("vllm").preflight(local, tmp_path))


def test_vllm_batches_fill_up_through_the_client():
    """The client's concurrency limit (default 8) must not cap vLLM batches: a batch is billed
    by its wall time, so batches of 8 billed each generation several times its GPU share."""
    from collector._client import ModelClient

    spec = ModelSpec(id="local", backend="vllm", model="tiny", batch_size=32, gpu_hour_usd=1.0,
                     style="completion")
    assert spec.concurrency == 8
    eng = VLLMEngine(spec, llm=FakeLLM(), sampling_params_cls=FakeParams)
    backend = get_backend("vllm")(spec, engines=[eng], max_wait_s=0.05)

    async def go():
        client = ModelClient(spec, backend)
        try:
            return await asyncio.gather(*[client.generate(_req(i)) for i in range(64)])
        finally:
            await client.aclose()
    outs = asyncio.run(go())
    assert len(outs) == 64 and all(o.status == "ok" for o in outs)
    assert max(backend.batches) == 32 and len(backend.batches) == 2
