"""Ray actors of the collector: one async ModelActor per model.

The actor journals each completion (fsync) before returning it, so a completion that was
paid for survives the driver being killed while the answer is on its way back. Model
actors are placed on the driver's node (they do I/O, not compute) so they share its
journal folder; vLLM replicas, which need GPUs, are separate actors (backends/_vllm.py).
"""
from __future__ import annotations

import asyncio
import datetime as _dt
import os
import threading
import time
from pathlib import Path
from typing import Any

from ._client import ModelClient
from ._journal import JournalWriter
from ._spec import ModelSpec
from ._types import Request
from .backends import get_backend


class Secret:
    """A value that never shows itself in a repr, a log line or an error message."""

    def __init__(self, value: str | None):
        self._value = value

    def get(self) -> str | None:
        return self._value

    def __repr__(self) -> str:
        return "Secret(***)"

    __str__ = __repr__


def now_utc() -> _dt.datetime:
    return _dt.datetime.now(_dt.timezone.utc)


class ModelWorker:
    """The actor's logic, usable without Ray (unit tests, perf)."""

    def __init__(self, spec_json: dict[str, Any], *, base_dir: str, journal_dir: str | None,
                 circuit_threshold: int = 10, secret: Secret | None = None,
                 backend_kwargs: dict[str, Any] | None = None, driver_pid: int | None = None):
        self.spec = ModelSpec.model_validate(spec_json)
        cls = get_backend(self.spec.backend)
        env = cls.key_env(self.spec)
        key = os.environ.get(env) if env else None
        if key is None and secret is not None:
            key = secret.get()
        backend = cls(self.spec, api_key=key, base_dir=Path(base_dir), **(backend_kwargs or {}))
        self.client = ModelClient(self.spec, backend, circuit_threshold=circuit_threshold)
        self.journal = JournalWriter(journal_dir, prefix=self.spec.id) if journal_dir else None
        if driver_pid is not None and driver_pid != os.getpid():
            _watch_driver(driver_pid)

    async def generate(self, req: Request) -> dict[str, Any]:
        c = await self.client.generate(req)
        row = dict(req.row)
        row.update(
            raw_output=c.text if c.status == "ok" else None,
            input_tokens=c.input_tokens, output_tokens=c.output_tokens,
            reasoning_tokens=c.reasoning_tokens, cached_input_tokens=c.cached_input_tokens,
            cost_usd=c.cost_usd, latency_s=c.latency_s, finish_reason=c.finish_reason,
            truncated=c.truncated, status=c.status, error_detail=c.error_detail,
            request_id=c.request_id, attempts=c.attempts, created_at=now_utc().isoformat())
        if self.journal is not None and c.status != "circuit_open":
            # durable before it is acknowledged; inline, so the window between the provider
            # billing a completion and the fsync stays as short as it can be
            self.journal.append(row)
        return row

    def stats(self) -> dict[str, Any]:
        return {"attempts": self.client.attempts_total, "rate_limited": self.client.rate_limited,
                "circuit_open": self.client.circuit.open, "circuit_reason": self.client.circuit.reason,
                "journal": str(self.journal.path) if self.journal else None}

    async def close(self) -> None:
        await self.client.aclose()
        if self.journal is not None:
            self.journal.close()


def _watch_driver(pid: int, period_s: float = 0.05) -> None:
    """Exit this actor process the moment the driver dies.

    Ray reaps a dead driver's actors only after a while; meanwhile they would keep sending
    requests that a rerun sends again (paid twice). Exiting closes the open connections, so
    an unfinished request is abandoned, and whatever completed is already in the journal.
    """

    def watch() -> None:
        while True:
            time.sleep(period_s)
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                os._exit(0)
            except PermissionError:
                pass

    threading.Thread(target=watch, name="driver-watchdog", daemon=True).start()


def model_actor_cls():
    import ray

    return ray.remote(ModelWorker)
