"""Shared by the tests of unwritable ``--out`` paths."""
from __future__ import annotations

from pathlib import Path


def lay_out(tmp: Path, setup: str) -> list[str]:
    """Make ``setup`` in ``tmp`` (a folder when it ends in "/", else an empty file; "" nothing)
    and return the folder's listing, to compare with afterwards: nothing half-written."""
    if setup.endswith("/"):
        (tmp / setup).mkdir()
    elif setup:
        (tmp / setup).write_text("")
    return sorted(p.name for p in tmp.iterdir())
