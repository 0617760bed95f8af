"""`codeharvest report`: one self-contained HTML file (inline SVG, no scripts, no network)."""
from __future__ import annotations

from pathlib import Path

import typer

from ..errors import JobError
from ._routing import open_warehouse, parse_lambdas, split_values


def parse_pairs(values: list[str] | None) -> dict[str, tuple[str, str]]:
    """``BENCH=CHEAP,STRONG`` per benchmark."""
    pairs: dict[str, tuple[str, str]] = {}
    for value in values or []:
        bench, sep, models = value.partition("=")
        parts = [m.strip() for m in models.split(",") if m.strip()]
        if not sep or not bench.strip() or len(parts) != 2:
            raise JobError(f"--pair {value!r}: expected BENCHMARK=CHEAP,STRONG")
        pairs[bench.strip()] = (parts[0], parts[1])
    return pairs


def register(app: typer.Typer) -> None:
    @app.command("report", help="Write a self-contained HTML report (model table, oracle gap, cost-quality "
                                "frontiers, routing with CIs, error types).")
    def _report(
        ctx: typer.Context,
        out: Path = typer.Option(Path("report.html"), "--out", "-o", help="The HTML file to write."),
        benchmarks: list[str] = typer.Option(None, "--benchmarks", "-b", help="Benchmarks (repeated or comma-separated)."),
        pair: list[str] = typer.Option(None, "--pair", help="BENCHMARK=CHEAP,STRONG for the routing section "
                                                            "(default: the cheapest and the priciest model)."),
        lambdas: list[str] = typer.Option(None, "--lambdas", "-l", help="Cost weights, repeated or comma-separated."),
        bootstrap: int = typer.Option(2000, "--bootstrap", min=0, help="Paired bootstrap resamples."),
        seed: int = typer.Option(0, "--seed", min=0, help="Seed of the resamples and the validation split."),
    ) -> None:
        from warehouse import DEFAULT_LAMBDAS, write_report

        if out.suffix.lower() not in (".html", ".htm"):
            raise JobError(f"--out must end in .html (got {out.name!r})")
        lams = parse_lambdas(lambdas) or list(DEFAULT_LAMBDAS)
        with open_warehouse(ctx) as wh:
            path = write_report(wh, out, benchmarks=split_values(benchmarks) or None, pairs=parse_pairs(pair),
                                lambdas=lams, bootstrap=bootstrap, seed=seed)
        typer.echo(str(path))
