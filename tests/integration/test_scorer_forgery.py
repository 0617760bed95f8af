"""Wrong programs that tried to forge a pass, through the real sandboxes: each is caught.

Each case was a pass (or an excluded sandbox error) before the fix it names."""
from __future__ import annotations


import pytest

from benchmarks import Extraction, load_tasks
from scorer import Scorer

pytestmark = pytest.mark.integration



@pytest.fixture(scope="module")
def sandbox(each_sandbox):
    return each_sandbox


@pytest.fixture(scope="module")
def tasks(shared_data):
    return {b: {t.task_id: t for t in load_tasks(b, data_dir=shared_data)}
            for b in ("mbpp-sanitized", "humaneval-plus", "humaneval")}


def _both(sandbox, task, code, **kw):
    return [Scorer(sandbox, fast_fail=ff, **kw).score(task, Extraction("ok", code=code)) for ff in (False, True)]


def test_an_object_equal_to_everything_passes_nothing(sandbox, tasks):
    always = ("class AlwaysEq:\n    def __eq__(self, o):\n        return True\n"
              "    __ne__ = lambda self, o: False\n    __hash__ = object.__hash__\n")
    task = tasks["mbpp-sanitized"]["3"]       # assert not is_not_prime(2) ... assert is_not_prime(10)==True
    for r in _both(sandbox, task, always + "def is_not_prime(n):\n    return AlwaysEq()\n"):
        assert r.status == "scored" and r.pass_hidden is False and r.hidden_passed == 0, r
    # MBPP's set(...) == set(...) pairs (task 2): a program's own `set` cannot decide either
    task = tasks["mbpp-sanitized"]["2"]
    for r in _both(sandbox, task, always + "def similar_elements(a, b):\n    return AlwaysEq()\n"):
        assert r.pass_hidden is False and r.hidden_passed == 0, r


def test_a_program_that_stops_its_timer_still_times_out(sandbox, tasks):
    """The per-input timer runs in the program's process: switched off, one input that runs 3 s
    against its 1 s limit was a pass; the runner's clock now catches it."""
    task = tasks["humaneval-plus"]["HumanEval/0"]
    slow = ("import signal, time\nsignal.setitimer = lambda *a, **k: (0.0, 0.0)\n_calls = [0]\n"
            + task.reference + "\n_right = has_close_elements\n"
            "def has_close_elements(numbers, threshold):\n    _calls[0] += 1\n"
            "    if _calls[0] == 3:\n        time.sleep(3)\n    return _right(numbers, threshold)\n")
    for r in _both(sandbox, task, slow, timeout_floor_s=1.0):
        assert r.pass_hidden is False and r.error_type == "timeout", r
    # the control: the reference itself, through the same checks, passes
    for r in _both(sandbox, task, task.reference + "\n# a copy\n", timeout_floor_s=1.0):
        assert r.pass_hidden is True, r


def test_a_program_that_stalls_the_batch_helper_fails_rather_than_being_excluded(sandbox, tasks):
    task = tasks["humaneval-plus"]["HumanEval/0"]
    code = ("def has_close_elements(numbers, threshold):\n    return True\n"
            "__codeharvest_batch__.__defaults__[0]['used'] = 10 ** 12\n")
    for r in _both(sandbox, task, code):
        assert r.status == "scored" and r.pass_hidden is False, r     # not a sandbox_error


def test_an_output_is_taken_when_its_call_returns(sandbox, tasks):
    """A program returning one module-level list, refilled on every call: EvalPlus compares each
    output right after its call, so it passes; the batch used to encode them all at its end."""
    task = tasks["humaneval-plus"]["HumanEval/1"]
    code = ("_res = []\n"
            "def separate_paren_groups(paren_string):\n"
            "    _res.clear()\n    cur, depth = [], 0\n"
            "    for c in paren_string:\n"
            "        if c == '(':\n            depth += 1\n            cur.append(c)\n"
            "        elif c == ')':\n            depth -= 1\n            cur.append(c)\n"
            "            if depth == 0:\n                _res.append(''.join(cur))\n                cur = []\n"
            "    return _res\n")
    for r in _both(sandbox, task, code):
        assert r.pass_hidden is True and r.hidden_passed == r.hidden_total, r


def test_fast_fail_names_the_real_failure(sandbox, tasks):
    task = tasks["mbpp-sanitized"]["3"]
    default, fast = _both(sandbox, task, "def is_not_prime(n):\n    return 5\n")
    assert default.error_type == fast.error_type == "assertion_failed"
    assert fast.stderr_tail and "got 5" in fast.stderr_tail


def test_a_program_cannot_answer_for_the_assertion(sandbox, tasks):
    """The part of an assertion around the program's calls runs here, with the real builtins:
    shadowing `set`, or an answer whose `__sub__`/`__bool__` says yes, decided it before."""
    shadow = "def set(*a):\n    return 0\ndef similar_elements(a, b):\n    return None\n"
    for r in _both(sandbox, tasks["mbpp-sanitized"]["2"], shadow):
        assert r.pass_hidden is False and r.hidden_passed == 0, r
    near = ("class Near:\n    def __sub__(self, o):\n        return 0\n    __rsub__ = __sub__\n"
            "    def __eq__(self, o):\n        return True\n    __hash__ = object.__hash__\n"
            "def truncate_number(number):\n    return Near()\n")
    for r in _both(sandbox, tasks["humaneval"]["HumanEval/2"], near):    # abs(candidate(x) - y) < 1e-6
        assert r.pass_hidden is False and r.hidden_passed == 0, r
    truthy = ("class Yes:\n    def __bool__(self):\n        return True\n"
              "def below_threshold(l, t):\n    return Yes()\n")
    for r in _both(sandbox, tasks["humaneval"]["HumanEval/52"], truthy):  # assert candidate(...)
        assert r.pass_hidden is False, r
    # the same assertions still pass a right answer given as a plain value
    for task in (tasks["mbpp-sanitized"]["2"], tasks["humaneval"]["HumanEval/2"], tasks["humaneval"]["HumanEval/52"]):
        for r in _both(sandbox, task, task.reference + "\n# a copy\n"):
            assert r.pass_hidden is True, (task.task_id, r)
