"""Warehouse: append-only Parquet tables with de-duplicating DuckDB views. Imports nothing of ours."""
from ._errors import WarehouseError
from ._schema import KEYS, TABLES
from ._warehouse import Warehouse, check_read_only
from .keys import content_key, task_key

__all__ = ["KEYS", "TABLES", "Warehouse", "WarehouseError", "check_read_only", "content_key", "task_key"]
# router data (issue 7): analytics, routing evaluation, exports, report
from ._analytics import first_samples, memory_warehouse, model_summary, oracle_gap, outcomes, query_df
from ._exports import EXPORTS, ExportOptions, ExportResult, assign_splits, export_data
from ._report import build_report, write_report
from ._routing import (DEFAULT_LAMBDAS, RoutingResult, RoutingTasks, evaluate_routing, evaluate_tasks,
                       multi_model_table)
from ._views import ANALYTIC_VIEWS

__all__ += ["ANALYTIC_VIEWS", "DEFAULT_LAMBDAS", "EXPORTS", "ExportOptions", "ExportResult", "RoutingResult",
            "RoutingTasks", "assign_splits", "build_report", "evaluate_routing", "evaluate_tasks", "export_data",
            "first_samples", "memory_warehouse", "model_summary", "multi_model_table", "oracle_gap", "outcomes",
            "query_df", "write_report"]
