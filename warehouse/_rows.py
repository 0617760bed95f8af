"""Turn what a caller hands to ``append`` into a table of exactly the declared schema."""
from __future__ import annotations

import datetime as dt

import pyarrow as pa

from ._errors import WarehouseError


def normalise(table: str, schema: pa.Schema, key: str, rows, written_at: dt.datetime) -> pa.Table:
    """Unknown columns are an error; missing ones become null; ``written_at`` is always ours;
    a key repeated within the batch keeps its last row (files never hold a key twice)."""
    if isinstance(rows, pa.RecordBatch):
        rows = pa.Table.from_batches([rows])
    if isinstance(rows, pa.Table):
        names = list(rows.column_names)
    elif isinstance(rows, list) and all(isinstance(r, dict) for r in rows):
        names = sorted({k for r in rows for k in r})
    else:
        raise WarehouseError(f"append to '{table}' expects a list of dicts or a pyarrow Table")
    unknown = [n for n in names if n not in schema.names]
    if unknown:
        raise WarehouseError(f"unknown column(s) for table '{table}': {', '.join(unknown)}")
    n = rows.num_rows if isinstance(rows, pa.Table) else len(rows)
    arrays = []
    try:
        for field in schema:
            if field.name == "written_at":
                arrays.append(pa.array([written_at] * n, field.type))
            elif field.name not in names:
                arrays.append(pa.nulls(n, field.type))
            elif isinstance(rows, pa.Table):
                arrays.append(rows.column(field.name).cast(field.type))
            else:
                arrays.append(pa.array([r.get(field.name) for r in rows], field.type))
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError) as exc:
        raise WarehouseError(f"bad value for column '{field.name}' of '{table}': {' '.join(str(exc).split())[:200]}") from None
    out = pa.Table.from_arrays(arrays, schema=schema)
    keys = out.column(key)
    if keys.null_count:
        raise WarehouseError(f"append to '{table}': key column '{key}' must not be null")
    values = keys.to_pylist()
    last = {v: i for i, v in enumerate(values)}
    if len(last) != len(values):
        out = out.take(pa.array(sorted(last.values()), pa.int64()))
    return out
