"""`codeharvest collect`."""
from __future__ import annotations

import typer

from ..errors import NotAvailableYet


def register(app: typer.Typer) -> None:
    @app.command("collect", help="Run a collection job (benchmarks x models x samples -> generations -> scores).",
                 context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
    def _collect(ctx: typer.Context) -> None:
        raise NotAvailableYet("'collect' is not available yet (issue 6)")
