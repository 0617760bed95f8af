"""The Scorer against the real sandboxes: each failure lands as its own error_type."""
from __future__ import annotations


import pytest

from benchmarks import Extraction, Task
from benchmarks import TestCase as Case
from scorer import Scorer

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def sandbox(each_sandbox):
    return each_sandbox


def task():
    tests = tuple(Case("assert", code=f"assert f({i}) == {i + 1}") for i in range(3))
    return Task("mbpp-sanitized", "1", "t", "function", "python", "code_generation", "f", "",
                visible_tests=tests[:1], hidden_tests=tests[1:], entry_point="f")


@pytest.mark.parametrize("body,kind", [
    ("return x + 1", None),
    ("return x + 2", "assertion_failed"),
    ("return x / 0", "runtime_error"),
    ("while True:\n        pass", "timeout"),
    ("return len(bytearray(8 * 1024 ** 3))", "memory_limit"),
    ("print('y' * (4 << 20))\n    return x + 1", "output_limit"),
    ("return x +", "syntax_error"),
])
def test_failure_kinds(sandbox, body, kind):
    s = Scorer(sandbox, default_timeout_s=1.0, memory_mb=512)
    r = s.score(task(), Extraction("ok", code=f"def f(x):\n    {body}\n"))
    assert r.status == "scored"
    assert r.error_type == kind, r
    assert r.pass_hidden is (kind is None)
    assert r.sandbox == sandbox.describe() and r.host and '"timeout_s": 1.0' in r.limits


def test_evalplus_style_task_and_timeout_limit_from_reference(sandbox, tmp_path):
    base = tuple(Case("call", args=[n], expected_known=False) for n in (1, 5, 10))
    plus = (Case("call", args=[25], expected_known=False),)
    t = Task("humaneval-plus", "0.1.10", "HumanEval/x", "function", "python", "code_generation",
             "fib", "def fib(n):\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n    return a\n",
             visible_tests=base, hidden_tests=base + plus, entry_point="fib", metadata={"n_base": 3})
    s = Scorer(sandbox, cache_dir=tmp_path)
    ok = s.score(t, Extraction("ok", code=t.reference))
    assert (ok.pass_visible, ok.pass_hidden, ok.hidden_total) == (True, True, 4)
    # exponential recursion passes base inputs, but fib(25) exceeds max(1 s, 4 x reference)
    slow = "import time\ndef fib(n):\n    if n > 20:\n        time.sleep(3)\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n"
    r = s.score(t, Extraction("ok", code=slow))
    assert (r.pass_visible, r.pass_hidden, r.error_type) == (True, False, "timeout")


def test_fast_fail_stops_a_slow_wrong_program_at_its_first_failure(sandbox, tmp_path):
    """--fast-fail streams each batch back as it finishes and judges it at once: a program that
    is wrong on its first input and slow on every input stops after a few batches, not after
    all 100 inputs (the rest are not run, so they count as not passed), with the verdict of
    the exact mode."""
    cases = tuple(Case("call", args=[i], expected_known=False) for i in range(100))
    t = Task("humaneval-plus", "0.1.10", "HumanEval/slow", "function", "python", "code_generation",
             "sq", "def sq(x):\n    return x * x\n", visible_tests=cases[:3], hidden_tests=cases,
             entry_point="sq", metadata={"n_base": 3})
    wrong = "import time\ndef sq(x):\n    time.sleep(0.05)\n    return x * x if x else 1\n"
    fast = Scorer(sandbox, cache_dir=tmp_path, fast_fail=True)
    r = fast.score(t, Extraction("ok", code=wrong))
    assert (r.pass_hidden, r.error_type, r.hidden_total) == (False, "wrong_output", 100)
    # batches of 4, 8, 16, ...: the first holds the failure; the job is cancelled while the
    # second or third runs (each later batch takes longer than judging the first)
    assert r.hidden_passed < 4 + 8 + 16, r
    exact = Scorer(sandbox, cache_dir=tmp_path).score(t, Extraction("ok", code="def sq(x):\n    return x * x if x else 1\n"))
    assert (exact.pass_hidden, exact.error_type, exact.hidden_passed) == (False, "wrong_output", 99)
    good = fast.score(t, Extraction("ok", code="def sq(x):\n    return x ** 2\n"))
    assert (good.pass_hidden, good.hidden_passed, good.error_type) == (True, 100, None)


def test_closed_sandbox_gives_sandbox_error_not_a_model_failure():
    from scorer.sandbox import open_sandbox

    box = open_sandbox("local")
    s = Scorer(box)
    box.close()
    r = s.score(task(), Extraction("ok", code="def f(x):\n    return x + 1\n"))
    assert r.status == "sandbox_error" and r.error_type == "sandbox_error" and r.pass_hidden is None


def test_scorer_actor_scores_a_batch(ray_session):
    import ray

    from scorer import ScorerActor

    actor = ScorerActor.remote("local")
    try:
        good = Extraction("ok", code="def f(x):\n    return x + 1\n")
        res = ray.get(actor.score_batch.remote([(task(), good), (task(), Extraction("ok", code="def f(x):\n    return 0\n"), True)]))
        assert [r.pass_hidden for r in res] == [True, False]
        assert res[1].error_type == "truncated"
        assert ray.get(actor.describe.remote()).startswith("local:")
    finally:
        ray.get(actor.close.remote())
        ray.kill(actor)


def test_a_program_that_hangs_everywhere_is_stopped_early(sandbox):
    import time

    tests = tuple(Case("call", args=[i], expected=[i]) for i in range(200))
    t = Task("apps", "1", "hang", "stdio", "python", "code_generation", "", "",
             visible_tests=tests[:1], hidden_tests=tests, entry_point="f")
    s = Scorer(sandbox, default_timeout_s=0.5)
    t0 = time.monotonic()
    r = s.score(t, Extraction("ok", code="def f(x):\n    while True:\n        pass\n"))
    assert r.error_type == "timeout" and r.hidden_passed == 0 and r.hidden_total == 200
    assert time.monotonic() - t0 < 30      # not 200 x 0.5 s


def test_program_that_disables_the_per_input_timer_is_rerun_test_by_test():
    """Call inputs run in batches with in-child timers; a program that ignores them only
    makes its batch fail as a whole, and the inputs are re-run one sandbox test each."""
    from scorer.sandbox import open_sandbox

    tests = tuple(Case("call", args=[i], expected=[i]) for i in range(4))
    t = Task("apps", "1", "evil", "stdio", "python", "code_generation", "", "",
             visible_tests=tests[:1], hidden_tests=tests, entry_point="f",
             metadata={"list_wrapped_outputs": True})     # (as the APPS loader sets it)
    prog = ("import signal\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\n"
            "def f(x):\n    while x == 2:\n        pass\n    return x\n")
    with open_sandbox("local") as box:
        r = Scorer(box, default_timeout_s=0.5).score(t, Extraction("ok", code=prog))
    assert (r.hidden_passed, r.hidden_total, r.error_type) == (3, 4, "timeout")


@pytest.mark.parametrize("task_id", ["367", "927"])
def test_mbpp_setup_code_runs_after_the_program(sandbox, shared_data, task_id):
    """MBPP's test_setup_code for these tasks builds trees from the ``Node`` class that the
    program defines: upstream runs program, then set-up, then the assertions."""
    from benchmarks import load_tasks

    (t,) = [t for t in load_tasks("mbpp", data_dir=shared_data, split="all") if t.task_id == task_id]
    assert "Node(" in t.setup_code
    r = Scorer(sandbox).score(t, Extraction("ok", code=t.reference))
    assert (r.status, r.pass_visible, r.pass_hidden, r.error_type) == ("scored", True, True, None), r
    wrong = t.reference + f"\n\ndef {t.entry_point}(*args):\n    return None\n"
    r = Scorer(sandbox).score(t, Extraction("ok", code=wrong))
    assert (r.status, r.pass_hidden, r.error_type) == ("scored", False, "assertion_failed"), r
