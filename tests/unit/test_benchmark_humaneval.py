"""HumanEval's ``check`` split into one self-contained test per assertion, verified by running
the canonical solutions (all pass) and an obviously wrong one (some hidden test fails), per task;
the assertions the prompt's docstring works as examples are visible, the rest hidden."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from benchmarks import load_tasks
from benchmarks._humaneval import INFO, shown_as_example, split_check, split_examples, worked_examples
from benchmarks._types import TestCase as Case


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
    payload = {t.task_id: (t.reference, t.starter_code + "    return None\n",
                           [c.code for c in (*t.hidden_tests, *t.visible_tests)]) for t in tasks}
    proc = subprocess.run([sys.executable, "-c", RUNNER], input=json.dumps(payload), capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(proc.stdout)
    assert len(report) == 164
    canonical_failures = {tid: [i for i, ok in enumerate(v[0]) if not ok] for tid, v in report.items() if not all(v[0])}
    assert canonical_failures == {}
    hidden = {t.task_id: len(t.hidden_tests) for t in tasks}
    wrong_passing = [tid for tid, v in report.items() if all(v[1][:hidden[tid]])]   # the hidden ones alone
    assert wrong_passing == []
    assert all(len(v[0]) >= 1 for v in report.values())


# ------------------------------------------------------------------ docstring worked examples

def _assert(code: str, entry_point: str = "f") -> Case:
    return Case(kind="assert", code=f"candidate = {entry_point}\n{code}\n")


def _shown(prompt: str, code: str, entry_point: str = "f") -> bool:
    return shown_as_example(_assert(code, entry_point), prompt, entry_point)


DOCTEST = '''def f(xs: list, k: int = 0):
    """Sum it.
    >>> f([1,2], 3)
    0.5
    >>> f([])
    >>> f('a b')
    'b a'
    """
'''


@pytest.mark.parametrize("code, shown", [
    ("assert candidate([1, 2], 3) == 0.5", True),                  # [1,2] and [1, 2] read alike
    ("assert candidate([1, 2], 3.0) == 0.50", True),               # values, not text
    ("assert abs(candidate([1, 2], 3) - 0.5) < 1e-6", True),
    ("assert math.isclose(candidate([1, 2], 3), 0.5)", True),
    ("assert candidate([1, 2], 3) == 0.55", False),                # 0.5 is not 0.55
    ("assert candidate([1, 2], 13) == 0.5", False),                # 3 is not 13
    ("assert candidate([1, 2]) == 0.5", False),                    # another call
    ("assert candidate([2, 1], 3) == 0.5", False),
    ("assert candidate([]) == None", True),                        # doctest: no output line is None
    ("assert candidate([]) is None", True),
    ("assert candidate('a b') == 'b a'", True),
    ('assert candidate("a b") == "b a", "message"', True),        # quotes do not matter
    ("assert candidate('a  b') == 'b a'", False),                  # string contents do
    ("assert candidate('a b') == 'b  a'", False),
    ("assert candidate(x) == 'b a'", False),                       # not a literal call: not shown
    ("for x in range(3):\n    assert candidate([1, 2], 3) == 0.5", False),
])
def test_doctest_examples_matched_by_value(code, shown):
    assert _shown(DOCTEST, code) is shown


ARROWS = '''def g(a, b):
    """Examples:
    g(1, 2) ==> True
    g(2, 2) -> 1
    g("x", 2) ➞ ["x", "x"]
    * g(3, 4) => false
    g(5, 1) should return 4.
    g(6, 1) returns ("y")
    g(7, 1) == 2 + 3 = 5
    g(8, 1) = 12
    g(w, 2) => "ww"
    The call g(9, 9) is slow.
    """
'''


@pytest.mark.parametrize("code, shown", [
    ("assert candidate(1, 2) == True", True),
    ("assert candidate(1, 2)", True),                              # truthy
    ("assert candidate(1, 2) is True", True),
    ("assert candidate(1, 2) == 1", False),                        # True is not 1
    ("assert candidate(2, 2) == 1", True),
    ("assert candidate(2, 2) == True", False),
    ("assert candidate('x', 2) == ['x', 'x']", True),
    ("assert candidate('x', 2) == ('x', 'x')", True),              # the content is shown
    ("assert not candidate(3, 4)", True),                          # "false"
    ("assert candidate(3, 4) == False", True),
    ("assert candidate(5, 1) == 4", True),
    ("assert candidate(6, 1) == ('y',)", True),                    # ("y"): also a 1-tuple
    ("assert candidate(7, 1) == 5", True),                         # 2 + 3
    ("assert candidate(8, 1) == 12", True),
    ("assert candidate(8, 1) == 1", False),                        # 1 is not in 12
    ("assert candidate('w', 2) == 'ww'", True),                    # written without its quotes
    ("assert candidate(9, 9) == 0", False),                        # a call without a result
    ("assert candidate(10, 1) == 4", False),
], ids=lambda v: v if isinstance(v, str) else None)
def test_arrow_examples(code, shown):
    assert _shown(ARROWS, code, "g") is shown


BLOCKS = '''def h(arr, k):
    """
    For arr = [1, 2], k = 3, the sum will be 6 so the output should be "6".
    Example 1:
        Input: arr = [4,2,3], k = 1
        Output: [2, 1]
    Example 2:
        Input:
            grid : [[0,1]]
            bucket : 2
        Output: 7
    For example:
      arr = [9, 8]
      k = 1
            -> sort -> [8, 9]
      return [8]
    """
'''


@pytest.mark.parametrize("code, shown", [
    ("assert candidate([1, 2], 3) == '6'", True),
    ("assert candidate([1, 2], 3) == 6", False),
    ("assert candidate([4, 2, 3], 1) == [2, 1]", True),
    ("assert candidate([[0, 1]], 2) == 7", True),                  # names other than the parameters
    ("assert candidate([9, 8], 1) == [8]", True),
    ("assert candidate([9, 8], 2) == [8]", False),
])
def test_input_output_blocks(code, shown):
    assert _shown(BLOCKS, code, "h") is shown


def test_unknown_expected_value_is_visible_once_its_call_is_shown():
    prompt = 'def s(xs):\n    """\n    >>> s([1, 2, 3])\n    [1, 2, 3]\n    """\n'
    assert _shown(prompt, "assert tuple(candidate([1, 2, 3])) == tuple(s([1, 2, 3]))", "s")
    assert not _shown(prompt, "assert tuple(candidate([1, 2])) == tuple(s([1, 2]))", "s")


def test_split_examples_keeps_an_all_visible_task_scorable():
    tests = (_assert("assert candidate([1, 2], 3) == 0.5"), _assert("assert candidate([]) is None"))
    visible, hidden, same = split_examples(tests, DOCTEST, "f")
    assert visible == tests and hidden == tests and same
    more = tests + (_assert("assert candidate([5]) == 1"),)
    visible, hidden, same = split_examples(more, DOCTEST, "f")
    assert visible == tests and hidden == more and not same     # hidden: the whole check


def test_docstring_examples_are_visible_and_hidden_is_all_of_check(shared_data):
    tasks = {t.task_id: t for t in load_tasks("humaneval", data_dir=shared_data)}
    assert INFO.version == "1.0.3" and all(t.version == "1.0.3" for t in tasks.values())  # task keys kept

    def last(t: Case) -> str:
        return t.code.rstrip().splitlines()[-1]

    he2 = tasks["HumanEval/2"]
    assert [last(t) for t in he2.visible_tests] == ["assert candidate(3.5) == 0.5"]
    assert [last(t) for t in he2.hidden_tests] == ["assert candidate(3.5) == 0.5",
                                                   "assert abs(candidate(1.33) - 0.33) < 1e-6",
                                                   "assert abs(candidate(123.456) - 0.456) < 1e-6"]
    assert he2.metadata["examples_in_prompt"] is True and "hidden_equals_visible" not in he2.metadata
    visible = {tid: {last(t) for t in task.visible_tests} for tid, task in tasks.items()}
    hidden_only = {tid: {last(t) for t in task.hidden_tests if t not in task.visible_tests}
                   for tid, task in tasks.items()}
    for tid, line in [
        ("HumanEval/1", "assert candidate('( ) (( )) (( )( ))') == ['()', '(())', '(()())']"),
        ("HumanEval/6", "assert candidate('(()()) ((())) () ((())()())') == [2, 3, 1, 3]"),
        ("HumanEval/8", "assert candidate([]) == (0, 1)"),
        ("HumanEval/10", "assert candidate('') == ''"),
        ("HumanEval/12", "assert candidate([]) == None"),                      # doctest without output
        ("HumanEval/15", "assert candidate(0) == '0'"),
        ("HumanEval/52", "assert not candidate([1, 20, 4, 10], 5)"),
        ("HumanEval/64", 'assert candidate("abcde") == 2, "Test 1"'),
        ("HumanEval/80", 'assert candidate("abcd") == True , "abcd"'),           # is_happy(abcd) => True
        ("HumanEval/81", "assert candidate([4.0, 3, 1.7, 2, 3.5]) == ['A+', 'B', 'C-', 'C', 'A-']"),  # grade_equation
        ("HumanEval/84", 'assert candidate(1000) == "1", "Error"'),              # For N = 1000 ... should be "1"
        ("HumanEval/105", 'assert candidate([]) == [], "Error"'),                # arr = [] / return []
        ("HumanEval/120", "assert candidate([-3, -4, 5], 3) == [-4, -3, 5]"),   # Input: arr = ..., k = 3
        ("HumanEval/130", "assert candidate(3) == [1, 3, 2.0, 8.0]"),           # tri(3) = [1, 3, 2, 8]
        ("HumanEval/148", 'assert candidate("Earth", "Mercury") == ("Venus",), "Second test error: " '
                          '+ str(candidate("Earth", "Mercury"))'),           # ==> ("Venus")
        ("HumanEval/158", 'assert (candidate(["aaaaaaa", "bb", "cc"]) == "aaaaaaa"), \'t3\''),  # ""aaaaaaa"
    ]:
        assert line in visible[tid], (tid, line, visible[tid])
        assert line not in hidden_only[tid]
    for tid, line in [
        ("HumanEval/47", "assert candidate([-10, 4, 6, 1000, 10, 20]) == 8.0"),   # the docstring says 15.0
        ("HumanEval/116", "assert candidate([1,5,2,3,4]) == [1, 2, 4, 3, 5]"),   # the docstring says [1, 2, 3, 4, 5]
        ("HumanEval/130", "assert candidate(4) == [1, 3, 2.0, 8.0, 3.0]"),       # "tri(4) = 3" is an element
        ("HumanEval/151", 'assert candidate(lst) == odd_sum , "This prints if this assert fails 7 (good for '
                          'debugging!)"'),
    ]:
        assert line in hidden_only[tid], (tid, line)
    # the counts: 346 of the 1,133 assertions, in 129 tasks, are worked examples of their prompt;
    # the hidden tests stay all 1,133 (the upstream pass@1); HumanEval/34's one is its example
    assert sum(len(t.visible_tests) for t in tasks.values()) == 346
    assert sum(1 for t in tasks.values() if t.visible_tests) == 129
    assert sum(len(t.hidden_tests) for t in tasks.values()) == 1133
    assert all(set(t.visible_tests) <= set(t.hidden_tests) for t in tasks.values())
    assert [tid for tid, t in tasks.items() if t.metadata.get("hidden_equals_visible")] == ["HumanEval/34"]
    assert tasks["HumanEval/34"].hidden_tests == tasks["HumanEval/34"].visible_tests
    assert all(bool(t.visible_tests) == bool(t.metadata.get("examples_in_prompt")) for t in tasks.values())


def test_no_hidden_test_is_a_worked_example_of_its_prompt(shared_data):
    for task in load_tasks("humaneval", data_dir=shared_data):
        examples = worked_examples(task.prompt, task.entry_point)
        assert all(shown_as_example(t, task.prompt, task.entry_point, examples) for t in task.visible_tests)
        for test in task.hidden_tests:
            if test not in task.visible_tests:
                assert not shown_as_example(test, task.prompt, task.entry_point, examples), (task.task_id, test.code)
