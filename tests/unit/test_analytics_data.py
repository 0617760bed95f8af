"""Builders of small hand-computed warehouses shared by the analytics, routing and export tests.

``outcome(...)`` describes one task x model x sample; ``build_rows`` turns a list of them into
rows of the four base tables (with the real schema), ready for ``memory_warehouse`` or
``Warehouse.append``.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone

from warehouse import content_key, task_key

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)


@dataclass
class Outcome:
    benchmark: str
    task_id: str
    model: str
    score: float | None = None
    pass_hidden: bool | None = None
    pass_visible: bool | None = None
    cost: float = 0.0
    sample: int = 0
    error_type: str | None = None
    gen_status: str = "ok"
    score_status: str | None = "scored"
    prompt: str | None = None
    raw_output: str = ""
    input_tokens: int = 10
    output_tokens: int = 5
    latency: float = 1.0
    run_id: str = "run-1"


def outcome(benchmark, task_id, model, score=None, **kw) -> Outcome:
    o = Outcome(benchmark, task_id, model, score, **kw)
    if o.pass_hidden is None and o.score is not None and o.score_status == "scored":
        o.pass_hidden = o.score >= 1.0
    if o.pass_visible is None and o.pass_hidden is not None:
        o.pass_visible = o.pass_hidden
    if o.error_type is None and o.pass_hidden is False:
        o.error_type = "assertion_failed"
    if not o.raw_output:
        o.raw_output = f"def f():\n    return '{model} answer {task_id}'\n"
    return o


def build_rows(outcomes: list[Outcome], tasks_extra: dict | None = None) -> dict[str, list[dict]]:
    """Rows of tasks/generations/scores/runs for the given outcomes."""
    tasks: dict[str, dict] = {}
    gens, scores, runs = [], [], {}
    for o in outcomes:
        tk = task_key(o.benchmark, "1", o.task_id)
        tasks.setdefault(tk, {
            "task_key": tk, "benchmark": o.benchmark, "benchmark_version": "1", "task_id": o.task_id,
            "kind": "function", "language": "python", "dimension": "code_generation",
            "prompt": o.prompt if o.prompt is not None else f"Write a function for task {o.task_id}.",
            "reference": "", "visible_tests": 1, "hidden_tests": 3, "metadata": "{}", "written_at": T0,
            **((tasks_extra or {}).get(o.task_id, {})),
        })
        gid = content_key("gen", tk, o.model, o.sample)
        gens.append({
            "generation_id": gid, "run_id": o.run_id, "task_key": tk, "benchmark": o.benchmark,
            "benchmark_version": "1", "task_id": o.task_id, "model_id": o.model, "backend": "replay",
            "backend_model": o.model, "sample_index": o.sample, "prompt_template": "t@1",
            "sampling": json.dumps({"temperature": 0}),
            "prompt_text": tasks[tk]["prompt"], "raw_output": o.raw_output,
            "extracted_code": o.raw_output, "extraction_status": "ok",
            "input_tokens": o.input_tokens, "output_tokens": o.output_tokens, "cost_usd": o.cost,
            "latency_s": o.latency, "finish_reason": "stop", "truncated": False, "status": o.gen_status,
            "created_at": T0, "written_at": T0,
        })
        runs[o.run_id] = {"run_id": o.run_id, "job_spec": "{}", "code_version": "test", "status": "finished",
                          "started_at": T0, "finished_at": T0, "counts": "{}", "spend_usd": 0.0,
                          "written_at": T0}
        if o.gen_status == "ok" and o.score_status is not None:
            scored = o.score_status == "scored"
            scores.append({
                "score_id": content_key("score", gid), "generation_id": gid, "run_id": o.run_id,
                "task_key": tk, "benchmark": o.benchmark, "task_id": o.task_id, "model_id": o.model,
                "sample_index": o.sample, "scorer": "exec@1", "status": o.score_status,
                "visible_passed": int(bool(o.pass_visible)) if scored else None,
                "visible_total": 1 if scored else None,
                "hidden_passed": round(3 * o.score) if scored and o.score is not None else None,
                "hidden_total": 3 if scored else None,
                "pass_visible": o.pass_visible if scored else None,
                "pass_hidden": o.pass_hidden if scored else None,
                "score": o.score if scored else None,
                "error_type": o.error_type if scored else o.score_status,
                "created_at": T0, "written_at": T0,
            })
    return {"tasks": list(tasks.values()), "generations": gens, "scores": scores, "runs": list(runs.values())}


def fill_warehouse(uri: str, rows: dict[str, list[dict]]) -> str:
    """Append the rows into a real ``Warehouse`` at ``uri`` (one Parquet file per table)."""
    from warehouse import Warehouse

    with Warehouse.open(uri) as wh:
        for table in ("tasks", "generations", "scores", "runs"):
            if rows.get(table):
                wh.append(table, rows[table])
    return uri


def routing_rows(n: int = 40) -> dict[str, list[dict]]:
    """A benchmark 'bench' with a cheap, a mid and a strong model whose outcomes follow task order."""
    outs = []
    for i in range(n):
        cheap_ok = i % 3 != 0
        outs.append(outcome("bench", f"t{i:03d}", "cheap", 1.0 if cheap_ok else 0.0, cost=0.001,
                            pass_visible=cheap_ok or i % 9 == 0, prompt="p" * (20 + 7 * i)))
        outs.append(outcome("bench", f"t{i:03d}", "strong", 1.0 if i % 10 else 0.5, cost=0.02))
        outs.append(outcome("bench", f"t{i:03d}", "mid", 1.0 if i % 2 else 0.0, cost=0.005,
                            error_type=None if i % 2 else "runtime_error"))
    outs.append(outcome("bench", "t000", "mid", None, sample=1, gen_status="api_error", score_status=None))
    return build_rows(outs)
