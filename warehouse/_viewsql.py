"""SQL of the de-duplicating base views, generated from a ``TableState``.

Fast path (the normal case): every live file is checked, so the view is a plain scan of the
files without recorded losers, plus an anti-join on (file, row number) for the few files that
have some. Slow path (only while unchecked files exist): rows of unchecked files and rows
sharing their keys are de-duplicated with a window (latest ``written_at`` wins).
"""
from __future__ import annotations

import pyarrow as pa

from ._state import TableState

_DUCK_TYPES = {
    pa.string(): "VARCHAR", pa.large_string(): "VARCHAR", pa.int32(): "INTEGER", pa.int64(): "BIGINT",
    pa.float64(): "DOUBLE", pa.float32(): "FLOAT", pa.bool_(): "BOOLEAN", pa.int16(): "SMALLINT",
}


def duck_type(t: pa.DataType) -> str:
    if pa.types.is_timestamp(t):
        return "TIMESTAMPTZ" if t.tz else "TIMESTAMP"
    try:
        return _DUCK_TYPES[t]
    except KeyError:
        raise TypeError(f"no DuckDB type for {t}") from None


def q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def typed_empty(schema: pa.Schema) -> str:
    cols = ", ".join(f"CAST(NULL AS {duck_type(f.type)}) AS {q(f.name)}" for f in schema)
    return f"SELECT {cols} WHERE false"


def scan(paths: list[str], extra: str = "") -> str:
    files = ", ".join(lit(p) for p in paths)
    return f"read_parquet([{files}], union_by_name=true, hive_partitioning=false{extra})"


MAX_RANGES = 32  # loser rows forming at most this many runs are filtered by range, not a join


def runs(rows: tuple[int, ...]) -> list[tuple[int, int]]:
    """Sorted row numbers as inclusive (first, last) runs."""
    out: list[tuple[int, int]] = []
    for r in rows:
        if out and r == out[-1][1] + 1:
            out[-1] = (out[-1][0], r)
        else:
            out.append((r, r))
    return out


def _by_range(state: TableState) -> dict[str, list[tuple[int, int]]]:
    found = {}
    for rel, rows in state.losers.items():
        r = runs(rows)
        if len(r) <= MAX_RANGES:
            found[rel] = r
    return found


def losers_table(state: TableState, full) -> pa.Table:
    files: list[str] = []
    pos: list[int] = []
    ranged = _by_range(state)
    for rel, rows in state.losers.items():
        if rel in ranged:
            continue
        files.extend([full(rel)] * len(rows))
        pos.extend(rows)
    return pa.table({"file": pa.array(files, pa.string()), "pos": pa.array(pos, pa.int64())})


def view_sql(state: TableState, schema: pa.Schema, key: str, full, losers_name: str) -> str:
    """A SELECT over the table's live files in which each key appears once."""
    checked = [f for f in state.live if f not in set(state.unchecked)]
    clean = [full(f) for f in checked if f not in state.losers]
    ranged = _by_range(state)
    dirty = [full(f) for f in checked if f in state.losers and f not in ranged]
    parts = [typed_empty(schema)]
    if clean:
        parts.append(f"SELECT * FROM {scan(clean)}")
    for rel, spans in ranged.items():  # typically a resumed writer re-wrote one contiguous slice
        cond = " OR ".join(f"file_row_number BETWEEN {a} AND {b}" for a, b in spans)
        parts.append(f"SELECT * EXCLUDE (file_row_number) FROM {scan([full(rel)], ', file_row_number=true')} "
                     f"WHERE NOT ({cond})")
    if dirty:
        parts.append(
            f"SELECT * EXCLUDE (filename, file_row_number) FROM "
            f"{scan(dirty, ', filename=true, file_row_number=true')} AS _d "
            f"ANTI JOIN {losers_name} AS _l ON _l.file = _d.filename AND _l.pos = _d.file_row_number")
    base = " UNION ALL BY NAME ".join(f"({p})" for p in parts)
    cols = ", ".join(q(f.name) for f in schema)
    if not state.unchecked:
        return f"SELECT {cols} FROM ({base})"
    k = q(key)
    unchecked = f"({typed_empty(schema)}) UNION ALL BY NAME (SELECT * FROM {scan([full(f) for f in state.unchecked])})"
    return (
        f"WITH _b AS (SELECT {cols} FROM ({base})), _u AS (SELECT {cols} FROM ({unchecked})) "
        f"SELECT {cols} FROM _b WHERE {k} NOT IN (SELECT {k} FROM _u WHERE {k} IS NOT NULL) "
        f"UNION ALL "
        f"SELECT {cols} FROM (SELECT * FROM _u UNION ALL SELECT * FROM _b WHERE {k} IN (SELECT {k} FROM _u)) "
        f"QUALIFY row_number() OVER (PARTITION BY {k} ORDER BY written_at DESC NULLS LAST) = 1")
