"""Collector: job specs, model backends, Ray orchestration and the CLI (the composition root)."""
from ._run import CollectOptions, Collector, ModelStats, RunSummary, collect
from ._spec import (BenchmarkSpec, JobSpec, ModelSpec, Prices, RateLimit, Retry, RuntimeSpec, Sampling,
                    ScoringSpec, load_job, parse_job)
from ._types import Completion, ProviderError, Request
from .backends import BACKENDS, Backend, register

__all__ = ["BACKENDS", "Backend", "BenchmarkSpec", "CollectOptions", "Collector", "Completion", "JobSpec",
           "ModelSpec", "ModelStats", "Prices", "ProviderError", "RateLimit", "Request", "Retry",
           "RunSummary", "RuntimeSpec", "Sampling", "ScoringSpec", "collect", "load_job", "parse_job",
           "register"]
