"""Offline backends for demos and harness self-tests: ``reference`` answers with the
benchmark's canonical solution (the harness should score it ~100 %); ``replay`` imports an
existing samples file (EvalPlus/human-eval ``samples.jsonl``: task_id + completion or solution)."""
from __future__ import annotations

import hashlib
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

from .._types import Completion, ProviderError, Request
from ..errors import JobError
from ._base import Backend, register

if TYPE_CHECKING:
    from .._spec import ModelSpec


@register("reference")
class ReferenceBackend(Backend):
    paid = False
    needs_key = False

    @classmethod
    def backend_model_for(cls, spec: "ModelSpec", base_dir: Path) -> str:
        return spec.model or "reference"

    async def complete(self, req: Request) -> Completion:
        task = req.task
        ref = task.reference or ""
        if task.kind == "classification":
            text = ref
        else:
            text = f"```{task.language or ''}\n{ref.rstrip()}\n```\n"
        return Completion(text=text, finish_reason="stop", request_id=f"reference:{task.task_id}")


def _samples_path(spec: "ModelSpec", base_dir: Path) -> Path:
    if not spec.samples:
        raise JobError(f"model {spec.id!r}: the replay backend needs samples: <path to a JSONL file>")
    p = Path(spec.samples).expanduser()
    if not p.is_absolute():
        p = (base_dir / p) if (base_dir / p).exists() else p.resolve()
    return p


def load_samples(path: Path) -> dict[str, list[str]]:
    """task_id -> outputs in file order (the k-th line of a task is its sample k)."""
    from benchmarks import BenchmarkError, iter_jsonl

    out: dict[str, list[str]] = defaultdict(list)
    try:
        for n, rec in iter_jsonl(path):
            text = rec.get("completion", rec.get("solution", rec.get("output", rec.get("raw_output"))))
            if "task_id" not in rec:
                raise JobError(f"{path}:{n}: not a sample (needs task_id and completion/solution)")
            if text is None:
                raise JobError(f"{path}:{n}: sample has no completion/solution/output field")
            out[str(rec["task_id"])].append(str(text))
    except BenchmarkError as exc:      # unreadable, not UTF-8, malformed JSON: one line
        raise JobError(f"samples file {exc}") from None
    return dict(out)


@register("replay")
class ReplayBackend(Backend):
    paid = False
    needs_key = False

    def __init__(self, spec: "ModelSpec", *, api_key: str | None = None, base_dir: Path | None = None):
        super().__init__(spec, api_key=api_key, base_dir=base_dir)
        self.samples = load_samples(_samples_path(spec, self.base_dir))

    @classmethod
    def backend_model_for(cls, spec: "ModelSpec", base_dir: Path) -> str:
        """The file's content hash: editing the samples gives new generation ids."""
        p = _samples_path(spec, base_dir)
        try:
            digest = hashlib.sha256(p.read_bytes()).hexdigest()[:12]
        except OSError as exc:
            raise JobError(f"cannot read samples file {p}: {exc.strerror or exc}") from None
        return f"{spec.model or 'replay'}:{digest}"

    @classmethod
    def preflight(cls, spec: "ModelSpec", base_dir: Path) -> list[str]:
        try:
            load_samples(_samples_path(spec, base_dir))
        except JobError as exc:
            return [str(exc)]
        return []

    async def complete(self, req: Request) -> Completion:
        outs = self.samples.get(req.task.task_id, [])
        if req.sample_index >= len(outs):
            raise ProviderError(f"no sample {req.sample_index} for {req.task.task_id} in the replay file",
                                kind="fatal")
        return Completion(text=outs[req.sample_index], finish_reason="stop",
                          request_id=f"replay:{req.task.task_id}:{req.sample_index}")
