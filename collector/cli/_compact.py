"""`codeharvest compact`."""
from __future__ import annotations

import typer

from ..errors import NotAvailableYet


def register(app: typer.Typer) -> None:
    @app.command("compact", help="Merge small Parquet files without ever hiding or doubling a row.",
                 context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
    def _compact(ctx: typer.Context) -> None:
        raise NotAvailableYet("'compact' is not available yet (issue 2)")
