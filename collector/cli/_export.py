"""`codeharvest export`."""
from __future__ import annotations

import typer

from ..errors import NotAvailableYet


def register(app: typer.Typer) -> None:
    @app.command("export", help="Export leakage-safe training splits for router trainers.",
                 context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
    def _export(ctx: typer.Context) -> None:
        raise NotAvailableYet("'export' is not available yet (issue 7)")
