"""Scorer: executes benchmark tests in sandboxes, CodeBLEU, labels. Imports benchmarks only."""
from ._errors import ScorerError
from ._result import SCORER_ID, ScoreResult
from ._plan import test_suite_hash
from ._pool import ThreadedScorer
from ._scorer import Scorer

__all__ = ["SCORER_ID", "ScoreResult", "Scorer", "ScorerActor", "ScorerError", "ScorerWorker",
           "ThreadedScorer", "test_suite_hash"]


def __getattr__(name: str):
    # Ray is heavy to import: ScorerActor (ray.remote(ScorerWorker)) is built on first use.
    if name == "ScorerActor":
        from ._actor import make_actor_class

        globals()["ScorerActor"] = cls = make_actor_class()
        return cls
    if name == "ScorerWorker":
        from ._actor import ScorerWorker

        return ScorerWorker
    raise AttributeError(name)
