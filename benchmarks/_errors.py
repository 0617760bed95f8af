class BenchmarkError(Exception):
    """A user-facing benchmark problem (unknown name, data missing or malformed): one line, exit 2."""
