"""Local models with vLLM: one Ray actor per replica (``num_gpus`` = tensor-parallel size)
wrapping the offline ``LLM`` with batched prompts.

Why not ``ray.data.llm``: it is built for a static dataset processed end to end, while a
collection job streams requests that arrive as the driver plans them, shares backpressure,
journaling and budgets with the API models, and must resume mid-run; a replica actor that
micro-batches whatever is queued keeps one code path for all backends and still hands vLLM
full batches (continuous batching inside ``LLM.generate`` does the rest).

``vllm`` is an optional extra (``pip install codeharvest[gpu]``) imported lazily.
"""
from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from .._types import Completion, ProviderError, Request
from ..errors import JobError
from ._base import Backend, register

if TYPE_CHECKING:
    from .._spec import ModelSpec


class VLLMEngine:
    """Batch generation and GPU-time accounting over an ``LLM``-like object.

    ``llm`` and ``sampling_params_cls`` can be injected (tests use stand-ins; no GPU here).
    """

    def __init__(self, spec: "ModelSpec", *, llm: Any = None,
                 sampling_params_cls: Callable[..., Any] | None = None):
        self.spec = spec
        if llm is None or sampling_params_cls is None:
            try:
                import vllm  # noqa: PLC0415 - optional extra
            except ImportError:
                raise JobError("the vllm backend needs the gpu extra: pip install 'codeharvest[gpu]'") from None
            if llm is None:
                args = {"model": spec.backend_model, "tensor_parallel_size": spec.tensor_parallel_size,
                        **spec.engine_args}
                llm = vllm.LLM(**args)
            sampling_params_cls = sampling_params_cls or vllm.SamplingParams
        self.llm = llm
        self.sampling_params_cls = sampling_params_cls

    def generate_batch(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """items: {messages, prompt_text, sampling, seed, style}; returns Completion dicts.

        GPU seconds of the batch (wall time x tensor-parallel GPUs) are shared among the
        requests in proportion to their tokens, so costs add up to what the GPUs cost.
        """
        if not items:
            return []
        params = []
        for it in items:
            s = it["sampling"]
            kw = dict(temperature=s["temperature"], top_p=s["top_p"], max_tokens=s["max_tokens"])
            if it.get("seed") is not None:
                kw["seed"] = it["seed"]
            params.append(self.sampling_params_cls(**kw))
        t0 = time.monotonic()
        chat = [it for it in items if it.get("style", "chat") == "chat"]
        if chat and len(chat) != len(items):
            raise ValueError("one batch mixes chat and completion prompts")
        if chat:
            outputs = self.llm.chat([it["messages"] for it in items], params, use_tqdm=False)
        else:
            outputs = self.llm.generate([it["prompt_text"] for it in items], params, use_tqdm=False)
        wall = time.monotonic() - t0
        gpu_seconds = wall * self.spec.tensor_parallel_size
        results = []
        tokens = []
        for out in outputs:
            o = out.outputs[0]
            n_in = len(out.prompt_token_ids or [])
            n_out = len(o.token_ids or [])
            tokens.append(n_in + n_out)
            results.append({"text": o.text, "finish_reason": o.finish_reason, "input_tokens": n_in,
                            "output_tokens": n_out, "request_id": str(getattr(out, "request_id", "")),
                            "latency_s": wall})
        total = sum(tokens) or len(results)
        for r, t in zip(results, tokens):
            r["gpu_seconds"] = gpu_seconds * ((t / total) if sum(tokens) else 1 / len(results))
        return results


def _replica_actor_cls():
    import ray

    @ray.remote
    class VLLMReplica:
        def __init__(self, spec_json: dict):
            from .._spec import ModelSpec

            self.engine = VLLMEngine(ModelSpec.model_validate(spec_json))

        def generate_batch(self, items):
            return self.engine.generate_batch(items)

    return VLLMReplica


@register("vllm")
class VLLMBackend(Backend):
    """Micro-batches concurrent ``complete`` calls into ``generate_batch`` on replica actors.

    ``engines`` (objects with ``generate_batch``, sync) may be injected for tests; otherwise
    ``spec.replicas`` Ray actors each reserve ``tensor_parallel_size`` GPUs.
    """

    paid = True
    needs_key = False
    measures_gpu_time = True

    @classmethod
    def in_flight(cls, spec: "ModelSpec") -> int:
        """Full batches on every replica: a batch is billed by its wall time, so capping it at
        ``concurrency`` (8 by default) billed each generation several times its GPU share."""
        return max(spec.concurrency, spec.batch_size * spec.replicas)

    def __init__(self, spec: "ModelSpec", *, api_key: str | None = None, base_dir: Path | None = None,
                 engines: list[Any] | None = None, max_wait_s: float = 0.05):
        super().__init__(spec, api_key=api_key, base_dir=base_dir)
        self._engines = engines
        self._handles: list[Any] | None = None
        self._queue: asyncio.Queue | None = None
        self._workers: list[asyncio.Task] = []
        self.max_wait_s = max_wait_s
        self.batches: list[int] = []           # batch sizes sent (observability, tests)

    @classmethod
    def preflight(cls, spec: "ModelSpec", base_dir: Path) -> list[str]:
        import importlib.util

        problems = []
        if importlib.util.find_spec("vllm") is None:
            problems.append(f"model {spec.id!r}: the vllm backend needs: pip install 'codeharvest[gpu]'")
        return problems

    def _start(self) -> None:
        if self._queue is not None:
            return
        self._queue = asyncio.Queue()
        if self._engines is None:
            replica = _replica_actor_cls()
            spec_json = self.spec.model_dump(mode="json")
            self._handles = [replica.options(num_gpus=self.spec.tensor_parallel_size).remote(spec_json)
                             for _ in range(self.spec.replicas)]
            targets = self._handles
        else:
            targets = self._engines
        self._workers = [asyncio.ensure_future(self._worker(t)) for t in targets]

    async def _worker(self, target: Any) -> None:
        assert self._queue is not None
        while True:
            first = await self._queue.get()
            batch = [first]
            deadline = time.monotonic() + self.max_wait_s
            while len(batch) < self.spec.batch_size:
                timeout = deadline - time.monotonic()
                if timeout <= 0:
                    break
                try:
                    batch.append(await asyncio.wait_for(self._queue.get(), timeout))
                except asyncio.TimeoutError:
                    break
            self.batches.append(len(batch))
            items = [it for it, _ in batch]
            try:
                if self._handles is not None:
                    results = await target.generate_batch.remote(items)
                else:
                    results = await asyncio.to_thread(target.generate_batch, items)
            except Exception as exc:  # noqa: BLE001 - a crashed replica fails this batch only
                for _, fut in batch:
                    if not fut.done():
                        fut.set_exception(ProviderError(f"vllm replica failed: {exc}", kind="transient"))
                continue
            for (_, fut), res in zip(batch, results):
                if not fut.done():
                    fut.set_result(res)

    async def complete(self, req: Request) -> Completion:
        self._start()
        assert self._queue is not None
        fut = asyncio.get_running_loop().create_future()
        await self._queue.put(({"messages": req.messages, "prompt_text": req.prompt_text,
                                "sampling": req.sampling, "seed": req.seed,
                                "style": self.spec.style}, fut))
        res = await fut
        return Completion(text=res["text"], finish_reason=res["finish_reason"],
                          input_tokens=res["input_tokens"], output_tokens=res["output_tokens"],
                          latency_s=res["latency_s"], request_id=res["request_id"] or None,
                          gpu_seconds=res["gpu_seconds"])

    async def aclose(self) -> None:
        for w in self._workers:
            w.cancel()
        if self._handles:
            import ray

            for h in self._handles:
                ray.kill(h)
