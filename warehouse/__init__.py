"""Warehouse: append-only Parquet tables with de-duplicating DuckDB views. Imports nothing of ours."""
from ._errors import WarehouseError
from ._schema import KEYS, TABLES
from .keys import content_key, task_key

__all__ = ["KEYS", "TABLES", "WarehouseError", "content_key", "task_key"]
