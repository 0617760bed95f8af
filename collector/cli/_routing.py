"""`codeharvest routing`."""
from __future__ import annotations

import typer

from ..errors import NotAvailableYet


def register(app: typer.Typer) -> None:
    @app.command("routing", help="Evaluate routing policies (cheap-then-escalate, oracle, ...) with bootstrap CIs.",
                 context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
    def _routing(ctx: typer.Context) -> None:
        raise NotAvailableYet("'routing' is not available yet (issue 7)")
