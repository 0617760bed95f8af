"""HumanEval's ``check`` split into one self-contained test per assertion, verified by running
the canonical solutions (all pass) and an obviously wrong one (some test fails), per task."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from benchmarks import load_tasks
from benchmarks._humaneval import split_check


@pytest.fixture(autouse=True)
def _offline(monkeypatch, tmp_path):
    monkeypatch.setenv("CODEHARVEST_OFFLINE", "1")
    monkeypatch.setenv("CODEHARVEST_CACHE", str(tmp_path / "cache"))


TEST_SOURCE = textwrap.dedent('''
    import math

    METADATA = {"author": "x"}

    def helper(v):
        return v * 2

    def check(candidate):
        # a comment
        assert candidate(1) == 2
        assert True, "constant asserts check nothing"
        data = [helper(1),
            helper(2)]
        assert candidate(data[0]) == 4, "uses set-up"
        for x in range(3):
            assert candidate(x) == helper(x)
        print("done")
        assert math.isclose(candidate(0.5), 1.0)
''')


def test_split_check_one_test_per_assertion_with_setup():
    tests = split_check(TEST_SOURCE, "double")
    assert [t.name for t in tests] == ["check#0", "check#1", "check#2", "check#3"]
    first, second, loop, last = (t.code for t in tests)
    assert "candidate = double" in first and "METADATA" in first and "import math" in first
    assert "def helper" in first and "def check" not in first
    assert first.rstrip().endswith("assert candidate(1) == 2") and "data =" not in first
    assert "data = [helper(1)," in second and second.rstrip().endswith('assert candidate(data[0]) == 4, "uses set-up"')
    assert loop.rstrip().endswith("assert candidate(x) == helper(x)") and "for x in range(3):" in loop
    assert 'print("done")' in last and "assert True" not in last
    for code in (first, second, loop, last):
        namespace = {}
        exec("def double(v):\n    return v * 2\n", namespace)  # noqa: S102
        exec(code, namespace)                                   # noqa: S102 - every test is self-contained
    bad = {}
    exec("def double(v):\n    return v - 1\n", bad)  # noqa: S102
    with pytest.raises(AssertionError):
        exec(first, dict(bad))  # noqa: S102


RUNNER = r'''
import json, sys
tasks = json.load(sys.stdin)
report = {}
for task_id, (good, bad, tests) in tasks.items():
    verdicts = []
    for program in (good, bad):
        passed = []
        for code in tests:
            ns = {"__name__": "__main__"}
            try:
                exec(program, ns)
                exec(code, ns)
                passed.append(True)
            except BaseException:
                passed.append(False)
        verdicts.append(passed)
    report[task_id] = verdicts
print(json.dumps(report))
'''


def test_canonical_passes_every_test_and_a_wrong_solution_fails_one(shared_data):
    tasks = load_tasks("humaneval", data_dir=shared_data)
    payload = {t.task_id: (t.reference, t.starter_code + "    return None\n", [c.code for c in t.hidden_tests])
               for t in tasks}
    proc = subprocess.run([sys.executable, "-c", RUNNER], input=json.dumps(payload), capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(proc.stdout)
    assert len(report) == 164
    canonical_failures = {tid: [i for i, ok in enumerate(v[0]) if not ok] for tid, v in report.items() if not all(v[0])}
    assert canonical_failures == {}
    wrong_passing = [tid for tid, v in report.items() if all(v[1])]
    assert wrong_passing == []
    assert all(len(v[0]) >= 1 for v in report.values())
