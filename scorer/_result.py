"""The scorer's verdict for one generation: the SCORES columns it knows, plus the suite hash."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

SCORER_NAME = "codeharvest-scorer"
SCORER_VERSION = "3"   # 3: no pass for values the harness cannot compare, batch times checked by the runner clock, outputs snapshot per call, stdio streams per test; 2: RunBugRun as upstream, APPS unwrapping, threaded stdio, CodeBLEU data-flow, extraction
SCORER_ID = f"{SCORER_NAME}@{SCORER_VERSION}"

ScoreStatus = Literal["scored", "sandbox_error", "scorer_error"]

MODEL_FAILURES = ("assertion_failed", "wrong_output", "runtime_error", "syntax_error", "timeout",
                  "memory_limit", "output_limit", "no_code_extracted", "truncated",
                  "undecided_label")
INFRA_FAILURES = ("sandbox_error", "scorer_error")


@dataclass
class ScoreResult:
    scorer: str = SCORER_ID
    status: ScoreStatus = "scored"
    visible_passed: int | None = None
    visible_total: int | None = None
    hidden_passed: int | None = None
    hidden_total: int | None = None
    pass_visible: bool | None = None
    pass_hidden: bool | None = None
    score: float | None = None
    codebleu: float | None = None
    ngram_match: float | None = None
    weighted_ngram_match: float | None = None
    syntax_match: float | None = None
    dataflow_match: float | None = None
    predicted_label: str | None = None
    true_label: str | None = None
    error_type: str | None = None
    stderr_tail: str | None = None
    duration_s: float | None = None
    # seconds the program itself ran on its tests in the sandbox (the sum of the per-test times;
    # results files only, not a warehouse column): the part of duration_s no harness can save
    exec_s: float | None = None
    limits: str | None = None        # JSON
    host: str | None = None
    sandbox: str | None = None
    test_suite_hash: str = ""

    def as_row(self) -> dict:
        """The SCORES-table columns (the caller adds keys, run and model columns)."""
        row = asdict(self)
        row.pop("test_suite_hash")
        row.pop("exec_s")
        return row

    @property
    def counts_for_pass_rate(self) -> bool:
        """Infrastructure failures are excluded from pass rates, never scored as 0."""
        return self.status == "scored"
