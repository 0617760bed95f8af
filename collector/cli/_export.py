"""`codeharvest export`: leakage-safe training splits in the formats router trainers read."""
from __future__ import annotations

import json
from pathlib import Path

import typer

from ._routing import open_warehouse, split_values

FORMATS_HELP = "routerbench | routellm | regression | bandit | sft"


def register(app: typer.Typer) -> None:
    @app.command("export", help="Export leakage-safe training splits for router trainers "
                                f"({FORMATS_HELP}); Parquet or JSONL by the extension of --out.")
    def _export(
        ctx: typer.Context,
        fmt: str = typer.Argument(..., metavar="FORMAT", help=FORMATS_HELP),
        out: Path = typer.Option(..., "--out", "-o", help="Output file: .parquet or .jsonl (a manifest goes beside it)."),
        benchmarks: list[str] = typer.Option(None, "--benchmarks", "-b", help="Benchmarks (repeated or comma-separated)."),
        models: list[str] = typer.Option(None, "--models", "-m", help="Models (repeated or comma-separated)."),
        seed: int = typer.Option(0, "--seed", min=0, help="Split (and bandit logging) seed."),
        val: float = typer.Option(0.1, "--val", help="Validation share of tasks per benchmark."),
        test: float = typer.Option(0.2, "--test", help="Test share of tasks per benchmark."),
        cheap: str = typer.Option(None, "--cheap", help="routellm weak / sft local model (default: the cheapest)."),
        strong: str = typer.Option(None, "--strong", help="routellm strong / sft API model (default: the priciest)."),
        lam: float = typer.Option(0.0, "--lambda", help="sft: label by the oracle under R = s - lambda * c."),
        scale: bool = typer.Option(False, "--scale", help="regression: add standard-scaled targets per benchmark."),
        logging_policy: str = typer.Option("uniform", "--logging-policy", help="bandit: uniform | epsilon_greedy."),
        policy: str = typer.Option(None, "--policy", help="bandit: the model epsilon-greedy logging follows."),
        epsilon: float = typer.Option(0.1, "--epsilon", help="bandit: exploration rate."),
        w_q: float = typer.Option(1.0, "--wq", help="bandit: quality weight of the reward."),
        w_c: float = typer.Option(1.0, "--wc", help="bandit: cost weight of the reward."),
        tau: float = typer.Option(None, "--tau", help="bandit: cost cap in USD (default: the largest cost)."),
    ) -> None:
        from warehouse import ExportOptions, export_data

        options = ExportOptions(
            benchmarks=tuple(split_values(benchmarks)), models=tuple(split_values(models)), seed=seed, val=val,
            test=test, cheap=cheap, strong=strong, lam=lam, scale=scale, logging_policy=logging_policy,
            greedy_model=policy, epsilon=epsilon, w_q=w_q, w_c=w_c, tau=tau)
        with open_warehouse(ctx) as wh:
            result = export_data(wh, fmt, out, options)
        typer.echo(json.dumps({"format": result.format, "files": result.files, "manifest": str(result.manifest),
                               "rows_per_split": result.rows_per_split}))
