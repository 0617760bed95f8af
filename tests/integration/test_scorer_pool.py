"""Scoring from threads of one process (`ThreadedScorer`), identical programs run once, the
reference's own run judged for a candidate identical to it, and programs that fail to load."""
from __future__ import annotations

import json
import threading
from collections import Counter

import pytest

from benchmarks import Extraction, load_tasks
from scorer import Scorer, ThreadedScorer
from scorer.sandbox import open_sandbox

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def tasks(shared_data):
    return {t.task_id: t for t in load_tasks("humaneval-plus-mini", data_dir=shared_data)}


class CountingSandbox:
    """Wraps a sandbox and counts the jobs it runs."""

    def __init__(self, inner):
        self.inner, self.jobs, self._lock = inner, 0, threading.Lock()

    def run(self, job, on_test=None):
        with self._lock:
            self.jobs += 1
        return self.inner.run(job, on_test)

    def describe(self):
        return self.inner.describe()

    def close(self):
        self.inner.close()


def test_threads_match_one_scorer_and_run_each_reference_once(tasks, tmp_path):
    ids = sorted(tasks)[:6]
    items = [(tid, tasks[tid].reference) for tid in ids] + [(tid, tasks[tid].prompt + "    return 0\n") for tid in ids]
    boxes = []

    def opener():
        box = CountingSandbox(open_sandbox("local").start())
        boxes.append(box)
        return box

    pool = ThreadedScorer(opener, 2, cache_dir=tmp_path / "cache")
    try:
        got = dict(((tid, code), r) for (tid, code), r in pool.score(
            items, lambda it: tasks[it[0]], lambda sc, it: sc.score(tasks[it[0]], Extraction("ok", code=it[1]))))
        computed = Counter(k for k in pool.expected._mem)
    finally:
        pool.close()
    assert len(got) == len(items) and len(boxes) == 2
    assert all(b.jobs > 0 for b in boxes), "both workers took work"
    assert len(computed) == len(ids), "one reference per task, shared by the workers"
    with open_sandbox("local") as box:
        one = Scorer(box, cache_dir=tmp_path / "cache-one")
        for tid, code in items:
            r = one.score(tasks[tid], Extraction("ok", code=code))
            t = got[(tid, code)]
            assert (t.status, t.pass_hidden, t.hidden_passed, t.hidden_total, t.error_type) == \
                   (r.status, r.pass_hidden, r.hidden_passed, r.hidden_total, r.error_type), tid


def test_the_reference_program_is_judged_from_the_reference_run(tasks, tmp_path):
    task = tasks["HumanEval/0"]
    with open_sandbox("local") as inner:
        box = CountingSandbox(inner)
        sc = Scorer(box, cache_dir=tmp_path)
        first = sc.score(task, Extraction("ok", code=task.reference))     # computes the reference
        jobs = box.jobs
        again = sc.score(task, Extraction("ok", code=task.reference))
        assert box.jobs == jobs, "the reference's own run is the candidate's run"
        changed = sc.score(task, Extraction("ok", code=task.reference + "\n# a comment\n"))
        assert box.jobs > jobs, "any other program text runs"
    for r in (first, again, changed):
        assert r.status == "scored" and r.pass_hidden is True and r.hidden_passed == r.hidden_total > 0


def test_load_failure_runs_one_job(tasks, tmp_path):
    """A program that raises at import fails every input in one job (no one-at-a-time reruns)."""
    task = tasks["HumanEval/0"]
    code = task.reference + "\nassert has_close_elements([1.0], 0.5) is True, 'my own test'\n"
    with open_sandbox("local") as inner:
        box = CountingSandbox(inner)
        sc = Scorer(box, cache_dir=tmp_path)
        sc.score(task, Extraction("ok", code=task.reference))
        jobs = box.jobs
        r = sc.score(task, Extraction("ok", code=code))
        assert box.jobs - jobs == 1
    assert r.status == "scored" and r.pass_hidden is False and r.hidden_passed == 0
    assert r.error_type == "runtime_error" and "while loading" in r.stderr_tail and "my own test" in r.stderr_tail


def test_cli_scores_identical_samples_once(tmp_path, shared_data, capsys):
    from collector.cli import main

    probs = [json.loads(line) for line in __import__("gzip").open(
        shared_data / "evalplus" / "HumanEvalPlus-Mini.jsonl.gz", "rt")][:2]
    samples = tmp_path / "s.jsonl"
    lines = [{"task_id": probs[0]["task_id"], "completion": "    return True\n"}] * 3 + \
            [{"task_id": probs[1]["task_id"], "completion": "    return []\n"},
             {"task_id": probs[0]["task_id"], "completion": "    return False\n"}]
    samples.write_text("".join(json.dumps(x) + "\n" for x in lines))
    out = tmp_path / "out.jsonl"
    with pytest.raises(SystemExit) as exc:
        main(["score", "--benchmark", "humaneval-plus-mini", "--samples", str(samples), "--data-dir",
              str(shared_data), "--sandbox", "local", "--cache-dir", str(tmp_path / "c"), "--workers", "2",
              "--out", str(out)])
    assert exc.value.code == 0
    assert "2 identical to another sample of their task (run once)" in capsys.readouterr().out
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["sample_index"] for r in rows] == [0, 1, 2, 0, 3]
    assert len({json.dumps({k: v for k, v in r.items() if k != "sample_index"}) for r in rows[:3]}) == 1
