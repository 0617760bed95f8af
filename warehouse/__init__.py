"""Warehouse: append-only Parquet tables with de-duplicating DuckDB views. Imports nothing of ours.

Names are loaded on first use (PEP 562): importing ``warehouse`` for its error type or keys
must not pull in pandas and pyarrow (~0.5 s) for commands that never open a table.
"""
from __future__ import annotations

import importlib
from typing import Any

from ._errors import WarehouseError

_WHERE = {
    "._schema": ("KEYS", "TABLES"),
    "._warehouse": ("Warehouse", "check_read_only"),
    ".keys": ("content_key", "task_key"),
    # router data (issue 7): analytics, routing evaluation, exports, report
    "._analytics": ("first_samples", "memory_warehouse", "model_summary", "oracle_gap", "outcomes",
                    "query_df"),
    "._exports": ("EXPORTS", "ExportOptions", "ExportResult", "assign_splits", "export_data"),
    "._report": ("build_report", "write_report"),
    "._routing": ("DEFAULT_LAMBDAS", "RoutingResult", "RoutingTasks", "evaluate_routing",
                  "evaluate_tasks", "multi_model_table"),
    "._views": ("ANALYTIC_VIEWS",),
}
_MODULE_OF = {name: module for module, names in _WHERE.items() for name in names}

__all__ = sorted(["WarehouseError", *_MODULE_OF])


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
