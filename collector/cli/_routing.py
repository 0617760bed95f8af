"""`codeharvest routing`: cheap-vs-strong routing policies with paired-bootstrap CIs."""
from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import typer

from ..errors import JobError


def split_values(values: list[str] | None) -> list[str]:
    """Repeated options and comma-separated lists alike: ``--models a,b --models c``."""
    out: list[str] = []
    for value in values or []:
        out += [v.strip() for v in value.split(",") if v.strip()]
    return out


def parse_lambdas(values: list[str] | None) -> list[float] | None:
    if not values:
        return None
    out = []
    for text in split_values(values):
        try:
            lam = float(text)
        except ValueError:
            raise JobError(f"lambda {text!r} is not a number") from None
        if not math.isfinite(lam) or lam < 0:
            raise JobError(f"lambda {text!r} must be a finite number >= 0")
        out.append(lam)
    if not out:
        raise JobError("--lambdas is empty")
    return out


def open_warehouse(ctx: typer.Context) -> Any:
    """The warehouse named by ``--warehouse`` (it must exist: analytics never create one)."""
    return open_existing_warehouse(ctx.obj.warehouse)


def open_existing_warehouse(uri: str) -> Any:
    """Open a warehouse that must exist; a local directory that is not one says so."""
    from warehouse import Warehouse, WarehouseError
    from warehouse._storage import MARKER, local_path, open_storage

    try:
        return Warehouse.open(uri, create=False)
    except WarehouseError:
        root = local_path(open_storage(uri))
        if root is not None and root.is_dir():
            raise WarehouseError(f"{uri!r} is a directory but not a codeharvest warehouse "
                                 f"(it has no {MARKER})") from None
        raise


def given(ctx: typer.Context, *names: str) -> list[str]:
    """The options among ``names`` (parameter names) the user set (command line or environment)."""
    from typer._click.core import ParameterSource

    by_name = {p.name: p for p in ctx.command.params}
    out = []
    for name in names:
        if ctx.get_parameter_source(name) not in (None, ParameterSource.DEFAULT,
                                                  ParameterSource.DEFAULT_MAP):
            opts = getattr(by_name.get(name), "opts", None) or [name]
            out.append(max(opts, key=len))
    return out


def check_out(out: Path | None) -> None:
    """An output file that cannot be written is refused before any work (one line, exit 2)."""
    if out is not None:
        from warehouse._exports import check_output_path

        check_output_path(out)


def format_routing(result: Any) -> str:
    """A plain-text policy x lambda table with CIs."""
    t = result.table
    unit = (f"cost 1.0 = ${result.strong_mean_cost_usd:.6g} (mean strong spend)" if result.cost_normalised
            else "costs in USD (mean strong spend $0)")
    lines = [f"benchmark {result.benchmark}: cheap {result.cheap} -> strong {result.strong}; "
             f"{result.n_tasks} evaluation tasks, {result.n_val} validation tasks; {unit}; "
             f"{result.bootstrap} bootstrap resamples, seed {result.seed}; 95% CIs in brackets",
             f"{'policy':<20} {'lambda':>6}  {'pass rate':<22} {'cost':<22} {'reward R':<24} {'escal.':>6}  regret"]
    for _, r in t.iterrows():
        def ci(m: str) -> str:
            lo, hi = r[f"{m}_lo"], r[f"{m}_hi"]
            return f"{r[m]:.3f}" + (f" [{lo:.3f},{hi:.3f}]" if lo == lo else "")
        lines.append(f"{r.policy:<20} {r['lambda']:>6g}  {ci('pass_rate'):<22} {ci('cost'):<22} "
                     f"{ci('reward'):<24} {r.escalation_rate:>6.3f}  {ci('regret')}")
    return "\n".join(lines)


def _write_table(table: Any, out: Path | None) -> None:
    """Write the table to a temp file beside its final name, then rename: never a half-written
    file, and no temp file left behind."""
    if out is None:
        return
    import tempfile

    from warehouse._exports import readable_mode, write_error

    tmp: str | None = None
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
        os.close(fd)
        {".csv": lambda p: table.to_csv(p, index=False),
         ".json": lambda p: table.to_json(p, orient="records", indent=1),
         ".parquet": lambda p: table.to_parquet(p, index=False)}[out.suffix.lower()](tmp)
        readable_mode(tmp)
        os.replace(tmp, out)
    except OSError as exc:
        raise write_error(out, exc) from None
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


def register(app: typer.Typer) -> None:
    @app.command("routing", help="Evaluate routing policies (cheap-then-escalate, oracle, ...) with bootstrap CIs.")
    def _routing(
        ctx: typer.Context,
        benchmark: str = typer.Option(..., "--benchmark", "-b", help="Benchmark name in the warehouse."),
        cheap: str = typer.Option(None, "--cheap", help="The cheap (local) model id."),
        strong: str = typer.Option(None, "--strong", help="The strong (API) model id."),
        multi: bool = typer.Option(False, "--multi", help="Print the multi-model table (ES, relative cost, CS, "
                                                          "CS^-1, RS per lambda2) instead of the two-model policies."),
        models: list[str] = typer.Option(None, "--models", "-m", help="--multi: models (repeated or comma-separated; "
                                                                      "default: all)."),
        lambdas: list[str] = typer.Option(None, "--lambdas", "-l",
                                          help="Cost weights, repeated or comma-separated "
                                               "(default: 0,0.05,0.1,0.2,0.5,1,2,5); with --multi "
                                               "the lambda2 values (default: 0,0.25,0.5)."),
        bootstrap: int = typer.Option(2000, "--bootstrap", min=0, help="Paired bootstrap resamples (0: no CIs)."),
        seed: int = typer.Option(0, "--seed", min=0, help="Seed of the resamples and the validation split."),
        val: float = typer.Option(0.2, "--val", help="Share of tasks calibrating the prompt-length threshold."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON records instead of a table."),
        out: Path = typer.Option(None, "--out", "-o", help="Also write the table (.csv, .json or .parquet)."),
    ) -> None:
        from warehouse import DEFAULT_LAMBDAS, evaluate_routing, multi_model_table

        if out is not None and out.suffix.lower() not in (".csv", ".json", ".parquet"):
            raise JobError(f"--out must end in .csv, .json or .parquet (got {out.name!r})")
        # options the chosen mode does not use are refused, not silently ignored
        unused = (given(ctx, "cheap", "strong", "bootstrap", "seed", "val") if multi
                  else given(ctx, "models"))
        if unused:
            raise JobError(f"{', '.join(unused)} {'is' if len(unused) == 1 else 'are'} not used "
                           + ("with --multi" if multi else "without --multi (the multi-model table)"))
        check_out(out)
        if multi:
            lam2 = parse_lambdas(lambdas) or [0.0, 0.25, 0.5]
            with open_warehouse(ctx) as wh:
                table = multi_model_table(wh, benchmark, split_values(models) or None, lambda2s=lam2)
            _write_table(table, out)
            typer.echo(table.to_json(orient="records") if as_json else table.to_string(index=False))
            return
        if cheap is None or strong is None:
            raise JobError("give --cheap and --strong (or --multi for the multi-model table)")
        lams = parse_lambdas(lambdas) or list(DEFAULT_LAMBDAS)
        with open_warehouse(ctx) as wh:
            result = evaluate_routing(wh, benchmark, cheap, strong, lambdas=lams, bootstrap=bootstrap,
                                      seed=seed, val_fraction=val)
        table = result.to_frame()
        _write_table(table, out)
        if as_json:
            typer.echo(json.dumps({"benchmark": result.benchmark, "cheap": result.cheap, "strong": result.strong,
                                   "n_tasks": result.n_tasks, "n_val": result.n_val, "seed": result.seed,
                                   "bootstrap": result.bootstrap,
                                   "strong_mean_cost_usd": result.strong_mean_cost_usd,
                                   "cost_unit_usd": result.cost_unit_usd,
                                   "rows": json.loads(table.to_json(orient="records"))}))
        else:
            typer.echo(format_routing(result))
