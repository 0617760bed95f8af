"""`codeharvest query`."""
from __future__ import annotations

import typer

from ..errors import NotAvailableYet


def register(app: typer.Typer) -> None:
    @app.command("query", help="Run SQL over the warehouse views.",
                 context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
    def _query(ctx: typer.Context) -> None:
        raise NotAvailableYet("'query' is not available yet (issue 2)")
