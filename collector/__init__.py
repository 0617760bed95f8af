"""Collector: job specs, model backends, Ray orchestration and the CLI (the composition root).

Names are loaded on first use (PEP 562), so `codeharvest score` and the other subcommands
that never run a job do not import Ray, the SDKs and the warehouse at start-up.
"""
from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "._run": ("CollectOptions", "Collector", "ModelStats", "RunSummary", "collect"),
    "._spec": ("BenchmarkSpec", "JobSpec", "ModelSpec", "Prices", "RateLimit", "Retry", "RuntimeSpec",
               "Sampling", "ScoringSpec", "load_job", "parse_job"),
    "._types": ("Completion", "ProviderError", "Request"),
    ".backends": ("BACKENDS", "Backend", "register"),
}
_MODULE_OF = {name: module for module, names in _WHERE.items() for name in names}

__all__ = sorted(_MODULE_OF)


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
