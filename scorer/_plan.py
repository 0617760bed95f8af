"""Turning a Task's TestCases into sandbox tests and trusted-side checks.

Assertions of the form ``assert <lhs> == <rhs>`` become ``eval`` tests: the sandbox returns the
value of ``lhs`` (and of ``rhs`` unless it is a literal) and the comparison happens here, where
the untrusted program cannot forge a pass. Any other assertion runs as an ``exec`` test.
"""
from __future__ import annotations

import ast
import hashlib
import json
from dataclasses import dataclass
from typing import Any, Literal

from benchmarks import Task, TestCase

from ._literal import to_source

Mode = Literal["exec", "assert_eq", "assert_eq_pair", "call", "stdio"]
_NO_VALUE = object()


@dataclass
class PlannedTest:
    """One unique test: what the sandbox runs, and how its result is judged here."""

    key: str                    # identity of the TestCase (dedupes visible/hidden overlap)
    case: TestCase
    mode: Mode
    code: str = ""              # eval/exec source for the sandbox (call tests: see call_code)
    rhs: Any = _NO_VALUE        # literal right-hand side of an assert_eq
    wrap: int = 0               # call tests: 1 = return a digest, 2 = (digest, value) (_digest.py)
    target: str = ""            # call tests: the callable's expression
    batched: bool = True        # call tests: run with others in one batch (else a test of its own)

    def call_code(self) -> str:
        """A call test's expression, built only when the call runs as a test of its own (in a
        batch the arguments travel as data): 100k inputs need not carry their source twice."""
        return self.code or f"{self.target}(*{args_source(self.case)})"


def case_key(case: TestCase) -> str:
    """Identity of a TestCase, memoised on the (frozen) object: suites have 100k inputs.

    The SHA-256 of ``json.dumps([kind, code, args source, stdin, expected source,
    expected_known])``, that list's JSON written out directly (the same bytes, 3x faster)."""
    key = case.__dict__.get("_codeharvest_key")
    if key is None:
        known = case.expected_known
        blob = "[" + ", ".join(map(_json_str, (case.kind, case.code, args_source(case), case.stdin,
                                               to_source_or_repr(case.expected)))) + ", " + (
            "true" if known is True else "false" if known is False else json.dumps(known)) + "]"
        key = hashlib.sha256(blob.encode()).hexdigest()[:24]
        object.__setattr__(case, "_codeharvest_key", key)
    return key


_json_str = json.encoder.encode_basestring_ascii  # what json.dumps writes for a str


def args_source(case: TestCase) -> str:
    """Python source of the call arguments (memoised like ``case_key``)."""
    src = case.__dict__.get("_codeharvest_args")
    if src is None:
        src = to_source_or_repr(list(case.args or ()))
        object.__setattr__(case, "_codeharvest_args", src)
    return src


def to_source_or_repr(value: Any) -> str:
    try:
        return to_source(value)
    except Exception:
        return repr(value)


def call_target(task: Task, program: str) -> str:
    entry = task.entry_point or "solution"
    if task.kind == "stdio" and "class Solution" in program and not _defines_top_level(program, entry):
        return f"Solution().{entry}"  # APPS call-based LeetCode style
    return entry


def _defines_top_level(program: str, name: str) -> bool:
    try:
        tree = ast.parse(program)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return True
    return any(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == name
               for n in tree.body)


def plan_assert(case: TestCase) -> tuple[Mode, str, Any]:
    """(mode, sandbox code, literal rhs or _NO_VALUE) for an ``assert`` TestCase."""
    try:
        tree = ast.parse(case.code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return "exec", case.code, _NO_VALUE
    if not tree.body:
        return "exec", case.code, _NO_VALUE
    last = tree.body[-1]
    if not (isinstance(last, ast.Assert) and last.msg is None and isinstance(last.test, ast.Compare)
            and len(last.test.ops) == 1 and isinstance(last.test.ops[0], ast.Eq)):
        return "exec", case.code, _NO_VALUE
    prefix = "\n".join(ast.unparse(s) for s in tree.body[:-1])
    lhs = ast.unparse(last.test.left)
    rhs_node = last.test.comparators[0]
    try:
        rhs_value = ast.literal_eval(rhs_node)
        to_source(rhs_value)          # only plain builtin values
        rhs_src, mode = None, "assert_eq"
    except Exception:
        rhs_value, rhs_src, mode = _NO_VALUE, ast.unparse(rhs_node), "assert_eq_pair"
    expr = lhs if rhs_src is None else f"({lhs}, {rhs_src})"
    if prefix:
        expr = f"(exec({prefix!r}), {expr})[1]"
    return mode, expr, rhs_value


def plan_tests(task: Task, program: str) -> list[PlannedTest]:
    """Unique tests of the task, visible ones first, in order. Memoised on the (frozen) task
    per call target (the only thing the program changes): the PlannedTests are shared, so
    callers replace them rather than mutate them."""
    target = call_target(task, program)
    memo = task.__dict__.get("_codeharvest_plans")
    if memo is None:
        memo = {}
        try:
            object.__setattr__(task, "_codeharvest_plans", memo)
        except (AttributeError, TypeError):
            pass
    if target in memo:
        return list(memo[target])
    plans = _plan_tests(task, program)
    memo[target] = tuple(plans)
    return plans


def _plan_tests(task: Task, program: str) -> list[PlannedTest]:
    seen: dict[str, PlannedTest] = {}
    target = call_target(task, program)
    for case in (*task.visible_tests, *task.hidden_tests):
        key = case_key(case)
        if key in seen:
            continue
        if case.kind == "assert":
            mode, code, rhs = plan_assert(case)
            seen[key] = PlannedTest(key, case, mode, code, rhs)
        elif case.kind == "call":
            seen[key] = PlannedTest(key, case, "call", target=target)
        elif case.kind == "stdio":
            seen[key] = PlannedTest(key, case, "stdio")
        else:
            raise ValueError(f"unknown test kind {case.kind!r}")
    return list(seen.values())


def test_suite_hash(task: Task) -> str:
    """Everything that decides a verdict besides the program: tests, set-up, tolerance, oracle.
    Memoised on the (frozen) Task, like ``case_key``: every sample of a task needs it."""
    memo = task.__dict__.get("_codeharvest_suite_hash")
    if memo is not None:
        return memo
    memo = _test_suite_hash(task)
    try:
        object.__setattr__(task, "_codeharvest_suite_hash", memo)
    except (AttributeError, TypeError):  # a Task without a __dict__: recomputed each time
        pass
    return memo


def _test_suite_hash(task: Task) -> str:
    needs_reference = any(not c.expected_known for c in (*task.visible_tests, *task.hidden_tests))
    blob = json.dumps({
        "benchmark": task.benchmark, "version": task.version, "task_id": task.task_id,
        "visible": [case_key(c) for c in task.visible_tests],
        "hidden": [case_key(c) for c in task.hidden_tests],
        "setup": task.setup_code, "atol": task.atol, "entry_point": task.entry_point,
        "reference": task.reference if needs_reference or task.kind in (
            "translation", "refinement", "classification") else "",
    }, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]
