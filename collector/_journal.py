"""Append-only journal: every paid completion is on disk (fsync'ed) before it is
acknowledged, and flushed to the warehouse in small batches. A rerun replays what a crash
left behind, so nothing that was paid for is requested again."""
from __future__ import annotations

import hashlib
import json
import logging
import os
import uuid
from pathlib import Path
from typing import Any, Iterator, Mapping

log = logging.getLogger(__name__)


def default_journal_dir(warehouse_uri: str) -> Path:
    """One journal folder per warehouse (``$CODEHARVEST_STATE_DIR`` or ~/.cache/codeharvest)."""
    base = os.environ.get("CODEHARVEST_STATE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "codeharvest")
    uri = warehouse_uri if "://" in warehouse_uri else str(Path(warehouse_uri).resolve())
    return Path(base) / "journal" / hashlib.sha256(uri.encode()).hexdigest()[:16]


class JournalWriter:
    """One file per writer (no locking between processes); one fsync per record."""

    def __init__(self, directory: str | Path, prefix: str = "j"):
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in prefix)[:40]
        self.path = self.dir / f"{safe}-{os.getpid()}-{uuid.uuid4().hex[:8]}.jsonl"
        self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self._dir_synced = False

    def append(self, record: dict[str, Any]) -> None:
        data = (json.dumps(record, default=str, separators=(",", ":")) + "\n").encode("utf-8")
        os.write(self._fd, data)
        os.fsync(self._fd)
        if not self._dir_synced:   # the file's name must survive a crash too
            dfd = os.open(self.dir, os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
            self._dir_synced = True

    def close(self) -> None:
        try:
            os.close(self._fd)
        except OSError:
            pass


def read_journal(directory: str | Path) -> Iterator[tuple[Path, dict[str, Any]]]:
    """Every complete record of every journal file (a torn last line is skipped)."""
    d = Path(directory)
    if not d.is_dir():
        return
    for path in sorted(d.glob("*.jsonl")):
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for line in text.splitlines():
            if not line.strip():
                continue
            try:
                yield path, json.loads(line)
            except ValueError:
                log.warning("skipping a torn journal line in %s", path.name)


# generation statuses that are final: not requested again on a rerun
DONE_STATUSES = ("ok",)


def superseded(record: dict[str, Any], warehouse_status: Mapping[str, str]) -> bool:
    """Whether the warehouse already holds what a journal record says: its generation is
    there as done, or the record is not a success itself and the generation is there at all.
    A paid success is never given up for an earlier failed row of the same generation (a
    rerun retries failures: the retry's success may be in the journal only)."""
    have = warehouse_status.get(record.get("generation_id", ""))
    return have is not None and (have in DONE_STATUSES or record.get("status") not in DONE_STATUSES)


def prune_journal(directory: str | Path, warehouse_status: Mapping[str, str], *,
                  keep: set[Path] = frozenset(), closed: set[Path] = frozenset()) -> int:
    """Delete journal files all of whose records the warehouse supersedes (``superseded``;
    ``warehouse_status``: generation_id -> status there; ``closed``: files whose writers
    are known to be done, though their processes may live on)."""
    d = Path(directory)
    if not d.is_dir():
        return 0
    removed = 0
    by_file: dict[Path, bool] = {path: True for path in d.glob("*.jsonl")}
    for path, rec in read_journal(d):
        if by_file.get(path, True) and not superseded(rec, warehouse_status):
            by_file[path] = False
    for path, durable in by_file.items():
        if path in keep or (path not in closed and _writer_alive(path)):
            continue
        if durable:
            try:
                path.unlink()
                removed += 1
            except OSError:
                pass
    return removed


def _writer_alive(path: Path) -> bool:
    """A file whose writer process still runs (another job on this host) is never pruned."""
    try:
        pid = int(path.stem.rsplit("-", 2)[-2])
    except (ValueError, IndexError):
        return False
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
