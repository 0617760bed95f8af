"""A Ray actor owning one sandbox and one Scorer, so the collector can run a pool of them."""
from __future__ import annotations

from typing import Any

from ._result import ScoreResult


class ScorerWorker:
    """The actor's body (also usable in-process): opens its sandbox once, scores batches."""

    def __init__(self, sandbox_kind: str = "auto", *, run_id: str | None = None,
                 image: str | None = None, **scorer_kwargs: Any) -> None:
        from ._scorer import Scorer
        from .sandbox import open_sandbox

        self._sandbox = open_sandbox(sandbox_kind, run_id=run_id, image=image)
        self._scorer = Scorer(self._sandbox, **scorer_kwargs)

    def describe(self) -> str:
        return self._scorer.sandbox_name

    def limits(self) -> str:
        return self._scorer.limits_json

    def score_batch(self, items: list[tuple[Any, ...]]) -> list[ScoreResult]:
        """Items are ``(task, extraction)`` or ``(task, extraction, truncated)``."""
        return [self._scorer.score(item[0], item[1], truncated=bool(item[2]) if len(item) > 2 else False)
                for item in items]

    def close(self) -> None:
        self._sandbox.close()


def make_actor_class() -> Any:
    import ray

    return ray.remote(num_cpus=1)(ScorerWorker)
