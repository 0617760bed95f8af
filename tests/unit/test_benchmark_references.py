"""The loaded layout is runnable: reference solutions pass their own tests (program, then
``setup_code``, then the test), so a scorer that follows the Task contract gets 100% on them."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from benchmarks import load_tasks


@pytest.fixture(autouse=True)
def _offline(monkeypatch, tmp_path):
    monkeypatch.setenv("CODEHARVEST_OFFLINE", "1")
    monkeypatch.setenv("CODEHARVEST_CACHE", str(tmp_path / "cache"))


ASSERT_RUNNER = r'''
import json, sys, signal, io, contextlib
items = json.load(sys.stdin)
out = {}
for tid, (program, setup, tests) in items.items():
    failures = []
    for i, code in enumerate(tests):
        ns = {"__name__": "__main__"}
        signal.alarm(10)
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                exec(program, ns)
                exec(setup, ns)
                exec(code, ns)
        except BaseException as exc:
            failures.append(f"{i}: {exc!r}"[:200])
        finally:
            signal.alarm(0)
    out[tid] = failures
print(json.dumps(out))
'''


@pytest.mark.parametrize("name", ["mbpp", "mbpp-sanitized"])
def test_mbpp_references_pass_every_assertion(shared_data, name):
    tasks = load_tasks(name, data_dir=shared_data, split="all")
    items = {t.task_id: (t.reference, t.setup_code, [c.code for c in (*t.visible_tests, *t.hidden_tests)])
             for t in tasks}
    proc = subprocess.run([sys.executable, "-c", ASSERT_RUNNER], input=json.dumps(items), capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert len(report) == len(tasks)
    assert {tid: f for tid, f in report.items() if f} == {}


def _normalise(text: str) -> list[str]:
    return [line.strip() for line in text.strip().splitlines()]


def test_apps_folder_references_pass_their_tests(shared_data):
    tasks = [t for t in load_tasks("apps", data_dir=shared_data, split="train")]
    assert len(tasks) == 5
    for task in tasks:
        for case in (*task.visible_tests, *task.hidden_tests):
            program = task.metadata["prelude"] + task.reference
            if case.kind == "stdio":
                proc = subprocess.run([sys.executable, "-c", program], input=case.stdin, capture_output=True,
                                      text=True, timeout=60)
                assert _normalise(proc.stdout) == _normalise(case.expected), task.task_id
            else:
                # LeetCode-style problems are called on a Solution instance (as APPS does)
                target = (f"Solution().{task.entry_point}" if "class Solution" in task.reference
                          else task.entry_point)
                code = (f"{program}\nimport json, sys\nout = {target}(*json.loads(sys.stdin.read()))\n"
                        "print(json.dumps(out))")
                proc = subprocess.run([sys.executable, "-c", code], input=json.dumps(case.args), capture_output=True,
                                      text=True, timeout=60)
                out = json.loads(proc.stdout)
                expected = case.expected
                assert out == expected or (isinstance(expected, list) and out == expected[0]), task.task_id
