"""The ``codeharvest`` command line: typer app, global options, error mapping.

Each subcommand lives in its own module with a ``register(app)`` function, so adding or
changing one touches one file.
"""
from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass

import typer

from ..errors import USER_ERRORS

# typer vendors click; these are its usage-error types.
from typer._click.exceptions import NoArgsIsHelpError, TyperException  # noqa: E402

DEFAULT_WAREHOUSE = "./codeharvest-warehouse"


@dataclass
class CliState:
    warehouse: str
    warehouse_given: bool


class _Interrupted(Exception):
    """A KeyboardInterrupt inside a command (typer would turn it into a silent exit 130)."""


class _Group(typer.core.TyperGroup):
    def invoke(self, ctx):  # type: ignore[no-untyped-def]
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt as exc:
            raise _Interrupted() from exc


app = typer.Typer(
    name="codeharvest",
    cls=_Group,
    help="Collect, score and warehouse per-task, per-model outcomes for training LLM routers for code.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _global(
    ctx: typer.Context,
    warehouse: str = typer.Option(
        None, "--warehouse", "-w", envvar="CODEHARVEST_WAREHOUSE",
        help=f"Warehouse URI: a local directory or s3://bucket/prefix [default: {DEFAULT_WAREHOUSE}]",
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log debug details."),
) -> None:
    _setup_logging(verbose)
    ctx.obj = CliState(warehouse=warehouse or DEFAULT_WAREHOUSE, warehouse_given=warehouse is not None)


def _setup_logging(verbose: bool) -> None:
    from rich.console import Console
    from rich.logging import RichHandler

    handler = RichHandler(console=Console(stderr=True), show_path=False, rich_tracebacks=False)
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, format="%(message)s",
                        handlers=[handler], force=True)
    for noisy in ("botocore", "urllib3", "httpx", "s3fs", "aiobotocore", "docker", "filelock", "ray"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _register_all() -> None:
    from . import (_benchmarks, _collect, _compact, _export, _query, _report, _routing,
                   _sandbox, _score)

    for module in (_collect, _score, _query, _export, _report, _routing, _benchmarks,
                   _compact, _sandbox):
        module.register(app)


_register_all()


def fail(message: str) -> typer.Exit:
    """Print one line on stderr and return an exit(2) to raise."""
    typer.echo(f"codeharvest: error: {message}", err=True)
    return typer.Exit(2)


def main(argv: list[str] | None = None) -> None:
    """Entry point: user errors become one line on stderr and exit code 2, never a traceback."""
    try:
        rv = app(args=argv, prog_name="codeharvest", standalone_mode=False)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except NoArgsIsHelpError as exc:  # help was already shown
        sys.exit(2)
    except TyperException as exc:  # usage errors: unknown option, bad parameter, ...
        message = " ".join(exc.format_message().split())
        typer.echo(f"codeharvest: error: {message}", err=True)
        sys.exit(2)
    except (typer.Abort, _Interrupted):
        typer.echo("codeharvest: interrupted", err=True)
        sys.exit(130)
    except USER_ERRORS as exc:
        message = " ".join(str(exc).split()) or type(exc).__name__
        typer.echo(f"codeharvest: error: {message}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        typer.echo("codeharvest: interrupted", err=True)
        sys.exit(130)
    if rv == 130:   # typer's exit for a KeyboardInterrupt outside a command (while parsing)
        typer.echo("codeharvest: interrupted", err=True)
    sys.exit(rv if isinstance(rv, int) else 0)


if __name__ == "__main__" and os.environ.get("CODEHARVEST_CLI_MAIN", "1") == "1":
    main()
