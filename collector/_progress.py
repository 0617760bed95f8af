"""Live progress (done / in flight / failed per model, spend, ETA) and the final summary."""
from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.live import Live
from rich.table import Table

if TYPE_CHECKING:
    from ._run import Collector, RunSummary


def _eta(done: int, total: int, elapsed: float) -> str:
    if done <= 0 or total <= done:
        return "-" if total > done else "0s"
    left = elapsed / done * (total - done)
    return f"{left:.0f}s" if left < 120 else f"{left / 60:.1f}m"


class ProgressDisplay:
    """A rich Live table on stderr, refreshed at most 4 times a second."""

    def __init__(self, collector: "Collector", *, enabled: bool = True, console: Console | None = None):
        self.c = collector
        self.enabled = enabled
        self.console = console or Console(stderr=True)
        self.t0 = time.monotonic()
        self._live: Live | None = None
        self._last = 0.0

    def __enter__(self) -> "ProgressDisplay":
        if self.enabled:
            self._live = Live(self.render(), console=self.console, refresh_per_second=4, transient=False)
            self._live.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._live is not None:
            self._live.update(self.render())
            self._live.__exit__(*exc)

    def update(self) -> None:
        if self._live is None:
            return
        now = time.monotonic()
        if now - self._last >= 0.25:
            self._last = now
            self._live.update(self.render())

    def render(self) -> Table:
        elapsed = time.monotonic() - self.t0
        budget = self.c.job.budget_usd
        title = f"run {self.c.run_id}  spend ${self.c.budget.spent:.4f}" + (
            f" of ${budget:.2f}" if budget is not None else "") + f"  {elapsed:.0f}s"
        t = Table(title=title, title_justify="left")
        for col in ("model", "done", "in flight", "failed", "scored", "spend $", "ETA"):
            t.add_column(col, justify="left" if col == "model" else "right")
        for mid, s in self.c.stats.items():
            todo = s.total - s.skipped
            name = mid + (" [red](circuit open)[/]" if s.circuit_open else "")
            t.add_row(name, f"{s.done}/{todo}", str(s.in_flight), str(s.failed), str(s.scored),
                      f"{s.cost_usd:.4f}", _eta(s.done, todo, elapsed))
        return t


def summary_table(summary: "RunSummary") -> Table:
    t = Table(title=f"codeharvest run {summary.run_id}: {summary.status}", title_justify="left")
    for col in ("model", "tasks", "skipped", "ok", "failed", "in tok", "out tok", "cost $", "scored",
                "passed", "pass rate"):
        t.add_column(col, justify="left" if col == "model" else "right")
    for mid, s in summary.models.items():
        rate = f"{s.passed / s.scored:.1%}" if s.scored else "-"
        t.add_row(mid + (" (circuit open)" if s.circuit_open else ""), str(s.total), str(s.skipped),
                  str(s.ok), str(s.failed), str(s.input_tokens), str(s.output_tokens), f"{s.cost_usd:.4f}",
                  str(s.scored), str(s.passed), rate)
    t.caption = (f"spend ${summary.spend_usd:.4f}"
                 + ("; BUDGET REACHED: remaining requests were not sent" if summary.budget_exhausted else "")
                 + (f"; {summary.replayed} generation(s) recovered from the journal" if summary.replayed else ""))
    return t


def estimate_table(rows: list[dict[str, Any]]) -> Table:
    t = Table(title="dry run: nothing will be sent", title_justify="left")
    for col in ("model", "backend", "requests", "already done", "input tokens", "max output tokens",
                "cost $ (input only)", "cost $ (max)"):
        t.add_column(col, justify="left" if col in ("model", "backend") else "right")
    for r in rows:
        t.add_row(r["model"], r["backend"], str(r["requests"]), str(r["already_done"]), str(r["input_tokens"]),
                  str(r["max_output_tokens"]), f"{r['min_cost_usd']:.4f}", f"{r['max_cost_usd']:.4f}")
    t.caption = ("input tokens counted with tiktoken cl100k_base (bundled, offline); "
                 "providers' own tokenizers differ by a few percent")
    return t
