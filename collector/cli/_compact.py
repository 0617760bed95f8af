"""`codeharvest compact [--table T]`: merge small Parquet files, never hiding or doubling a row."""
from __future__ import annotations

import typer

from ._console import make_console


def register(app: typer.Typer) -> None:
    @app.command("compact", help="Merge small Parquet files without ever hiding or doubling a row.")
    def _compact(
        ctx: typer.Context,
        table: str = typer.Option(None, "--table", "-t", help="Only this table (tasks, generations, scores, runs)."),
    ) -> None:
        from rich.table import Table

        from ._routing import open_warehouse

        with open_warehouse(ctx) as wh:
            summary = wh.compact(table)
        out = Table(title=f"compacted {wh.uri}")
        for col in ("table", "files before", "files after", "rows", "files removed"):
            out.add_column(col)
        for name, s in summary.items():
            rows = "unchanged" if s["rows"] is None else str(s["rows"])
            out.add_row(name, str(s["files_before"]), str(s["files_after"]), rows, str(s["removed"]))
        make_console().print(out)
