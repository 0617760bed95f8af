"""`codeharvest benchmarks list|show`: what benchmarks exist, whether their data is here, one task."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Optional

import typer

from ._console import make_console

log = logging.getLogger(__name__)


def _data_present(info, data_dir: Optional[Path]) -> bool:
    """The benchmark's main file is local (or bundled): listing never downloads a whole set."""
    from benchmarks._data import BUNDLED, find_local

    main = info.default_files[0]
    return find_local(main.rstrip("/"), data_dir) is not None or main in BUNDLED


def register(app: typer.Typer) -> None:
    group = typer.Typer(help="List benchmarks and show their tasks.", no_args_is_help=True)
    app.add_typer(group, name="benchmarks")

    @group.command("list")
    def _list(
        data_dir: Optional[Path] = typer.Option(None, "--data-dir", help="Benchmark data directory "
                                                "(layout of shared/data; default: $CODEHARVEST_DATA, cache)."),
    ) -> None:
        """Benchmarks with their kind, task count (where the data is present) and source."""
        from rich.table import Table

        from benchmarks import BenchmarkError, list_benchmarks, load_tasks

        table = Table(title="benchmarks")
        for column in ("name", "kind", "version", "tasks", "source"):
            table.add_column(column, justify="right" if column == "tasks" else "left")
        for info in list_benchmarks():
            if not _data_present(info, data_dir):
                count = "data missing"
            else:
                try:
                    count = str(len(load_tasks(info.name, data_dir=data_dir)))
                except BenchmarkError as exc:
                    log.info("%s: %s", info.name, " ".join(str(exc).split()))
                    count = "unavailable"
            table.add_row(info.name, info.kind, info.version, count, info.source)
        make_console().print(table)

    @group.command("show")
    def _show(
        name: str = typer.Argument(..., help="Benchmark name (see `benchmarks list`)."),
        task: Optional[str] = typer.Option(None, "--task", help="Task id to render (default: the first)."),
        data_dir: Optional[Path] = typer.Option(None, "--data-dir", help="Benchmark data directory."),
        split: Optional[str] = typer.Option(None, "--split", help="Split (default: the benchmark's default)."),
        style: str = typer.Option("chat", "--style", help="Prompt style: chat or completion."),
    ) -> None:
        """Counts of tasks and visible/hidden tests, and one task rendered with its prompt."""
        from rich.table import Table

        from benchmarks import BenchmarkError, get_benchmark, load_tasks, render_prompt

        if style not in ("chat", "completion"):
            raise BenchmarkError(f"--style must be chat or completion, not {style!r}")
        info = get_benchmark(name)
        tasks = load_tasks(name, data_dir=data_dir, split=split)
        console = make_console()
        summary = Table(title=f"{name} ({info.kind}, version {info.version}, split {split or info.default_split or '-'})")
        for column in ("tasks", "visible tests", "hidden tests", "source"):
            summary.add_column(column)
        summary.add_row(str(len(tasks)), str(sum(len(t.visible_tests) for t in tasks)),
                        str(sum(len(t.hidden_tests) for t in tasks)), info.source)
        console.print(summary)
        if not tasks:
            return
        if task is None:
            chosen = tasks[0]
        else:
            matches = [t for t in tasks if t.task_id == task]
            if not matches:
                raise BenchmarkError(f"benchmark {name!r} has no task {task!r} (e.g. {tasks[0].task_id!r})")
            chosen = matches[0]
        rendered = render_prompt(chosen, style=style)  # type: ignore[arg-type]
        console.print(f"[bold]task[/bold] {chosen.task_id}  kind={chosen.kind} language={chosen.language} "
                      f"dimension={chosen.dimension} difficulty={chosen.difficulty or '-'} "
                      f"entry_point={chosen.entry_point or '-'}  visible={len(chosen.visible_tests)} "
                      f"hidden={len(chosen.hidden_tests)}", markup=True, highlight=False)
        console.print(f"[bold]prompt[/bold] ({rendered.template_id})", markup=True)
        for message in rendered.messages:
            console.rule(message["role"])
            console.print(message["content"], markup=False, highlight=False)
        console.rule()
