"""Money: exact cost from provider-reported usage and the job's price table."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._spec import ModelSpec
    from ._types import Completion


def cost_usd(spec: "ModelSpec", c: "Completion") -> float:
    """(uncached input x input price + cached x cached price + output x output price) / 1e6,
    plus GPU seconds x ``gpu_hour_usd`` / 3600 for local models."""
    total = 0.0
    p = spec.prices
    if p is not None:
        cached = min(c.cached_input_tokens, c.input_tokens)
        cached_price = p.cached_input_per_mtok if p.cached_input_per_mtok is not None else p.input_per_mtok
        total += ((c.input_tokens - cached) * p.input_per_mtok + cached * cached_price
                  + c.output_tokens * p.output_per_mtok) / 1e6
    if spec.gpu_hour_usd:
        total += c.gpu_seconds * spec.gpu_hour_usd / 3600.0
    return total


def max_cost_usd(spec: "ModelSpec", input_tokens: int, max_tokens: int) -> float:
    """Upper bound of one request's cost (reserved against the budget before sending)."""
    p = spec.prices
    if p is None:
        return 0.0
    return (input_tokens * p.input_per_mtok + max_tokens * p.output_per_mtok) / 1e6


class Budget:
    """Reserve a request's worst-case cost before sending it, settle with the real cost.

    A request is only sent when spent + reserved + its worst case fits the budget, so the
    run stops *before* the budget is crossed, with less than one request's cost left over.
    Models priced by GPU time have no worst case before they run (``try_reserve(0)``): they
    are sent while anything is left and stopped once ``spent`` reaches the limit, so their
    requests in flight at that moment may cross it.
    """

    def __init__(self, limit_usd: float | None, spent_usd: float = 0.0):
        self.limit = limit_usd
        self.spent = spent_usd
        self.reserved = 0.0
        self.outstanding = 0          # reservations not yet settled (exact, unlike ``reserved``)
        self.exhausted = False

    def try_reserve(self, amount: float) -> bool:
        if self.limit is None:
            return True
        if self.spent >= self.limit:
            self.exhausted = True
            return False
        if amount == 0.0:
            return True
        if self.spent + self.reserved + amount > self.limit + 1e-12:
            if self.outstanding == 0:     # nothing in flight can free room: stop for good
                self.exhausted = True
            return False
        self.reserved += amount
        self.outstanding += 1
        return True

    def settle(self, reserved: float, actual: float) -> None:
        if reserved > 0.0:
            self.outstanding = max(0, self.outstanding - 1)
            # float sums settled in another order than reserved leave crumbs (1e-18): none
            # may keep a finished run waiting for room that nothing in flight will free
            self.reserved = max(0.0, self.reserved - reserved) if self.outstanding else 0.0
        self.spent += actual
