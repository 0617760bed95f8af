"""Checks of the numbers a user gives (seeds, counts, fractions, weights), before any work:
NaN passes every comparison, and a bool is an int to Python."""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._errors import WarehouseError


def finite(value: Any) -> bool:
    try:
        return not isinstance(value, bool) and math.isfinite(value)
    except TypeError:
        return False


def check_count(flag: str, value: Any) -> None:
    """``value`` is an integer >= 0 (a seed, a number of resamples)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise WarehouseError(f"{flag} must be an integer >= 0 (got {value})")
