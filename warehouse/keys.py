"""Content-hash keys (DESIGN.md section 3): a rerun finds what is already done."""
from __future__ import annotations

import hashlib
import json
from typing import Any


def content_key(*parts: Any) -> str:
    """A stable 32-hex-digit key over JSON-serialisable parts (dict keys sorted)."""
    blob = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:32]


def task_key(benchmark: str, benchmark_version: str, task_id: str) -> str:
    return content_key("task", benchmark, benchmark_version, task_id)
