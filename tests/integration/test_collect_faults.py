"""Collection under faults, in-process (no Ray): every task completes through 429s and 5xx,
a permanent 400 is an api_error that is never scored, the budget stops spending before it
is crossed, a rerun pays for nothing twice, and the API key reaches no file or log."""
from __future__ import annotations

import logging

import pandas as pd
import pytest

from tests.fakes import FakeProvider, FaultPlan
from tests.integration._collect_helpers import KEY, RecordingScorer, job_yaml, run_local
from warehouse import Warehouse

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def _key(monkeypatch):
    monkeypatch.setenv("CODEHARVEST_TEST_KEY", KEY)


def _gens(tmp):
    with Warehouse.open(str(tmp / "wh"), create=False) as wh:
        return wh.df("SELECT * FROM generations ORDER BY generation_id"), \
            wh.df("SELECT * FROM scores ORDER BY generation_id")


def test_429s_and_5xx_every_task_completes_and_rerun_pays_nothing(tmp_path):
    plan = FaultPlan(p429=0.20, p5xx=0.05, retry_after_s=0.05)
    scorer = RecordingScorer()
    with FakeProvider(faults=plan, seed=11, latency_s=0.01) as fake:
        s = run_local(tmp_path, job_yaml(fake.url, limit=20), scorer)
        assert fake.statuses[429] >= 2 and fake.statuses[503] >= 1
        gens, scores = _gens(tmp_path)
        assert len(gens) == 20 and set(gens.status) == {"ok"}
        assert (gens.attempts > 1).any() and gens.cost_usd.gt(0).all()
        assert len(scores) == 20 and len(scorer.seen) == 20
        assert s.spend_usd == pytest.approx(gens.cost_usd.sum())
        billed = fake.billed_total
        assert billed == 20 and fake.duplicates == 0
        s2 = run_local(tmp_path, job_yaml(fake.url, limit=20), scorer)
        assert fake.billed_total == billed and s2.models["api"].skipped == 20
        assert len(scorer.seen) == 20                      # nothing rescored either


def test_permanent_400_is_api_error_and_never_scored(tmp_path):
    poison = "def truncate_number"                          # HumanEval/2's prompt
    plan = FaultPlan(fatal_when=lambda prompt: poison in prompt)
    scorer = RecordingScorer()
    with FakeProvider(faults=plan) as fake:
        run_local(tmp_path, job_yaml(fake.url, limit=5), scorer)
    gens, scores = _gens(tmp_path)
    bad = gens[gens.task_id == "HumanEval/2"].iloc[0]
    assert bad.status == "api_error" and "fatal" in bad.error_detail and bad.attempts == 1
    assert pd.isna(bad.raw_output) and bad.cost_usd == 0
    assert "HumanEval/2" not in {t for t, _ in scorer.seen} and len(scorer.seen) == 4
    assert bad.generation_id not in set(scores.generation_id)


def test_budget_stops_before_crossing_within_one_request(tmp_path):
    with FakeProvider(latency_s=0.02) as fake:
        text = job_yaml(fake.url, limit=30, budget=0.05, max_tokens=16, concurrency=4)
        s = run_local(tmp_path, text, RecordingScorer())
    gens, _ = _gens(tmp_path)
    ok = gens[gens.status == "ok"]
    stopped = gens[gens.status == "budget_exhausted"]
    assert s.budget_exhausted and len(stopped) > 0 and len(ok) > 0
    assert len(ok) == fake.billed_total                     # each paid request is in the warehouse
    from collector._plan import count_tokens

    est = max(count_tokens(t) for t in gens.prompt_text)   # what the driver reserved per request
    per_request_max = (max(est * 1.1 + 8, ok.input_tokens.max())) * 100 / 1e6 + 16 * 400 / 1e6
    assert s.spend_usd <= 0.05 + 1e-9
    assert 0.05 - s.spend_usd < per_request_max              # stopped within one request's cost


def test_api_key_reaches_no_warehouse_file_journal_or_log(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    plan = FaultPlan(p429=0.3, retry_after_s=0.01)
    poison = "def truncate_number"
    plan.fatal_when = lambda prompt: poison in prompt
    with FakeProvider(faults=plan, seed=2) as fake:
        run_local(tmp_path, job_yaml(fake.url, limit=5), RecordingScorer())
        assert any(KEY in a for a in fake.seen_auth)        # the key was really used
    blobs = [p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()]
    assert blobs and not any(KEY.encode() in b for b in blobs)
    assert KEY not in caplog.text
    with Warehouse.open(str(tmp_path / "wh"), create=False) as wh:
        spec = wh.df("SELECT job_spec FROM runs").job_spec.iloc[0]
    assert "CODEHARVEST_TEST_KEY" in spec and KEY not in spec


def test_missing_key_and_budget_fail_before_any_request(tmp_path, monkeypatch):
    from collector.errors import JobError

    monkeypatch.delenv("CODEHARVEST_TEST_KEY")
    with FakeProvider() as fake:
        with pytest.raises(JobError, match="CODEHARVEST_TEST_KEY is not set"):
            run_local(tmp_path, job_yaml(fake.url, limit=2), RecordingScorer())
        monkeypatch.setenv("CODEHARVEST_TEST_KEY", KEY)
        with pytest.raises(JobError, match="budget_usd is not set"):
            run_local(tmp_path, job_yaml(fake.url, limit=2).replace("budget_usd: 10.0\n", ""), RecordingScorer())
        assert fake.requests == 0
    assert not (tmp_path / "wh").exists() or not list((tmp_path / "wh").rglob("*.parquet"))


def test_journal_left_by_a_crash_is_flushed_and_never_requested_again(tmp_path):
    import asyncio

    from collector._actors import ModelWorker
    from collector._plan import expand, load_benchmark
    from collector._spec import parse_job

    with FakeProvider() as fake:
        text = job_yaml(fake.url, limit=6)
        job = parse_job(text)
        items = expand(job, {"humaneval": load_benchmark(job.benchmarks[0], tmp_path)}, tmp_path, "crashed")

        async def crashed_run():       # what a run killed before its first warehouse flush leaves
            w = ModelWorker(job.models[0].model_dump(mode="json"), base_dir=str(tmp_path),
                            journal_dir=str(tmp_path / "journal"))
            await asyncio.gather(*[w.generate(it.request) for it in items[:3]])
            await w.close()
        asyncio.run(crashed_run())
        assert fake.billed_total == 3 and not (tmp_path / "wh").exists()
        scorer = RecordingScorer()
        s = run_local(tmp_path, text, scorer)
        assert s.replayed == 3 and fake.billed_total == 6 and fake.duplicates == 0
    gens, scores = _gens(tmp_path)
    assert len(gens) == 6 and set(gens.status) == {"ok"} and gens.extraction_status.notna().all()
    assert len(scores) == 6 and len(scorer.seen) == 6       # recovered generations are scored too
    assert not list((tmp_path / "journal").glob("*.jsonl"))  # flushed, then pruned


class _GoneScorer:
    """A scorer whose node is lost: every batch fails, after the generation has finished."""

    def __init__(self):
        self.calls = 0

    def score_batch(self, items):
        self.calls += 1
        raise ConnectionError("node lost")


def test_a_batch_a_lost_scorer_gives_back_is_scored_by_another(tmp_path):
    """The lost scorer gives up after its retries (seconds after every generation is in):
    its batch must go to the live scorer, not sit behind the end of the queue unscored."""
    from collector._run import CollectOptions, collect
    from collector._spec import parse_job

    good, gone = RecordingScorer(), _GoneScorer()
    handed = iter([gone, good])
    with FakeProvider() as fake:
        job = parse_job(job_yaml(fake.url, limit=8).replace("workers: 1", "workers: 2"))
        o = CollectOptions(warehouse=str(tmp_path / "wh"), base_dir=tmp_path, progress=False,
                           journal_dir=tmp_path / "journal", scorer_factory=lambda: next(handed),
                           local_actors=True)
        s = collect(job, o)
    gens, scores = _gens(tmp_path)
    assert gone.calls == 3                                   # it took a batch and gave up
    assert len(gens) == 8 and len(scores) == 8 and len(good.seen) == 8
    assert s.models["api"].scored == 8


def test_rerun_scores_what_an_earlier_run_generated_without_paying_again(tmp_path):
    """Generations left unscored (scoring was off, or down) are scored on the rerun from
    their stored raw outputs, fetched in one query, and nothing is requested again."""
    with FakeProvider() as fake:
        run_local(tmp_path, job_yaml(fake.url, limit=6, scoring=False))
        billed = fake.billed_total
        gens, _ = _gens(tmp_path)
        assert billed == 6 and len(gens) == 6
        scorer = RecordingScorer()
        s = run_local(tmp_path, job_yaml(fake.url, limit=6), scorer)
        assert fake.billed_total == billed and s.models["api"].skipped == 6
    gens, scores = _gens(tmp_path)
    assert sorted(t for t, _ in scorer.seen) == sorted(gens.task_id)
    assert len(scores) == 6 and set(scores.generation_id) == set(gens.generation_id)
    assert s.models["api"].scored == 6
