"""Turning a Task's TestCases into sandbox tests and trusted-side checks.

Assertions of the form ``assert <lhs> == <rhs>`` become ``eval`` tests: the sandbox returns the
value of ``lhs`` (and of ``rhs`` unless it is a literal) and the comparison happens here, where
the untrusted program cannot forge a pass. Other single assertions over the program's results
(``assert candidate(x)``, ``assert not ...``, ``abs(f(x) - y) < 1e-6``, ``math.isclose(...)``,
``set(f(x)) == set(...)``) are split the same way (``assert_host``): the sandbox returns the
values of the calls into the program, and the rest of the assertion is evaluated here over
them with the real builtins and ``math`` (a program can neither shadow ``set`` or ``abs`` nor
answer with an object whose ``__bool__``, ``__sub__`` or ``__lt__`` says yes). Anything else
runs as an ``exec`` test.
"""
from __future__ import annotations

import ast
import hashlib
import json
from dataclasses import dataclass
from typing import Any, Literal

from benchmarks import Task, TestCase

from ._literal import to_source

Mode = Literal["exec", "assert_eq", "assert_eq_pair", "assert_host", "call", "stdio"]
_NO_VALUE = object()


@dataclass
class PlannedTest:
    """One unique test: what the sandbox runs, and how its result is judged here."""

    key: str                    # identity of the TestCase (dedupes visible/hidden overlap)
    case: TestCase
    mode: Mode
    code: str = ""              # eval/exec source for the sandbox (call tests: see call_code)
    rhs: Any = _NO_VALUE        # literal right-hand side of an assert_eq; assert_host: its HostCheck
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
    """(mode, sandbox code, literal rhs / HostCheck / _NO_VALUE) for an ``assert`` TestCase."""
    try:
        tree = ast.parse(case.code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return "exec", case.code, _NO_VALUE
    if not tree.body:
        return "exec", case.code, _NO_VALUE
    last = tree.body[-1]
    if not isinstance(last, ast.Assert):       # (an assertion's message changes no verdict)
        return "exec", case.code, _NO_VALUE
    prefix = "\n".join(ast.unparse(s) for s in tree.body[:-1])
    test = last.test
    equality = isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)
    if equality and _is_operand(test.left, tree.body[:-1]):
        try:                          # f(x) == <literal>: the value, compared here
            rhs_value = ast.literal_eval(test.comparators[0])
            to_source(rhs_value)      # only plain builtin values
            expr = ast.unparse(test.left)
            return "assert_eq", f"(exec({prefix!r}), {expr})[1]" if prefix else expr, rhs_value
        except Exception:  # noqa: BLE001 - not a literal: split below
            pass
    planned = _plan_host(case, tree.body[:-1], prefix, test)
    if planned[0] != "exec" or not equality:
        return planned
    # lhs == rhs that cannot be split (a comprehension): both sides' values, compared here
    expr = f"({ast.unparse(test.left)}, {ast.unparse(test.comparators[0])})"
    if prefix:
        expr = f"(exec({prefix!r}), {expr})[1]"
    return "assert_eq_pair", expr, _NO_VALUE


# What the host may evaluate in an assertion: builtins and math functions of plain values.
_HOST_BUILTINS = ("abs", "all", "any", "bool", "dict", "divmod", "enumerate", "float", "frozenset",
                  "int", "isinstance", "len", "list", "max", "min", "pow", "range", "reversed",
                  "round", "set", "sorted", "str", "sum", "tuple", "type", "zip", "complex", "bytes")


@dataclass(frozen=True)
class HostCheck:
    """An assertion evaluated here over the values the sandbox returned for its operands."""

    source: str                 # the assertion's expression, operand i written ``__op[i]``
    operands: int

    def __call__(self, values: tuple) -> bool:
        import builtins
        import math

        names = {n: getattr(builtins, n) for n in _HOST_BUILTINS}
        return bool(eval(self.source, {"__builtins__": {}, **names, "math": math, "__op": values}))


class _Unsplittable(Exception):
    pass


def _bound(prefix: list[ast.stmt]) -> set[str]:
    """Names the assertion's own set-up binds (``candidate = f``, ``import math as m``)."""
    out: set[str] = set()
    for node in prefix:
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
                out.add(sub.id)
            elif isinstance(sub, (ast.Import, ast.ImportFrom)):
                out.update((a.asname or a.name).split(".")[0] for a in sub.names)
    return out


def _host_name(node: ast.expr, bound: set[str]) -> bool:
    """A name (or ``math.x``) the host resolves itself, to the real builtin or math function."""
    if isinstance(node, ast.Name):
        return node.id in _HOST_BUILTINS and node.id not in bound
    import math

    return (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
            and node.value.id == "math" and hasattr(math, node.attr)
            and not node.attr.startswith("_"))


def _is_operand(node: ast.expr, prefix: list[ast.stmt]) -> bool:
    """A call into the program (not a builtin the host could evaluate itself)."""
    return isinstance(node, ast.Call) and not _host_name(node.func, _bound(prefix))


def _plan_host(case: TestCase, prefix_nodes: list[ast.stmt], prefix: str,
               test: ast.expr) -> tuple[Mode, str, Any]:
    bound = _bound(prefix_nodes)
    operands: list[str] = []

    def split(node: ast.AST) -> ast.AST:
        if isinstance(node, ast.Constant):
            return node
        if _host_name(node, bound):   # (a bare builtin or math.x: the real one, here)
            return node
        if isinstance(node, ast.Call):
            if not _host_name(node.func, bound):
                return operand(node)
            if any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
                raise _Unsplittable
            return ast.Call(node.func, [split(a) for a in node.args],
                            [ast.keyword(k.arg, split(k.value)) for k in node.keywords])
        if isinstance(node, (ast.Compare, ast.BinOp, ast.UnaryOp, ast.Tuple, ast.List, ast.Set,
                             ast.Dict, ast.Subscript, ast.Slice)):
            for field, value in ast.iter_fields(node):
                if isinstance(value, ast.AST) and not isinstance(value, (ast.expr_context, ast.operator,
                                                                         ast.unaryop, ast.cmpop)):
                    setattr(node, field, split(value))
                elif isinstance(value, list):
                    setattr(node, field, [split(v) if isinstance(v, ast.expr) else v for v in value])
            return node
        if isinstance(node, (ast.Name, ast.Attribute)):
            return operand(node)      # a value of the program's (a constant it defines)
        raise _Unsplittable           # short-circuits, comprehensions, lambdas: run as written

    def operand(node: ast.AST) -> ast.AST:
        operands.append(ast.unparse(node))
        return ast.parse(f"__op[{len(operands) - 1}]", mode="eval").body

    try:
        host = split(ast.parse(ast.unparse(test), mode="eval").body)   # (a copy: split rewrites)
    except (_Unsplittable, RecursionError):
        return "exec", case.code, _NO_VALUE
    if not operands:
        return "exec", case.code, _NO_VALUE
    expr = f"({', '.join(operands)},)"
    if prefix:
        expr = f"(exec({prefix!r}), {expr})[1]"
    return "assert_host", expr, HostCheck(ast.unparse(host), len(operands))


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
