"""Scoring with several sandboxes from threads of one process (no Ray on a single machine).

A worker's host side mostly waits on its sandbox (the socket read releases the GIL), so
threads keep N sandboxes busy without the seconds Ray costs to start and stop. The workers
share one ExpectedStore: a task's reference runs once, in whichever worker gets the task
first. The scheduler never lets a worker wait for a reference another worker is computing
while other work is left: it first takes samples of tasks whose reference is known, then
starts a new task, and waits only when nothing else remains.
"""
from __future__ import annotations

import queue
import threading
from collections import OrderedDict, deque
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Hashable, Iterator, Sequence, TypeVar

from ._expected import ExpectedStore
from ._result import ScoreResult
from ._scorer import Scorer

Item = TypeVar("Item")


class _Schedule:
    """Hands out items grouped by task: ready tasks first, then new ones."""

    def __init__(self, items: Sequence[Any], task_of: Callable[[Any], Hashable]) -> None:
        self._pending: OrderedDict[Hashable, deque] = OrderedDict()
        for item in items:
            self._pending.setdefault(task_of(item), deque()).append(item)
        self._new = deque(self._pending)           # tasks not started, in input order
        self._ready: set[Hashable] = set()          # reference known: any worker may take them
        self._busy: set[Hashable] = set()           # first sample (and reference) in progress
        self._cond = threading.Condition()

    def take(self) -> tuple[Hashable, Any] | None:
        with self._cond:
            while True:
                for task in list(self._ready):
                    q = self._pending.get(task)
                    if q:
                        return task, q.popleft()
                    self._ready.discard(task)
                if self._new:
                    task = self._new.popleft()
                    self._busy.add(task)
                    return task, self._pending[task].popleft()
                if not self._busy:
                    return None
                self._cond.wait()

    def done(self, task: Hashable) -> None:
        with self._cond:
            if task in self._busy:
                self._busy.discard(task)
                if self._pending.get(task):
                    self._ready.add(task)
                self._cond.notify_all()


class ThreadedScorer:
    """``workers`` sandboxes, each with its own Scorer, sharing reference outputs.

    ``open_sandbox``: a callable returning a started sandbox (called once per worker, in
    parallel). ``score`` yields ``(item, ScoreResult)`` in completion order.
    """

    def __init__(self, open_sandbox: Callable[[], Any], workers: int, *,
                 cache_dir: Any = None, **scorer_kwargs: Any) -> None:
        self.expected = ExpectedStore(cache_dir)
        with ThreadPoolExecutor(max_workers=workers) as ex:
            futures = [ex.submit(open_sandbox) for _ in range(workers)]
            sandboxes, errors = [], []
            for f in futures:
                try:
                    sandboxes.append(f.result())
                except Exception as exc:  # noqa: BLE001 - close the others, then re-raise
                    errors.append(exc)
        if errors:
            for sb in sandboxes:
                sb.close()
            raise errors[0]
        self.sandboxes = sandboxes
        self.scorers = [Scorer(sb, expected=self.expected, **scorer_kwargs) for sb in sandboxes]

    @property
    def sandbox_name(self) -> str:
        return self.scorers[0].sandbox_name

    @property
    def limits_json(self) -> str:
        return self.scorers[0].limits_json

    def score(self, items: Sequence[Item], task_of: Callable[[Item], Any],
              score_one: Callable[[Scorer, Item], ScoreResult]) -> Iterator[tuple[Item, ScoreResult]]:
        schedule = _Schedule(items, lambda it: id(task_of(it)))
        results: queue.Queue = queue.Queue()

        def work(scorer: Scorer) -> None:
            try:
                while (got := schedule.take()) is not None:
                    task, item = got
                    try:
                        results.put((item, score_one(scorer, item)))
                    finally:
                        schedule.done(task)
            except BaseException as exc:  # noqa: BLE001 - surfaced in the caller's thread
                results.put(exc)
            finally:
                results.put(None)

        threads = [threading.Thread(target=work, args=(s,), daemon=True, name=f"scorer-{i}")
                   for i, s in enumerate(self.scorers)]
        for t in threads:
            t.start()
        running = len(threads)
        while running:
            got = results.get()
            if got is None:
                running -= 1
            elif isinstance(got, BaseException):
                raise got
            else:
                yield got

    def close(self) -> None:
        for sb in self.sandboxes:
            sb.close()
