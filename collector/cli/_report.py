"""`codeharvest report`."""
from __future__ import annotations

import typer

from ..errors import NotAvailableYet


def register(app: typer.Typer) -> None:
    @app.command("report", help="Write a self-contained HTML report.",
                 context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
    def _report(ctx: typer.Context) -> None:
        raise NotAvailableYet("'report' is not available yet (issue 7)")
