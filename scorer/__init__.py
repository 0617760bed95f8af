"""Scorer: executes benchmark tests in sandboxes, CodeBLEU, labels. Imports benchmarks only."""
from ._errors import ScorerError

__all__ = ["ScorerError"]
