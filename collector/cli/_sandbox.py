"""`codeharvest sandbox ...`."""
from __future__ import annotations

import typer

from ..errors import NotAvailableYet


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Check and clean up sandboxes.", no_args_is_help=True)
    app.add_typer(group, name="sandbox")

    @group.command("check", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
    def _check(ctx: typer.Context) -> None:
        raise NotAvailableYet("'sandbox check' is not available yet (issue 4)")

    @group.command("cleanup", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
    def _cleanup(ctx: typer.Context) -> None:
        raise NotAvailableYet("'sandbox cleanup' is not available yet (issue 4)")
