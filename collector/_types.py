"""Structured values that cross the collector's boundaries (driver <-> model actors)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from benchmarks import Task

ErrorClass = Literal["rate_limit", "transient", "fatal"]


@dataclass
class Request:
    """One generation to make; ``row`` holds the generation-row columns known up front."""

    generation_id: str
    model_id: str
    task: Task
    messages: list[dict[str, str]]
    prompt_text: str
    sample_index: int
    sampling: dict[str, Any]            # temperature, top_p, max_tokens, seed
    est_input_tokens: int = 0
    row: dict[str, Any] = field(default_factory=dict)

    @property
    def seed(self) -> int | None:
        base = self.sampling.get("seed")
        return None if base is None else int(base) + self.sample_index


@dataclass
class Completion:
    """What a backend returns: text plus everything needed to account for it."""

    text: str = ""
    finish_reason: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    cached_input_tokens: int = 0
    cost_usd: float = 0.0
    latency_s: float = 0.0
    request_id: str | None = None
    attempts: int = 1
    status: str = "ok"                  # ok | api_error | circuit_open | budget_exhausted
    error_detail: str | None = None
    gpu_seconds: float = 0.0            # local models: share of the batch's GPU time

    @property
    def truncated(self) -> bool:
        return self.finish_reason in ("length", "max_tokens")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class ProviderError(Exception):
    """One failed attempt, classified so the retry policy knows what to do with it."""

    def __init__(self, message: str, *, kind: ErrorClass, retry_after: float | None = None,
                 status_code: int | None = None, request_id: str | None = None):
        super().__init__(message)
        self.kind = kind
        self.retry_after = retry_after
        self.status_code = status_code
        self.request_id = request_id


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After (or retry-after-ms) header value; None when absent/odd."""
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except (TypeError, ValueError):
        pass
    from email.utils import parsedate_to_datetime
    import datetime as _dt

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - _dt.datetime.now(_dt.timezone.utc)).total_seconds())
