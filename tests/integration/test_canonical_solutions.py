"""Every benchmark's own reference solution passes every one of its tests through our scorer.

This checks test extraction (one assert per recorded test), expected-output computation
(EvalPlus: the reference is run in the sandbox on base + plus inputs), the trusted-side
comparison (EvalPlus atol and special oracles, APPS cascade) and the sandbox together.

No canonical solution fails upstream tests in these data sets, so none is excused here.
(EvalPlus 0.3.1 itself fails HumanEval/32, find_zero, through a bug of its own: its special
oracle ``continue``s before recording the input as passed. We apply the oracle's check,
|poly(xs, x)| <= atol, and the canonical solution passes it.)
Full HumanEval+ (122,683 plus inputs) is scored in perf/score_vs_evalplus.py; here we use
HumanEval+ Mini (same tasks, 1,107 plus inputs) for speed.
"""
from __future__ import annotations


import pytest

from benchmarks import Extraction, load_tasks
from scorer import Scorer

pytestmark = [pytest.mark.integration, pytest.mark.slow]




@pytest.mark.parametrize("benchmark,expected_n", [
    ("humaneval", 164),
    ("humaneval-plus-mini", 164),
    ("mbpp-sanitized", 427),
    ("mbpp-plus", 378),
    ("apps", 5),           # the 5 problems in the original APPS format (with solutions)
])
def test_canonical_solutions_pass_all_tests(sandbox, shared_data, tmp_path, benchmark, expected_n):
    tasks = [t for t in load_tasks(benchmark, data_dir=shared_data)
             if t.reference and (t.visible_tests or t.hidden_tests)]
    assert len(tasks) == expected_n
    scorer = Scorer(sandbox, cache_dir=tmp_path)
    failures = []
    n_tests = 0
    for t in tasks:
        r = scorer.score(t, Extraction("ok", code=t.reference))
        n_tests += r.hidden_total or 0
        if r.status != "scored" or not r.pass_hidden or (r.visible_total and not r.pass_visible):
            failures.append((t.task_id, r.status, r.error_type, r.hidden_passed, r.hidden_total,
                             (r.stderr_tail or "")[:200]))
    assert failures == []
    assert n_tests >= len(tasks)  # every task had tests, each counted
