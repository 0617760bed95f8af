"""`codeharvest query "SQL" [--format table|csv|json]`: read-only SQL over the warehouse views."""
from __future__ import annotations

import datetime as dt
import decimal
import enum
import json
import math

import typer

from ._console import make_console


class OutputFormat(str, enum.Enum):
    table = "table"
    csv = "csv"
    json = "json"


def _plain(value):
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    return value


def _render_table(result) -> None:
    from rich.table import Table

    table = Table(show_lines=False)
    for name in result.column_names:
        table.add_column(name, overflow="fold")
    for row in result.to_pylist():
        table.add_row(*("" if v is None else str(v) for v in row.values()))
    make_console().print(table)
    typer.echo(f"({result.num_rows} row{'s' if result.num_rows != 1 else ''})", err=True)


def _render_csv(result) -> None:
    import csv
    import sys

    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(result.column_names)
    for row in result.to_pylist():
        writer.writerow(["" if v is None else _plain(v) for v in row.values()])


def _render_json(result) -> None:
    rows = [{k: _plain(v) for k, v in row.items()} for row in result.to_pylist()]
    typer.echo(json.dumps(rows, indent=None, default=str))


def register(app: typer.Typer) -> None:
    @app.command("query", help="Run one read-only SQL statement over the warehouse views "
                              "(tasks, generations, scores, runs and the analytic views).")
    def _query(
        ctx: typer.Context,
        sql: str = typer.Argument(..., help="A SELECT statement, e.g. \"SELECT model_id, avg(score) FROM scores GROUP BY 1\"."),
        fmt: OutputFormat = typer.Option(OutputFormat.table, "--format", "-f", help="Output format."),
    ) -> None:
        from warehouse import check_read_only

        from ._routing import open_warehouse

        check_read_only(sql)  # reject writes and syntax errors before touching the warehouse
        with open_warehouse(ctx) as wh:
            wh.confine()          # the statement reads the warehouse, no other file
            result = wh.sql(sql)
        {"table": _render_table, "csv": _render_csv, "json": _render_json}[fmt.value](result)
