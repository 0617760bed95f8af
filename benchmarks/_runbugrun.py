"""RunBugRun (Python, legacy JSONL): fix a buggy stdin/stdout program; scored by its tests.

The bugs file (``python_valid0.jsonl``) has no tests; they come from a second JSONL(.gz) of
``{id, problem_id, input, output}`` rows (upstream ``tests_all.jsonl.gz``, too large to bundle).
Bugs whose problem has no test are skipped (logged).
"""
from __future__ import annotations

import logging
from collections import defaultdict
from pathlib import Path

from ._data import record_context, iter_jsonl, need, resolve
from ._errors import BenchmarkError
from ._registry import BenchmarkInfo, register
from ._split import split_tests
from ._types import Task, TestCase

log = logging.getLogger(__name__)
BUGS = {"valid": "runbugrun/python_valid0.jsonl", "test": "runbugrun/python_test.jsonl"}
TESTS = "runbugrun/tests_all.jsonl.gz"

# Numbers in a RunBugRun output match when |actual - expected| <= eps (absolute only; see
# scorer._compare.tokens_equal). The eps per problem, as upstream: giganticode/run_bug_run @
# 1eab48172523ccaea75b1017060202ba4d3d9832, lib/run_bug_run/submission_output_matcher.rb
# (SubmissionOutputMatcher::DEFAULT_FLOAT_EPS and FLOAT_EPS; the same table is in
# furunkel/codenet_bugs lib/codenet_bugs/test_runner.rb). Upstream's comments: p02400's statement
# says 1e-5 "however, we see accepted submissions with errors slightly above that"; p01703:
# "FIXME: states relative error only!!". Each task carries its eps as metadata["tolerance"].
DEFAULT_FLOAT_EPS = 1e-4
FLOAT_EPS: dict[str, float] = {
    "p02400": 1e-5, "p02008": 1e-6, "p03882": 1e-9, "p02805": 1e-6, "p03585": 1e-9,
    "p03619": 1e-11, "p01562": 1e-6, "p03428": 1e-5, "p01837": 1e-6, "p03135": 1e-3,
    "p02764": 1e-6, "p03888": 1e-6, "p03110": 1e-5, "p03901": 1e-6, "p01836": 1e-8,
    "p00973": 1e-6, "p03043": 1e-9, "p01948": 1e-6, "p01800": 1e-6, "p03304": 1e-6,
    "p01704": 1e-4, "p03001": 1e-9, "p02072": 1e-3, "p02897": 1e-6, "p03754": 1e-6,
    "p02731": 1e-6, "p03879": 1e-9, "p02677": 1e-9, "p03953": 1e-9, "p02894": 1e-9,
    "p02705": 1e-2, "p01825": 1e-6, "p03514": 1e-9, "p01672": 1e-8, "p02882": 1e-6,
    "p03881": 1e-9, "p02075": 1e-9, "p00988": 1e-7, "p03744": 1e-6, "p01685": 1e-6,
    "p03872": 1e-9, "p01703": 1e-8, "p03869": 1e-9, "p02884": 1e-6, "p03866": 1e-9,
    "p02780": 1e-6, "p01568": 1e-6, "p01705": 1e-4, "p01576": 1e-8, "p02935": 1e-5,
    "p03004": 1e-9, "p02011": 1e-6, "p01708": 1e-2, "p03776": 1e-6, "p02934": 1e-5,
    "p01363": 1e-6, "p01510": 1e-9, "p03871": 1e-9, "p02379": 1e-4,
}


def float_eps(problem_id: str) -> float:
    """Upstream ``FLOAT_EPS.fetch(problem_id, DEFAULT_FLOAT_EPS)``."""
    return FLOAT_EPS.get(str(problem_id), DEFAULT_FLOAT_EPS)


def load_tests(path: Path) -> dict[str, list[TestCase]]:
    by_problem: dict[str, list[tuple[int, TestCase]]] = defaultdict(list)
    for lineno, rec in iter_jsonl(path):
        with record_context(path, f"line {lineno}"):
            need(rec, ("id", "problem_id", "input", "output"), path, f"line {lineno}")
            test = TestCase(kind="stdio", stdin=str(rec["input"]), expected=str(rec["output"]),
                            name=f"test#{rec['id']}")
            by_problem[str(rec["problem_id"])].append((int(rec["id"]), test))
    return {pid: [t for _, t in sorted(rows, key=lambda r: r[0])] for pid, rows in by_problem.items()}


def _load(data_dir: str | Path | None, split: str | None) -> list[Task]:
    split = split or "valid"
    bugs_path = resolve(BUGS[split], data_dir)
    tests_path = resolve(TESTS, data_dir, alternatives=("runbugrun/tests_all.jsonl",), required=False)
    if tests_path is None:
        base = Path(data_dir) if data_dir is not None else bugs_path.parent.parent
        raise BenchmarkError(
            f"RunBugRun needs its tests file: put tests_all.jsonl.gz (rows {{id, problem_id, input, output}}, "
            f"from the giganticode/run_bug_run_data release) at {base / TESTS}")
    tests = load_tests(tests_path)
    tasks, skipped = [], 0
    for lineno, rec in iter_jsonl(bugs_path):
        with record_context(bugs_path, f"line {lineno}"):
            need(rec, ("id", "problem_id", "buggy_code", "fixed_code"), bugs_path, f"line {lineno}")
            problem_tests = tests.get(str(rec["problem_id"]))
            if not problem_tests:
                skipped += 1
                continue
            visible, hidden, same = split_tests(problem_tests, rec["buggy_code"])
            meta = {"problem_id": rec["problem_id"], "labels": rec.get("labels", []),
                    "buggy_submission_id": rec.get("buggy_submission_id"),
                    "fixed_submission_id": rec.get("fixed_submission_id"), "source_line": lineno,
                    "prompt_kind": "refinement", "tolerance": float_eps(rec["problem_id"])}
            if same:
                meta["hidden_equals_visible"] = True
            tasks.append(Task(
                benchmark="runbugrun", version="0.0.1", task_id=str(rec["id"]), kind="stdio", language="python",
                dimension="bug_fixing", prompt=rec["buggy_code"], reference=rec["fixed_code"],
                visible_tests=visible, hidden_tests=hidden, metadata=meta,
            ))
    if skipped:
        log.info("runbugrun: %d bugs skipped (no tests for their problem in %s)", skipped, tests_path)
    return tasks


register(BenchmarkInfo(
    name="runbugrun", kind="stdio", version="0.0.1",
    source="RunBugRun Python bugs (ASSERT-KTH/run_bug_run) + tests_all.jsonl.gz",
    default_files=(BUGS["valid"], TESTS), dimension="bug_fixing", splits=("valid", "test"),
    default_split="valid", loader=_load,
))
