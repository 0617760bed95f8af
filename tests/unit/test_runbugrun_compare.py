"""RunBugRun's stdout verdict, as upstream (giganticode/run_bug_run @ 1eab481,
lib/run_bug_run/submission_output_matcher.rb and test_runner.rb): stripped outputs, line by line,
token by token, numbers within the problem's absolute FLOAT_EPS (default 1e-4), no relative
tolerance; the eps table comes with the loader as ``metadata["tolerance"]``."""
from __future__ import annotations

import io
import json
from contextlib import redirect_stdout

import pytest

from benchmarks import Extraction, Task, load_tasks
from benchmarks import TestCase as Case
from benchmarks._runbugrun import DEFAULT_FLOAT_EPS, FLOAT_EPS, float_eps
from scorer import Scorer
from scorer._compare import tokens_equal
from scorer.sandbox import JobResult
from scorer.sandbox import TestResult as Res


def test_no_relative_tolerance_off_by_one_big_integer_fails():
    assert not tokens_equal("1000000008", "1000000007")          # the audited bug
    assert not tokens_equal("1000000008\n", "1000000007\n", tol=DEFAULT_FLOAT_EPS)
    assert not tokens_equal("100000.01", "100000")               # 1e-7 relative, 1e-2 absolute
    assert tokens_equal("1000000007\n", "1000000007")


def test_default_eps_is_absolute_inclusive_and_exact_in_decimal():
    assert DEFAULT_FLOAT_EPS == 1e-4 and float_eps("p00000") == 1e-4
    assert tokens_equal("0.50001", "0.5")
    assert tokens_equal("0.5001", "0.5")                          # |diff| == eps passes
    assert tokens_equal("100.0001", "100")                        # (in binary floats: 1.0000000000332e-4)
    assert not tokens_equal("100.00010001", "100")
    assert not tokens_equal("0.5002", "0.5")
    assert tokens_equal("2.50", "2.5") and tokens_equal("-0", "0") and tokens_equal("007", "7")


def test_p03001_tight_eps():
    """p03001 (Rectangle Cutting: the half area, then 0/1) has eps 1e-9 upstream."""
    tol = float_eps("p03001")
    assert tol == 1e-9
    assert tokens_equal("1.500000000 0\n", "1.500000 0", tol=tol)
    assert tokens_equal("1.500000001 0", "1.500000 0", tol=tol)   # exactly 1e-9 off
    assert not tokens_equal("1.5000000011 0", "1.500000 0", tol=tol)
    assert not tokens_equal("1.50001 0", "1.500000 0", tol=tol)
    assert tokens_equal("1.50001 0", "1.500000 0")                # what the default would let through
    assert not tokens_equal("1.500000 1", "1.500000 0", tol=tol)


def test_p02705_loose_eps():
    """p02705 (circumference 2*pi*R) has eps 1e-2 upstream."""
    tol = float_eps("p02705")
    assert tol == 1e-2
    assert tokens_equal("6.28", "6.28318530717958623200", tol=tol)
    assert tokens_equal("6.2931", "6.2831", tol=tol)              # exactly 1e-2 off
    assert not tokens_equal("6.27", "6.28318530717958623200", tol=tol)
    assert not tokens_equal("6.28", "6.28318530717958623200")     # the default eps is tighter


def test_eps_table_is_upstreams():
    assert len(FLOAT_EPS) == 59
    assert (FLOAT_EPS["p02400"], FLOAT_EPS["p03619"], FLOAT_EPS["p00988"], FLOAT_EPS["p01708"],
            FLOAT_EPS["p02379"]) == (1e-5, 1e-11, 1e-7, 1e-2, 1e-4)


def test_line_structure_matters():
    assert tokens_equal("1 2\n3\n", "1 2\n3")
    assert not tokens_equal("1 2\n3\n", "1\n2 3")
    assert not tokens_equal("1 2 3", "1\n2\n3")
    assert not tokens_equal("1\n\n2", "1\n2")                     # an inner empty line is a line
    assert not tokens_equal("1 2", "1 2 3")
    # outer whitespace, blank lines at either end, spaces in lines and CRLF do not matter
    assert tokens_equal("\n\n  1   2 \r\n\t3  \n\n\n", "1 2\n3")
    assert tokens_equal("1 2\r\n3\r\n", "1 2\n3\n")


def test_tokens_as_upstream_parses_them():
    # a number is -?\d+(\.\d+)? from where the token starts; the rest is a separate word
    assert not tokens_equal("1e5", "100000")
    assert not tokens_equal("1e-05", "1e-5")                     # "e-05" != "e-5"
    assert tokens_equal("1.00e-5", "1e-5")                       # 1.00 ~ 1, then "e-5" == "e-5"
    assert tokens_equal("3-4", "3 -4")                           # numbers 3 and -4 either way
    assert not tokens_equal(".5", "0.5") and not tokens_equal("+1", "1")
    assert tokens_equal("inf nan", "inf nan") and not tokens_equal("inf", "1e999")
    assert not tokens_equal("Yes", "YES") and not tokens_equal("abc", "abd")
    assert not tokens_equal("1,2", "1,3") and tokens_equal("1,2", "1,2")
    assert not tokens_equal("x1", "x1.0")                         # a word starting with a letter
    assert not tokens_equal("1", "one")


def test_stdout_handling_as_upstreams_runner():
    assert not tokens_equal("", "")                               # empty stdout is nil: never passes
    assert not tokens_equal(None, "1")
    assert tokens_equal("\n", "")                                 # whitespace only: stripped to ""
    assert tokens_equal("4\0\n", "4") and tokens_equal("\x004", "4")   # NULs are deleted
    # more than max(1.8 * len(expected), 2048) characters: cut, and "<truncated>" appended
    assert tokens_equal("1." + "0" * 2000, "1")
    assert not tokens_equal("1." + "0" * 3000, "1")
    long = "\n".join(["0.5"] * 1000)
    assert tokens_equal(long.replace("0.5", "0.50"), long)
    assert not tokens_equal(long.replace("0.5", "0.50000"), long)


# -- the loader's eps reaches the scorer -------------------------------------------------------


class _StdioDouble:
    def describe(self) -> str:
        return "double:stdio"

    def run(self, job, on_test=None):
        out = []
        for t in job.tests:
            buf, ns = io.StringIO(), {"__name__": "__main__", "input": io.StringIO(t.stdin).readline}
            with redirect_stdout(buf):
                exec(job.setup + "\n" + job.program, ns)
            out.append(Res(t.id, "passed", stdout=buf.getvalue()))
            if on_test is not None and on_test(len(out) - 1, out[-1]):
                break
        return JobResult(status="ok", tests=out, backend="double", host="here")


@pytest.fixture
def rbr_tasks(shared_data, tmp_path):
    bugs = [json.loads(line) for line in (shared_data / "runbugrun" / "python_valid0.jsonl").open()]
    pick = {}
    for b in bugs:
        if b["problem_id"] in ("p00000", "p03001", "p02705"):
            pick.setdefault(b["problem_id"], b)
    assert len(pick) == 3
    (tmp_path / "runbugrun").mkdir()
    (tmp_path / "runbugrun" / "python_valid0.jsonl").write_text(
        "".join(json.dumps(b) + "\n" for b in pick.values()))
    rows = [{"id": i + 1, "problem_id": pid, "input": "1\n", "output": "6.28318530717958623200\n"}
            for i, pid in enumerate(sorted(pick))]
    (tmp_path / "runbugrun" / "tests_all.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return {t.metadata["problem_id"]: t for t in load_tasks("runbugrun", data_dir=tmp_path)}


def test_loader_sets_upstream_eps(rbr_tasks):
    assert {pid: t.metadata["tolerance"] for pid, t in rbr_tasks.items()} == {
        "p00000": 1e-4, "p03001": 1e-9, "p02705": 1e-2}


def test_scorer_uses_the_problems_eps(rbr_tasks):
    def verdict(pid: str, printed: str) -> bool:
        t = rbr_tasks[pid]
        case = Case("stdio", stdin="1\n", expected="6.28318530717958623200\n")
        task = Task("runbugrun", t.version, t.task_id, "stdio", "python", "bug_fixing", "", "",
                    visible_tests=(case,), hidden_tests=(case,), metadata=dict(t.metadata))
        return Scorer(_StdioDouble()).score(task, Extraction("ok", code=f"print({printed!r})\n")).pass_hidden

    assert verdict("p02705", "6.28") and not verdict("p02705", "6.27")
    assert not verdict("p00000", "6.28") and verdict("p00000", "6.2832")
    assert not verdict("p03001", "6.2832") and verdict("p03001", "6.283185307")
