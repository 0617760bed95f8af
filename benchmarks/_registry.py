"""The benchmark registry: each family module registers its loaders here by name."""
from __future__ import annotations

from collections import Counter

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ._errors import BenchmarkError
from ._types import Task

log = logging.getLogger(__name__)

Loader = Callable[[str | Path | None, str | None], list[Task]]


@dataclass(frozen=True)
class BenchmarkInfo:
    """What a user needs to know about a benchmark before loading it."""

    name: str
    kind: str
    version: str
    source: str                                # where the data comes from, in words
    default_files: tuple[str, ...]             # relpaths under a data dir (layout of ../shared/data)
    language: str = "python"
    dimension: str = "code_generation"
    splits: tuple[str, ...] = ()
    default_split: str | None = None
    loader: Loader | None = field(default=None, repr=False, compare=False)


_REGISTRY: dict[str, BenchmarkInfo] = {}


def register(info: BenchmarkInfo) -> BenchmarkInfo:
    if info.name in _REGISTRY:
        raise ValueError(f"benchmark {info.name!r} registered twice")
    _REGISTRY[info.name] = info
    return info


def list_benchmarks() -> list[BenchmarkInfo]:
    return list(_REGISTRY.values())


def get_benchmark(name: str) -> BenchmarkInfo:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise BenchmarkError(f"unknown benchmark {name!r}; known: {', '.join(sorted(_REGISTRY))}") from None


def load_tasks(name: str, *, data_dir: str | Path | None = None, split: str | None = None) -> list[Task]:
    """Load every task of benchmark ``name`` (default split unless ``split`` is given)."""
    info = get_benchmark(name)
    if split is not None and split not in info.splits:
        if not info.splits:     # never ignored: a job would run every task it did not ask for
            raise BenchmarkError(f"benchmark {name!r} has no splits (got split {split!r}); "
                                 "leave the split out")
        raise BenchmarkError(f"benchmark {name!r} has no split {split!r}; choose one of {', '.join(info.splits)}")
    assert info.loader is not None
    tasks = info.loader(data_dir, split if split is not None else info.default_split)
    ids = Counter(t.task_id for t in tasks)
    twice = [tid for tid, n in ids.items() if n > 1]
    if twice:   # task ids key the warehouse and the generation ids: never two tasks of one id
        raise BenchmarkError(f"benchmark {name!r}: task id {twice[0]!r} is loaded twice"
                             + (f" (and {len(twice) - 1} more)" if len(twice) > 1 else ""))
    log.debug("loaded %d tasks of %s (split %s)", len(tasks), name, split or info.default_split)
    return tasks
