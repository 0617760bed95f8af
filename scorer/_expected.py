"""Expected outputs computed by running the reference solution, as EvalPlus does.

EvalPlus stores no expected outputs for its plus inputs: it runs the canonical solution on
every input and times it (the per-input time limit is ``max(floor, factor * t)``). We run the
reference in the sandbox (never in this process) and cache the values and times on disk, keyed
by a hash of everything the outputs depend on (reference, entry point, inputs, set-up).
"""
from __future__ import annotations

import hashlib
import json
import logging
import marshal
import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from ._literal import decode, encode

log = logging.getLogger(__name__)


@dataclass
class Expected:
    value: Any
    time_s: float
    ok: bool          # False when the reference itself failed on this input
    detail: str = ""
    digest: str | None = None   # set instead of value for large outputs (see _digest.py)


def reference_key(task_id: str, reference: str, setup: str, entry_point: str | None,
                  exprs: list[str]) -> str:
    h = hashlib.sha256()
    for part in (task_id, reference, setup, entry_point or "", *exprs):
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\0")
    return h.hexdigest()[:32]


class ExpectedStore:
    """In-memory and (optionally) on-disk cache of reference outputs per (task, inputs) hash."""

    def __init__(self, cache_dir: Path | str | None = None) -> None:
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self._mem: dict[str, dict[str, Expected]] = {}
        self._lock = threading.Lock()
        self._key_locks: dict[str, threading.Lock] = {}

    def get(self, key: str, compute: Callable[[], dict[str, Expected]]) -> dict[str, Expected]:
        """Cached outputs for ``key`` (expression -> Expected), computing them at most once."""
        with self._lock:
            if key in self._mem:
                return self._mem[key]
            lock = self._key_locks.setdefault(key, threading.Lock())
        with lock:
            if key in self._mem:
                return self._mem[key]
            found = self._load(key)
            if found is None:
                found = compute()
                if not all(e.ok for e in found.values()):
                    log.warning("reference failed on %d input(s) (after a retry); cached as such",
                                sum(not e.ok for e in found.values()))
                try:
                    self._save(key, found)
                except (OSError, ValueError, TypeError) as exc:
                    log.warning("could not cache reference outputs %s: %s", key, exc)
            with self._lock:
                self._mem[key] = found
            return found

    def _paths(self, key: str) -> tuple[Path, Path] | None:
        """(marshal file, JSON file): marshal where every value has a marshal form (50x
        faster to write and read than tagged JSON), tagged JSON otherwise (e.g. opaque values)."""
        if not self.cache_dir:
            return None
        return self.cache_dir / f"{key}.marshal", self.cache_dir / f"{key}.json"

    def _load(self, key: str) -> dict[str, Expected] | None:
        paths = self._paths(key)
        if paths is None:
            return None
        fast, tagged = paths
        try:
            if fast.is_file():
                return {k: Expected(*v) for k, v in marshal.loads(fast.read_bytes()).items()}
            if tagged.is_file():
                data = json.loads(tagged.read_text())
                return {k: Expected(decode(v[0]), float(v[1]), bool(v[2]), v[3], v[4])
                        for k, v in data["outputs"].items()}
        except (OSError, ValueError, EOFError, KeyError, TypeError, IndexError):
            log.warning("ignoring unreadable expected-output cache %s", fast.parent / key)
        return None

    def _save(self, key: str, outputs: dict[str, Expected]) -> None:
        paths = self._paths(key)
        if paths is None:
            return
        fast, tagged = paths
        fast.parent.mkdir(parents=True, exist_ok=True)
        try:  # version 2: no shared references, so no two loaded values alias one object
            blob = marshal.dumps({k: (e.value, float(e.time_s), bool(e.ok), e.detail, e.digest)
                                  for k, e in outputs.items()}, 2)
            path = fast
        except ValueError:  # a value marshal cannot write
            blob = json.dumps({"outputs": {k: [encode(e.value), e.time_s, e.ok, e.detail, e.digest]
                                           for k, e in outputs.items()}}).encode()
            path = tagged
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{key}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(blob)
        os.replace(tmp, path)  # atomic: concurrent scorers never read half a file
