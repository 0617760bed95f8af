"""`codeharvest benchmarks ...`."""
from __future__ import annotations

import typer

from ..errors import NotAvailableYet


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="List benchmarks and show their tasks.", no_args_is_help=True)
    app.add_typer(group, name="benchmarks")

    @group.command("list", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
    def _list(ctx: typer.Context) -> None:
        raise NotAvailableYet("'benchmarks list' is not available yet (issue 3)")

    @group.command("show", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
    def _show(ctx: typer.Context) -> None:
        raise NotAvailableYet("'benchmarks show' is not available yet (issue 3)")
