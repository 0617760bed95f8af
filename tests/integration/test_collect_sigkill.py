"""SIGKILL of `codeharvest collect` at a random moment, then a rerun: the warehouse equals an
uninterrupted run's and the fake server billed no request twice that the killed run had
persisted. (A completion the server had already written to the socket when the kill struck,
but that the collector had not yet fsync'ed to its journal, is lost with the process and must be
paid again: that window of a few milliseconds per in-flight request cannot be closed from the
client side. The test names every such key and checks it really was not persisted.)"""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.fakes import FakeProvider
from collector._journal import default_journal_dir, read_journal
from tests.integration._collect_helpers import KEY, job_yaml, run_local
from warehouse import Warehouse

pytestmark = pytest.mark.integration

COLS = ["generation_id", "task_id", "sample_index", "status", "raw_output", "extracted_code",
        "extraction_status", "input_tokens", "output_tokens", "cost_usd", "finish_reason"]
N_TASKS = 16


def _table(wh_dir: Path) -> list[tuple]:
    with Warehouse.open(str(wh_dir), create=False) as wh:
        df = wh.df(f"SELECT {', '.join(COLS)} FROM generations ORDER BY generation_id")
    return [tuple(r) for r in df.itertuples(index=False)]


def _persisted(wh_dir: Path, state: Path, monkeypatch) -> set[str]:
    """Generation ids a run left on disk: in its journal or already in the warehouse."""
    monkeypatch.setenv("CODEHARVEST_STATE_DIR", str(state))
    ids = {rec.get("generation_id") for _, rec in read_journal(default_journal_dir(str(wh_dir)))}
    try:
        with Warehouse.open(str(wh_dir), create=False) as wh:
            ids |= set(wh.df("SELECT generation_id FROM generations")["generation_id"])
    except Exception:  # noqa: BLE001 - no warehouse yet: nothing was flushed
        pass
    return ids


def _cli(job: Path, wh: Path, state: Path) -> subprocess.Popen:
    env = {**os.environ, "CODEHARVEST_TEST_KEY": KEY, "CODEHARVEST_STATE_DIR": str(state),
           "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_AUTH_MODE": "disabled", "RAY_USAGE_STATS_ENABLED": "0"}
    env.pop("RAY_ADDRESS", None)
    return subprocess.Popen([sys.executable, "-m", "collector", "-w", str(wh), "collect", str(job), "--no-progress"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)


def _reap(pgid: int) -> None:
    """Ray helper processes of a killed driver outlive it: end that process group (ours)."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def test_sigkill_then_rerun_gives_the_same_warehouse_and_no_double_billing(tmp_path, monkeypatch):
    monkeypatch.setenv("CODEHARVEST_TEST_KEY", KEY)
    # the uninterrupted run (in-process) against its own fake server
    ref_dir = tmp_path / "ref"
    ref_dir.mkdir()
    with FakeProvider(latency_s=0.0) as ref_fake:
        run_local(ref_dir, job_yaml(ref_fake.url, limit=N_TASKS, scoring=False))
    expected = _table(ref_dir / "wh")
    assert len(expected) == N_TASKS

    rng = random.Random()
    kill_after = rng.randint(0, N_TASKS - 5)
    with FakeProvider(latency_s=1.0) as fake:
        job = tmp_path / "job.yaml"
        job.write_text(job_yaml(fake.url, limit=N_TASKS, scoring=False, concurrency=4))
        wh, state = tmp_path / "wh", tmp_path / "state"
        proc = _cli(job, wh, state)
        deadline = time.monotonic() + 120
        while fake.billed_total < kill_after and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(rng.uniform(0, 1.0))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        billed_at_kill = fake.billed_total
        assert billed_at_kill < N_TASKS, "the run finished before it could be killed"
        time.sleep(1.5)                       # anything the dead run left behind has stopped
        assert fake.billed_total - billed_at_kill <= 4, "requests kept coming after the kill"
        _reap(proc.pid)
        persisted = _persisted(wh, state, monkeypatch)
        first_billing = dict(fake.billed)
        rerun = _cli(job, wh, state)
        out, _ = rerun.communicate(timeout=240)
        assert rerun.returncode == 0, out
        twice = sorted(k for k, n in fake.billed.items() if n > 1)
        # only completions in flight at the kill (delivered, not yet journaled) are paid again
        assert not set(twice) & persisted, f"persisted yet billed twice: {set(twice) & persisted}"
        assert all(first_billing.get(k) == 1 for k in twice) and len(twice) <= 4, twice
        assert fake.billed_total == N_TASKS + len(twice)
        _reap(rerun.pid)
    assert _table(wh) == expected
    # the key was used (env of the driver's node) yet is in no file the runs wrote, nor their output
    assert KEY not in out
    assert not any(KEY.encode() in p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())
