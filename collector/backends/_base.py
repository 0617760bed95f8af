"""The backend contract and registry."""
from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Callable, ClassVar

from .._types import Completion, ProviderError, Request
from ..errors import JobError

if TYPE_CHECKING:
    from .._spec import ModelSpec

BACKENDS: dict[str, type["Backend"]] = {}


def register(name: str) -> Callable[[type["Backend"]], type["Backend"]]:
    def deco(cls: type[Backend]) -> type[Backend]:
        cls.name = name
        BACKENDS[name] = cls
        return cls
    return deco


def get_backend(name: str) -> type["Backend"]:
    try:
        return BACKENDS[name]
    except KeyError:
        raise JobError(f"unknown backend {name!r} (known: {', '.join(sorted(BACKENDS))})") from None


class Backend:
    """One attempt per ``complete`` call; retries, limits and cost live in ModelClient.

    ``complete`` raises ProviderError (classified rate_limit / transient / fatal) on failure.
    """

    name: ClassVar[str] = ""
    paid: ClassVar[bool] = True          # needs prices and a budget
    needs_key: ClassVar[bool] = True     # needs api_key_env set in the environment
    default_key_env: ClassVar[str | None] = None
    measures_gpu_time: ClassVar[bool] = False   # its completions carry gpu_seconds (gpu_hour_usd)

    def __init__(self, spec: "ModelSpec", *, api_key: str | None = None, base_dir: Path | None = None):
        self.spec = spec
        self.api_key = api_key
        self.base_dir = base_dir or Path.cwd()

    @classmethod
    def key_env(cls, spec: "ModelSpec") -> str | None:
        return spec.api_key_env or cls.default_key_env

    @classmethod
    def in_flight(cls, spec: "ModelSpec") -> int:
        """Requests this model may have open at once (its client's limit)."""
        return spec.concurrency

    @classmethod
    def backend_model_for(cls, spec: "ModelSpec", base_dir: Path) -> str:
        """The model name that enters generation ids."""
        return spec.backend_model

    @classmethod
    def preflight(cls, spec: "ModelSpec", base_dir: Path) -> list[str]:
        """Problems to report before the first paid call (never touches the network)."""
        problems: list[str] = []
        env = cls.key_env(spec)
        if cls.needs_key and env and not os.environ.get(env):
            problems.append(f"model {spec.id!r}: environment variable {env} is not set")
        if spec.gpu_hour_usd is not None and not cls.measures_gpu_time:
            # (e.g. `vllm serve` behind the openai backend: no GPU time comes back, so every
            # generation would cost $0 and the budget would never stop it)
            problems.append(f"model {spec.id!r}: gpu_hour_usd needs a backend that measures GPU time "
                            f"(vllm); backend {cls.name!r} is priced per token (prices: ...)")
        elif cls.paid and spec.prices is None and spec.gpu_hour_usd is None:
            problems.append(f"model {spec.id!r}: no prices (prices: input_per_mtok/output_per_mtok)")
        return problems

    async def complete(self, req: Request) -> Completion:  # pragma: no cover - abstract
        raise NotImplementedError

    async def aclose(self) -> None:
        return None


def malformed_or_bug(exc: Exception, short) -> ProviderError:
    """A body we could not parse is transient (flaky proxies); anything else is our bug: fatal."""
    import json

    name = type(exc).__name__
    if isinstance(exc, (json.JSONDecodeError, ValueError, KeyError, IndexError)) or any(
            w in name for w in ("Validation", "Decode", "Pars")):
        return ProviderError(f"malformed response: {name}: {short(str(exc))}", kind="transient")
    return ProviderError(f"client error: {name}: {short(str(exc))}", kind="fatal")


def status_kind(status: int) -> str:
    """HTTP status -> error class shared by the HTTP providers."""
    if status == 429:
        return "rate_limit"
    if status in (408, 409, 425, 500, 502, 503, 504, 529) or status >= 500:
        return "transient"
    return "fatal"


__all__ = ["BACKENDS", "Backend", "ProviderError", "get_backend", "register", "status_kind"]
