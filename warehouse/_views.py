"""Analytic DuckDB views installed on every warehouse connection, after the de-duplicated
base views ``tasks``, ``generations``, ``scores`` and ``runs``.

Each entry is (view name, SELECT statement); order matters (later views may use earlier ones).
"""
from __future__ import annotations

ANALYTIC_VIEWS: list[tuple[str, str]] = []
