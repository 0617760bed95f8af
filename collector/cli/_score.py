"""`codeharvest score`."""
from __future__ import annotations

import typer

from ..errors import NotAvailableYet


def register(app: typer.Typer) -> None:
    @app.command("score", help="Score a samples file (EvalPlus format) against a benchmark's tests.",
                 context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
    def _score(ctx: typer.Context) -> None:
        raise NotAvailableYet("'score' is not available yet (issue 5)")
