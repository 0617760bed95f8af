"""Errors the CLI turns into one line on stderr and exit code 2."""
from benchmarks import BenchmarkError
from scorer import ScorerError
from warehouse import WarehouseError


class JobError(Exception):
    """A user-facing collector problem (bad job spec, missing key, unknown model): one line, exit 2."""


USER_ERRORS: tuple[type[Exception], ...] = (JobError, BenchmarkError, ScorerError, WarehouseError)
