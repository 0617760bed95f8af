"""`codeharvest collect`: run (or --dry-run estimate) a collection job."""
from __future__ import annotations

from pathlib import Path

import typer

from ._console import make_console


def register(app: typer.Typer) -> None:
    @app.command("collect", help="Run a collection job (benchmarks x models x samples -> generations -> scores).")
    def _collect(
        ctx: typer.Context,
        job_file: Path = typer.Argument(..., help="Job spec (YAML).", dir_okay=False),
        dry_run: bool = typer.Option(False, "--dry-run", help="Print requests and estimated cost per model; send nothing."),
        ray_address: str = typer.Option(None, "--ray-address", envvar="RAY_ADDRESS",
                                        help="Ray cluster address [default: a local Ray]"),
        no_progress: bool = typer.Option(False, "--no-progress", help="No live progress display."),
        journal_dir: Path = typer.Option(None, "--journal-dir", help="Where paid completions are journaled "
                                         "before the warehouse [default: ~/.cache/codeharvest/journal/<warehouse hash>]"),
    ) -> None:

        from .._progress import estimate_table, summary_table
        from .._run import CollectOptions, collect
        from .._spec import load_job

        job = load_job(job_file)
        state = ctx.obj
        # --warehouse / CODEHARVEST_WAREHOUSE beat the spec's warehouse:, which beats the default
        warehouse = state.warehouse if state.warehouse_given else (job.warehouse or state.warehouse)
        base = job_file.resolve().parent
        opts = CollectOptions(warehouse=warehouse, base_dir=base, ray_address=ray_address, dry_run=dry_run,
                              progress=not no_progress, journal_dir=journal_dir)
        summary = collect(job, opts)
        out = make_console()
        if dry_run:
            out.print(estimate_table(summary.estimate or []))
            return
        out.print(summary_table(summary))
        failed = sum(s.failed for s in summary.models.values())
        out.print(f"warehouse: {warehouse}  (try: codeharvest --warehouse {warehouse} query "
                  f"\"SELECT model_id, count(*) FROM generations GROUP BY 1\")")
        if failed:
            out.print(f"[yellow]{failed} generation(s) failed (api_error / circuit_open / budget_exhausted);"
                      " a rerun retries them[/]")
