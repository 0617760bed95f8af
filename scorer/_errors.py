class ScorerError(Exception):
    """A user-facing scoring problem (bad samples file, no usable sandbox): one line, exit 2."""
