"""Scorer logic (planning, judging, caching, statuses) against an in-process test double.

The double runs only the trusted snippets written in this file; the real sandboxes are
exercised in tests/integration/test_scorer_sandbox.py and test_canonical_solutions.py.
"""
from __future__ import annotations

import contextlib
import io
import marshal
import math

import pytest

from benchmarks import Extraction, Task
from benchmarks import TestCase as Case
from scorer import Scorer, ScoreResult
from scorer._plan import plan_assert
from scorer.sandbox import JobResult
from scorer.sandbox import TestResult as Res


class InProcessDouble:
    """Runs a SandboxJob in this process (trusted test code only); counts jobs."""

    def __init__(self, broken: bool = False) -> None:
        self.jobs = []
        self.broken = broken

    def describe(self) -> str:
        return "double:inprocess"

    def run(self, job, on_test=None):
        """As a runner does; with ``on_test``, results are handed over one at a time and a
        True answer stops the job (the rest come back cancelled)."""
        self.jobs.append(job)
        if self.broken:
            return JobResult(status="sandbox_error", error="container vanished")
        out, stop = [], False
        for i, t in enumerate(job.tests):
            out.append(Res(t.id, "cancelled") if stop else self._one(job, t))
            if on_test is not None and not stop and on_test(i, out[-1]):
                stop = True
        return JobResult(status="ok", tests=out, backend="double", host="here")

    @staticmethod
    def _one(job, t):
        ns: dict = {"__name__": "__main__" if t.kind == "stdio" else "prog"}
        if job.inputs:                      # as the runner does (SandboxJob.inputs)
            ns["__codeharvest_inputs__"] = marshal.loads(job.inputs)
        buf = io.StringIO()
        try:
            with contextlib.redirect_stdout(buf):
                if t.kind == "stdio":
                    import sys
                    old, sys.stdin = sys.stdin, io.StringIO(t.stdin)
                    try:
                        exec(job.setup + "\n" + job.program, ns)
                    finally:
                        sys.stdin = old
                    return Res(t.id, "passed", stdout=buf.getvalue())
                exec(job.setup + "\n" + job.program, ns)
                if t.kind == "eval":
                    return Res(t.id, "passed", value=_encode(eval(t.code, ns)))
                exec(t.code, ns)
                return Res(t.id, "passed")
        except AssertionError as e:
            return Res(t.id, "failed", error=f"AssertionError: {e}")
        except SyntaxError as e:
            return Res(t.id, "syntax_error", error=str(e))
        except Exception as e:
            return Res(t.id, "runtime_error", error=f"{type(e).__name__}: {e}")


def _encode(v):
    # what crosses from a sandbox: the real codec (builtin values only; a subclass as its
    # builtin base; anything else as {"__unsupported__": ...}, nested too)
    from scorer.sandbox._value_codec import decode_value, encode_value

    return decode_value(encode_value(v))



def mbpp_task():
    tests = [Case("assert", code=f"assert add(*{a}) == {r}") for a, r in
             [((1, 2), 3), ((2, 2), 4), ((0, 0), 0), ((-1, 1), 0)]]
    return Task("mbpp-sanitized", "1", "1", "function", "python", "code_generation", "add", "",
                visible_tests=(tests[0],), hidden_tests=tuple(tests[1:]), entry_point="add",
                setup_code="import math")


def test_mbpp_asserts_counted_separately_with_setup_code():
    sb = InProcessDouble()
    s = Scorer(sb)
    good = s.score(mbpp_task(), Extraction("ok", code="def add(a, b):\n    return int(math.fsum([a, b]))\n"))
    assert (good.status, good.visible_passed, good.hidden_passed, good.hidden_total) == ("scored", 1, 3, 3)
    assert good.pass_visible and good.pass_hidden and good.score == 1.0 and good.error_type is None
    bad = s.score(mbpp_task(), Extraction("ok", code="def add(a, b):\n    return a + b if a >= 0 else 99\n"))
    assert (bad.visible_passed, bad.hidden_passed, bad.pass_visible, bad.pass_hidden) == (1, 2, True, False)
    assert bad.error_type == "assertion_failed" and bad.score == pytest.approx(2 / 3)
    row = bad.as_row()
    assert "test_suite_hash" not in row and row["sandbox"] == "double:inprocess"
    assert bad.test_suite_hash == good.test_suite_hash and len(good.test_suite_hash) == 32


def test_assert_planning():
    assert plan_assert(Case("assert", code="assert f(1) == [1, (2,)]"))[0] == "assert_eq"
    # the rest of an assertion over the program's values is evaluated here, with the real
    # builtins and math: the sandbox returns only the calls into the program
    mode, code, check = plan_assert(Case("assert", code="import math\ncandidate = f\nassert candidate(2) == math.pi"))
    assert mode == "assert_host" and code.startswith("(exec(") and code.endswith("(candidate(2),))[1]")
    assert check.source == "__op[0] == math.pi" and check((math.pi,)) and not check((3.14,))
    for code, source in (("assert abs(f(1) - 0.5) < 1e-6", "abs(__op[0] - 0.5) < 1e-06"),
                         ("assert f([1])", "__op[0]"), ("assert not f([1]), 'message'", "not __op[0]"),
                         ("assert math.isclose(f(2), 3.14, rel_tol=0.001)", "math.isclose(__op[0], 3.14, rel_tol=0.001)"),
                         ("assert set(f((1, 2))) == set((2, 1))", "set(__op[0]) == set((2, 1))"),
                         ("assert f(1) == g(2)", "__op[0] == __op[1]")):
        mode, _, check = plan_assert(Case("assert", code=code))
        assert (mode, check.source) == ("assert_host", source), code
    # a name the test's own set-up binds is the test's (trusted), not a builtin
    assert plan_assert(Case("assert", code="set = f\nassert set(f(1)) == {1}"))[:2] == (
        "assert_eq", "(exec('set = f'), set(f(1)))[1]")
    assert plan_assert(Case("assert", code="assert [f(i) for i in range(3)] == [0, 1, 2]"))[0] == "assert_eq_pair"
    assert plan_assert(Case("assert", code="assert f(1) or f(2)"))[0] == "exec"        # short-circuit
    assert plan_assert(Case("assert", code="for i in range(3):\n    assert f(i) == i"))[0] == "exec"


def test_humaneval_style_prefix_and_pair_and_exec_fallback():
    pre = "import math\ncandidate = g\n"
    cases = (Case("assert", code=pre + "assert candidate(16) == math.sqrt(16)"),
             Case("assert", code=pre + "assert abs(candidate(9) - 3) < 1e-9"),
             Case("assert", code=pre + "assert candidate(0) == 0.0"))
    task = Task("humaneval", "1", "HumanEval/x", "function", "python", "code_generation", "g", "",
                hidden_tests=cases, entry_point="g")
    r = Scorer(InProcessDouble()).score(task, Extraction("ok", code="import math\ndef g(x):\n    return math.sqrt(x)\n"))
    assert (r.hidden_passed, r.hidden_total, r.pass_hidden, r.pass_visible) == (3, 3, True, None)
    # a value the codec cannot carry is not a pass: an object equal to everything (the
    # "always equal" hack) passed every ==-assertion when its own __eq__ was asked
    odd = ("class V(float):\n    pass\n"
           "class W:\n    def __eq__(self, o):\n        return True\n"
           "    __hash__ = object.__hash__\n"
           "def g(x):\n    return W()\n")
    r = Scorer(InProcessDouble()).score(task, Extraction("ok", code=odd))
    assert (r.hidden_passed, r.error_type) == (0, "assertion_failed")
    assert "W object" in r.stderr_tail
    # a subclass of a builtin travels as its builtin value: judged by value, its __eq__ unused
    sub = ("import math\nclass V(float):\n    def __eq__(self, o):\n        return True\n"
           "    __hash__ = float.__hash__\n"
           "def g(x):\n    return V(math.sqrt(x))\n")
    r = Scorer(InProcessDouble()).score(task, Extraction("ok", code=sub))
    assert r.hidden_passed == 3
    liar = sub.replace("V(math.sqrt(x))", "V(-1.0)")
    assert Scorer(InProcessDouble()).score(task, Extraction("ok", code=liar)).hidden_passed == 0


def evalplus_task(tmp=None):
    base = (Case("call", args=[[1.0, 2.0]], expected_known=False),
            Case("call", args=[[0.1, 0.2]], expected_known=False))
    plus = (Case("call", args=[[1e308, float("inf")]], expected_known=False),)
    ref = "def mean(xs):\n    return sum(xs) / len(xs)\n"
    return Task("humaneval-plus", "0.1.10", "HumanEval/x", "function", "python", "code_generation",
                "mean", ref, visible_tests=base, hidden_tests=base + plus, entry_point="mean",
                metadata={"n_base": 2})


def test_evalplus_expected_from_reference_cached_on_disk(tmp_path):
    sb = InProcessDouble()
    s = Scorer(sb, cache_dir=tmp_path)
    close = "def mean(xs):\n    return sum(x / len(xs) for x in xs)\n"
    r = s.score(evalplus_task(), Extraction("ok", code=close))
    assert (r.visible_passed, r.hidden_passed, r.hidden_total) == (2, 3, 3), r
    assert len(list(tmp_path.glob("*.marshal"))) == 1 and not list(tmp_path.glob("*.json"))
    n_jobs = len(sb.jobs)
    wrong = s.score(evalplus_task(), Extraction("ok", code="def mean(xs):\n    return (xs[0] + xs[1]) / 2 if xs[1] < 1e300 else 0.0\n"))
    assert (wrong.visible_passed, wrong.hidden_passed, wrong.error_type) == (2, 2, "wrong_output")
    assert len(sb.jobs) == n_jobs + 1          # the reference is not run again
    sb2 = InProcessDouble()
    Scorer(sb2, cache_dir=tmp_path).score(evalplus_task(), Extraction("ok", code=close))
    assert len(sb2.jobs) == 1 and sb2.jobs[0].program == close   # read from disk
    # call inputs run as one batch; tests duplicated between visible and hidden run once
    (batch,) = sb2.jobs[0].tests
    assert batch.code == "__codeharvest_batch__(mean, *__codeharvest_inputs__[0], 3)"
    calls, limits, wraps = marshal.loads(sb2.jobs[0].inputs)[0]     # the batch's data
    assert calls == [([1.0, 2.0],), ([0.1, 0.2],), ([1e308, float("inf")],)]
    assert len(limits) == 3 and wraps == [0, 0, 0]


def test_failures_get_their_own_error_types():
    s = Scorer(InProcessDouble())
    t = mbpp_task()
    assert s.score(t, Extraction("no_code_extracted")).error_type == "no_code_extracted"
    syn = s.score(t, Extraction("ok", code="def add(a, b) return a"))
    assert (syn.error_type, syn.hidden_passed, syn.status) == ("syntax_error", 0, "scored")
    rt = s.score(t, Extraction("ok", code="def add(a, b):\n    return a / 0\n"))
    assert rt.error_type == "runtime_error" and rt.stderr_tail and "ZeroDivisionError" in rt.stderr_tail
    tr = s.score(t, Extraction("ok", code="def add(a, b):\n    return 0\n"), truncated=True)
    assert tr.error_type == "truncated"


def test_sandbox_failure_is_infrastructure_not_a_model_failure():
    r = Scorer(InProcessDouble(broken=True)).score(mbpp_task(), Extraction("ok", code="def add(a, b):\n    return a+b\n"))
    assert r.status == "sandbox_error" and r.error_type == "sandbox_error"
    assert r.pass_hidden is None and r.score is None and not r.counts_for_pass_rate


def test_stdio_apps_and_runbugrun():
    cases = (Case("stdio", stdin="2 3\n", expected="5\n"), Case("stdio", stdin="1 1\n", expected="2"))
    apps = Task("apps", "1", "0001", "stdio", "python", "code_generation", "", "",
                visible_tests=cases[:1], hidden_tests=cases[1:])
    prog = "a, b = map(int, input().split())\nprint(' ', a + b)\n"
    r = Scorer(InProcessDouble()).score(apps, Extraction("ok", code=prog))
    assert (r.pass_visible, r.pass_hidden) == (True, True)
    rbr = Task("runbugrun", "1", "p1", "stdio", "python", "bug_fixing", "", "",
               visible_tests=cases[:1], hidden_tests=cases[1:])
    r = Scorer(InProcessDouble()).score(rbr, Extraction("ok", code="a, b = map(int, input().split())\nprint(a + b + 1e-5)\n"))
    assert r.pass_hidden
    r = Scorer(InProcessDouble()).score(rbr, Extraction("ok", code="print(3)\n"))
    assert (r.pass_visible, r.pass_hidden, r.error_type) == (False, False, "wrong_output")


def test_apps_call_based_solution_class():
    cases = (Case("call", args=[[2, 3, 4, 7, 11], 5], expected=[9]),)
    task = Task("apps", "1", "2404", "stdio", "python", "code_generation", "", "",
                visible_tests=cases, hidden_tests=cases, entry_point="findKthPositive",
                metadata={"list_wrapped_outputs": True})       # (as the APPS loader sets it)
    prog = ("class Solution:\n    def findKthPositive(self, arr, k):\n"
            "        s = set(arr); n = 0\n        while k:\n            n += 1\n"
            "            k -= n not in s\n        return n\n")
    r = Scorer(InProcessDouble()).score(task, Extraction("ok", code=prog))
    assert r.pass_hidden and r.hidden_total == 1


def test_codebleu_and_labels():
    t = Task("codexglue-java-cs", "1", "0", "translation", "c_sharp", "translation", "x",
             "public int F(int a){return a+1;}")
    r = Scorer(InProcessDouble()).score(t, Extraction("ok", code="public int F(int b){return b+1;}"))
    assert 0 < r.codebleu < 1 and r.score == r.codebleu and r.syntax_match == 1.0
    same = Scorer(InProcessDouble()).score(t, Extraction("ok", code=t.reference))
    assert same.codebleu == pytest.approx(1.0)
    none = Scorer(InProcessDouble()).score(t, Extraction("no_code_extracted"))
    assert none.score == 0.0 and none.error_type == "no_code_extracted"
    sv = Task("sven", "1", "cwe-089/1", "classification", "python", "vulnerability_detection", "x", "yes")
    s = Scorer(InProcessDouble())
    assert s.score(sv, Extraction("ok", label="Yes")).score == 1.0
    no = s.score(sv, Extraction("ok", label="no"))
    assert (no.score, no.predicted_label, no.true_label, no.error_type) == (0.0, "no", "yes", "wrong_output")
    assert s.score(sv, Extraction("undecided")).error_type == "undecided_label"


def test_score_result_row_matches_scores_schema():
    from warehouse import TABLES

    cols = set(TABLES["scores"].names)
    assert set(ScoreResult().as_row()) <= cols


def test_fast_fail_same_verdicts_fewer_inputs(tmp_path):
    cases = tuple(Case("call", args=[i], expected_known=False) for i in range(100))
    task = Task("humaneval-plus", "0.1.10", "HumanEval/y", "function", "python", "code_generation",
                "sq", "def sq(x):\n    return x * x\n", visible_tests=cases[:3], hidden_tests=cases,
                entry_point="sq", metadata={"n_base": 3})
    good, bad = "def sq(x):\n    return x ** 2\n", "def sq(x):\n    return x * x if x != 5 else 0\n"
    late = "def sq(x):\n    return x * x if x != 90 else 0\n"
    exact, fast = Scorer(InProcessDouble(), cache_dir=tmp_path), Scorer(InProcessDouble(), cache_dir=tmp_path,
                                                                          fast_fail=True)
    assert '"fast_fail": true' in fast.limits_json and "fast_fail" not in exact.limits_json
    for code in (good, bad, late):
        e, f = exact.score(task, Extraction("ok", code=code)), fast.score(task, Extraction("ok", code=code))
        assert (e.pass_hidden, e.pass_visible) == (f.pass_hidden, f.pass_visible), code
        assert f.error_type == e.error_type
    r = exact.score(task, Extraction("ok", code=bad))
    assert (r.hidden_passed, r.hidden_total, r.error_type) == (99, 100, "wrong_output")
    n = len(fast.sandbox.jobs)
    r = fast.score(task, Extraction("ok", code=bad))
    # batches of 4, 8, 16, ... each judged as it comes back: the second (inputs 4-11) holds
    # the failure, so the job stops there; the rest are not run (and count as not passed)
    assert (r.hidden_passed, r.hidden_total, r.pass_hidden) == (11, 100, False)
    assert len(fast.sandbox.jobs) == n + 1
    assert [len(calls) for calls, _, _ in marshal.loads(fast.sandbox.jobs[-1].inputs)] == [4, 8, 16, 32, 40]
    r = fast.score(task, Extraction("ok", code=good))
    assert (r.hidden_passed, r.pass_hidden, r.error_type) == (100, True, None)


class BreaksMidStream(InProcessDouble):
    """Streams the first two results of its first streamed job, then breaks (as a runner that
    dies mid-job): the scorer runs the job again, whose results are fed a second time."""

    def __init__(self) -> None:
        super().__init__()
        self.broke = False

    def run(self, job, on_test=None):
        if on_test is not None and not self.broke:
            self.broke = True
            for i, t in enumerate(job.tests[:2]):
                on_test(i, self._one(job, t))
            raise ConnectionResetError("runner died")
        return super().run(job, on_test)


def test_fast_fail_job_rerun_after_a_broken_sandbox_is_judged_afresh(tmp_path):
    cases = tuple(Case("call", args=[i], expected_known=False) for i in range(40))
    task = Task("humaneval-plus", "0.1.10", "HumanEval/z", "function", "python", "code_generation",
                "sq", "def sq(x):\n    return x * x\n", visible_tests=cases[:3], hidden_tests=cases,
                entry_point="sq", metadata={"n_base": 3})
    Scorer(InProcessDouble(), cache_dir=tmp_path).score(task, Extraction("ok", code=task.reference))
    for code, want in (("def sq(x):\n    return x ** 2\n", (True, 40, None)),
                       ("def sq(x):\n    return x * x if x < 30 else 0\n", (False, 30, "wrong_output"))):
        box = BreaksMidStream()
        r = Scorer(box, cache_dir=tmp_path, fast_fail=True).score(task, Extraction("ok", code=code))
        assert box.broke and len(box.jobs) == 1        # (the broken attempt is not counted)
        assert (r.pass_hidden, r.hidden_passed, r.error_type) == want, r


def test_expected_store_marshal_json_fallback_and_unreadable_files(tmp_path):
    from scorer._expected import Expected, ExpectedStore
    from scorer._literal import Opaque

    plain = {"a": Expected((1, [2.5, None]), 0.01, True), "b": Expected(None, 0.0, False, "timeout: x", None),
             "c": Expected({frozenset({1}), 10 ** 40}, 0.2, True, "", "ab" * 32)}
    opaque = {"a": Expected(Opaque("numpy.int64", "3"), 0.01, True)}
    calls = []
    store = ExpectedStore(tmp_path)
    assert store.get("k1", lambda: calls.append(1) or plain) is plain
    assert store.get("k2", lambda: calls.append(2) or opaque) is opaque
    assert sorted(p.name for p in tmp_path.iterdir()) == ["k1.marshal", "k2.json"]
    again = ExpectedStore(tmp_path)       # a new process: read back from disk, same values and types
    never = lambda: pytest.fail("recomputed")  # noqa: E731
    assert again.get("k1", never) == plain and type(again.get("k1", never)["a"].value) is tuple
    assert again.get("k2", never) == opaque
    (tmp_path / "k1.marshal").write_bytes(b"\x00garbage")   # unreadable: recomputed, not trusted
    assert ExpectedStore(tmp_path).get("k1", lambda: calls.append(3) or plain) == plain
    assert calls == [1, 2, 3]


def test_exec_s_is_the_programs_own_time_on_its_tests(tmp_path):
    cases = tuple(Case("call", args=[i], expected_known=False) for i in range(5))
    ref = "import time\ndef nap(x):\n    time.sleep(0.02)\n    return x\n"
    task = Task("humaneval-plus", "0.1.10", "HumanEval/z", "function", "python", "code_generation",
                "nap", ref, visible_tests=cases[:2], hidden_tests=cases, entry_point="nap",
                metadata={"n_base": 2})
    s = Scorer(InProcessDouble(), cache_dir=tmp_path)
    slow = s.score(task, Extraction("ok", code=ref.replace("0.02", "0.04")))
    assert slow.pass_hidden and 0.2 <= slow.exec_s <= slow.duration_s
    same = s.score(task, Extraction("ok", code=ref))     # judged from the reference's own run
    assert same.pass_hidden and 0.1 <= same.exec_s < 0.2
    assert "exec_s" not in slow.as_row()                  # a results-file field, not a column
    assert s.score(task, Extraction("ok", code="def nap(x) return")).exec_s is None  # never ran


def test_inputs_the_reference_cannot_answer_are_left_out_once_per_task(tmp_path, caplog):
    cases = tuple(Case("call", args=[i], expected_known=False) for i in range(4))
    ref = "def inv(x):\n    return 12 // (x - 2)\n"          # fails on x == 2
    task = Task("humaneval-plus", "0.1.10", "HumanEval/w", "function", "python", "code_generation",
                "inv", ref, visible_tests=cases[:2], hidden_tests=cases, entry_point="inv",
                metadata={"n_base": 2})
    s = Scorer(InProcessDouble(), cache_dir=tmp_path)
    good = "def inv(x):\n    return 12 // (x - 2) if x != 2 else None\n"
    bad = "def inv(x):\n    return 0\n"
    with caplog.at_level("WARNING", logger="scorer._scorer"):
        results = [s.score(task, Extraction("ok", code=c)) for c in (good, bad, good + "\n# again\n")]
    assert [(r.hidden_passed, r.hidden_total, r.pass_hidden) for r in results] == [
        (3, 3, True), (0, 3, False), (3, 3, True)]
    assert sum("left out" in m for m in caplog.messages) == 1   # decided once per task, not per sample


def test_codebleu_counts_an_unmatched_data_flow_as_zero():
    """codebleu 0.7.0 counts a data-flow score of 0 as 1 ("no data-flow in the reference");
    per pair that gave ``return 0;`` full data-flow credit and ranked it above a body that
    matches half the reference's data-flow and beats it on every other component too."""
    from scorer._codebleu import codebleu_pair

    ref = "public int Add(int a, int b){int c = a + b; int d = c * a; return d - b;}"
    zero = codebleu_pair(ref, "public int Add(int a, int b){return 0;}", "c_sharp")
    half = codebleu_pair(ref, "public int Add(int a, int b){int c = a; return c;}", "c_sharp")
    assert zero.dataflow_match == 0.0 and half.dataflow_match == 0.5
    assert zero.codebleu < half.codebleu
    for cb in (zero, half):     # the composite is the components' weighted mean
        assert cb.codebleu == pytest.approx(0.25 * (cb.ngram_match + cb.weighted_ngram_match
                                                    + cb.syntax_match + cb.dataflow_match))
    flat = codebleu_pair("public int F(){return 0;}", "public int F(){return 0;}", "c_sharp")
    assert flat.dataflow_match is None and flat.codebleu == pytest.approx(1.0)   # nothing to match
