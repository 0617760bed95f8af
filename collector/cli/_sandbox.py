"""`codeharvest sandbox check|cleanup`: which sandbox backend works here, and removing
containers left behind by crashed runs (found by their labels)."""
from __future__ import annotations

import typer

from ._console import make_console


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="Check and clean up sandboxes.", no_args_is_help=True)
    app.add_typer(group, name="sandbox")

    @group.command("check")
    def _check(
        image: str = typer.Option(None, "--image", help="Docker image to check [default: codeharvest-sandbox:latest]"),
    ) -> None:
        """Start each backend and run one probe job: a table of backend, ok, reason.

        Exit 0 when at least one backend works, 1 when none does."""
        from rich.table import Table

        from scorer.sandbox import check_backends

        checks = check_backends(image=image)
        table = Table(title="sandbox backends")
        table.add_column("backend")
        table.add_column("ok")
        table.add_column("reason", overflow="fold")
        for c in checks:
            table.add_row(c.name, "yes" if c.ok else "no", c.reason)
        make_console().print(table)
        if not any(c.ok for c in checks):
            raise typer.Exit(1)

    @group.command("cleanup")
    def _cleanup(
        run_id: str = typer.Option(None, "--run-id", help="Only the containers of this run"),
    ) -> None:
        """Remove sandbox containers (label codeharvest.sandbox=1) left behind; print how many."""
        from scorer.sandbox import cleanup_containers

        n = cleanup_containers(run_id)
        scope = f" of run {run_id}" if run_id else ""
        typer.echo(f"removed {n} sandbox container{'s' if n != 1 else ''}{scope}")
