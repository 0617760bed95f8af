"""Read the analytic views into DataFrames, from a Warehouse or a bare DuckDB connection.

Every analytics, routing, export and report function takes a *source*: a ``Warehouse``
(anything with ``.df(sql)`` or ``.sql(sql) -> pyarrow.Table``) or a ``duckdb`` connection on
which the base tables and ``ANALYTIC_VIEWS`` exist (see ``memory_warehouse``), so the same
code runs on a real warehouse and on small hand-built ones in tests.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from ._errors import WarehouseError
from ._schema import TABLES
from ._views import ANALYTIC_VIEWS


def query_df(source: Any, sql: str) -> pd.DataFrame:
    """Run ``sql`` on a Warehouse or DuckDB connection and return a pandas DataFrame."""
    if isinstance(source, duckdb.DuckDBPyConnection):
        try:
            return source.execute(sql).df()
        except duckdb.Error as exc:
            raise WarehouseError(" ".join(str(exc).split())) from exc
    if hasattr(source, "df"):
        return source.df(sql)
    if hasattr(source, "sql"):
        result = source.sql(sql)
        if isinstance(result, pa.Table):
            return result.to_pandas()
        return result.df()
    raise TypeError(f"not a warehouse or DuckDB connection: {type(source).__name__}")


def memory_warehouse(rows: Mapping[str, Iterable[Mapping[str, Any]] | pa.Table] | None = None
                     ) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the four base tables and the analytic views (tests, demos)."""
    con = duckdb.connect(":memory:")
    rows = rows or {}
    for name, schema in TABLES.items():
        data = rows.get(name, [])
        if isinstance(data, pa.Table):
            table = data
        else:
            full = [{f: r.get(f) for f in schema.names} for r in data]
            table = pa.Table.from_pylist(full, schema=schema)
        con.register(f"_{name}_arrow", table)
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM _{name}_arrow")
        con.unregister(f"_{name}_arrow")
    for view, select in ANALYTIC_VIEWS:
        con.execute(f"CREATE OR REPLACE VIEW {view} AS {select}")
    return con


def _in(column: str, values: Sequence[str] | None) -> str:
    if not values:
        return ""
    quoted = ", ".join("'" + str(v).replace("'", "''") + "'" for v in values)
    return f" AND {column} IN ({quoted})"


def outcomes(source: Any, benchmarks: Sequence[str] | None = None,
             models: Sequence[str] | None = None) -> pd.DataFrame:
    """The ``outcomes`` view, filtered."""
    return query_df(source, "SELECT * FROM outcomes WHERE true" + _in("benchmark", benchmarks)
                    + _in("model_id", models) + " ORDER BY benchmark, task_id, model_id, sample_index")


def model_summary(source: Any, benchmarks: Sequence[str] | None = None,
                  models: Sequence[str] | None = None) -> pd.DataFrame:
    """The ``model_summary`` view, filtered."""
    return query_df(source, "SELECT * FROM model_summary WHERE true" + _in("benchmark", benchmarks)
                    + _in("model_id", models) + " ORDER BY benchmark, model_id")


def oracle_gap(source: Any, benchmarks: Sequence[str] | None = None) -> pd.DataFrame:
    """The ``oracle_gap`` view, filtered."""
    return query_df(source, "SELECT * FROM oracle_gap WHERE true" + _in("benchmark", benchmarks)
                    + " ORDER BY benchmark")


def first_samples(source: Any, benchmarks: Sequence[str] | None = None,
                  models: Sequence[str] | None = None) -> pd.DataFrame:
    """One scored outcome per task x model: the lowest ``sample_index`` (exports, routing).

    Carries the generation's text columns and the task's prompt; infra failures and unscored
    generations are left out (they are not model outcomes).
    """
    sql = f"""
        SELECT o.*, t.prompt AS task_prompt, g.raw_output, g.extracted_code, g.prompt_text
        FROM outcomes o
        LEFT JOIN tasks t ON t.task_key = o.task_key
        LEFT JOIN generations g ON g.generation_id = o.generation_id
        WHERE o.outcome_status = 'scored' {_in('o.benchmark', benchmarks)} {_in('o.model_id', models)}
        QUALIFY row_number() OVER (PARTITION BY o.task_key, o.model_id
                                   ORDER BY o.sample_index, o.generation_id) = 1
        ORDER BY o.benchmark, o.task_id, o.model_id
    """
    df = query_df(source, sql)
    if not df.empty:
        df["quality"] = quality_of(df)
        df["task_prompt"] = df["task_prompt"].where(df["task_prompt"].notna(), df["prompt_text"])
    return df


def quality_of(df: pd.DataFrame) -> pd.Series:
    """Per-row quality in [0, 1]: hidden all-pass (0/1) where tests exist, else the score."""
    passed = df["pass_hidden"].astype("float64")
    return passed.where(passed.notna(), df["score"].astype("float64"))


def check_selection(available: Iterable[str], wanted: Sequence[str] | None, what: str,
                    where: str = "") -> list[str]:
    """Validate a user's benchmark/model selection against what the warehouse holds."""
    have = sorted(set(available))
    if not wanted:
        if not have:
            raise WarehouseError(f"no scored {what}s in the warehouse{where}")
        return have
    unknown = [w for w in wanted if w not in have]
    if unknown:
        listed = ", ".join(have) if have else "none"
        raise WarehouseError(f"unknown {what} {', '.join(repr(u) for u in unknown)}{where} "
                             f"(scored {what}s: {listed})")
    return list(dict.fromkeys(wanted))
