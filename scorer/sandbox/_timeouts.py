"""Per-test time limits that scale with the reference solution (slow hosts stay fair)."""
from __future__ import annotations

import math

from .._errors import ScorerError


def per_test_timeout(reference_s: float, floor_s: float, factor: float) -> float:
    """``max(floor_s, factor * reference_s)``: the wall-clock limit for one test.

    ``reference_s`` is the reference solution's measured time for that test on this host;
    the limit and the host go into every result so a timeout can be judged later."""
    for name, v in (("reference_s", reference_s), ("floor_s", floor_s), ("factor", factor)):
        if not isinstance(v, (int, float)) or isinstance(v, bool) or math.isnan(v) or v < 0 or math.isinf(v):
            raise ScorerError(f"per_test_timeout: {name} must be a finite number >= 0, got {v!r}")
    if floor_s <= 0 and reference_s * factor <= 0:
        raise ScorerError("per_test_timeout: the limit would be 0 s (give a positive floor_s)")
    return max(float(floor_s), float(factor) * float(reference_s))
