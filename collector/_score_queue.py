"""The generations waiting to be scored, shared by the collector's scorer loops."""
from __future__ import annotations

import asyncio
from collections import deque
from typing import Any


class ScoreQueue:
    """A loop stops only when generation is over, nothing is queued and no other loop holds
    a batch: a scorer that fails for good gives its batch back to the front, where a live
    scorer takes it (behind a shutdown marker it would never be scored)."""

    def __init__(self) -> None:
        self._items: deque[Any] = deque()
        self._busy = 0               # batches taken and not yet done or given back
        self._closed = False
        self._changed = asyncio.Event()

    def put(self, item: Any) -> None:
        self._items.append(item)
        self._changed.set()

    def close(self) -> None:
        """No more generations: loops stop once everything queued is scored."""
        self._closed = True
        self._changed.set()

    async def take(self, size: int) -> list[Any] | None:
        """Up to ``size`` items (waits for one); None when there is nothing left to score."""
        while True:
            if self._items:
                self._busy += 1
                return [self._items.popleft() for _ in range(min(size, len(self._items)))]
            if self._closed and self._busy == 0:
                self._changed.set()          # the other loops stop too
                return None
            self._changed.clear()
            await self._changed.wait()

    def done(self) -> None:
        """The batch last taken is scored."""
        self._busy -= 1
        self._changed.set()

    def give_back(self, batch: list[Any]) -> None:
        """The batch last taken could not be scored here: first in line for another loop."""
        self._items.extendleft(reversed(batch))
        self.done()

    def __len__(self) -> int:
        return len(self._items)
