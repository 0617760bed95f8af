"""Shared pieces of the collect tests: job specs against a fake server, a recording scorer."""
from __future__ import annotations

import textwrap
from pathlib import Path

from collector._run import CollectOptions, collect
from collector._spec import parse_job
from scorer import ScoreResult

KEY = "sk-test-SECRET-7d1c9e"


class RecordingScorer:
    """Stands in for a ScorerActor (the sandbox is another issue): records what it was given."""

    def __init__(self):
        self.seen: list[tuple[str, str]] = []

    def score_batch(self, items):
        out = []
        for task, ext in items:
            self.seen.append((task.task_id, ext.status))
            ok = ext.status == "ok"
            out.append(ScoreResult(status="scored", pass_hidden=ok, pass_visible=ok, score=float(ok),
                                   sandbox="recording", limits="{}", test_suite_hash=f"h-{task.task_id}"))
        return out


def job_yaml(fake_url: str, *, limit: int = 10, budget: float = 10.0, max_tokens: int = 64,
             extra_model: str = "", scoring: bool = True, n: int = 1, concurrency: int = 8) -> str:
    return textwrap.dedent(f"""\
        name: fault-test
        budget_usd: {budget}
        benchmarks:
          - name: humaneval
            limit: {limit}
        models:
          - id: api
            backend: openai
            model: fake-gpt
            base_url: {fake_url}/v1
            api_key_env: CODEHARVEST_TEST_KEY
            prices: {{input_per_mtok: 100.0, output_per_mtok: 400.0}}
            concurrency: {concurrency}
            retry: {{max_attempts: 12, initial_backoff_s: 0.01, max_backoff_s: 0.05, timeout_s: 5}}
        {extra_model}
        sampling: {{temperature: 0.0, max_tokens: {max_tokens}, n: {n}}}
        scoring: {{enabled: {str(scoring).lower()}, workers: 1, batch_size: 4}}
        runtime: {{max_in_flight: 16, flush_rows: 4, flush_interval_s: 0.2}}
        """)


def run_local(tmp: Path, text: str, scorer: RecordingScorer | None = None, **opts):
    job = parse_job(text)
    o = CollectOptions(warehouse=str(tmp / "wh"), base_dir=tmp, progress=False, journal_dir=tmp / "journal",
                       scorer_factory=(lambda: scorer) if scorer else None, local_actors=True, **opts)
    return collect(job, o)
