"""MBPP (974 tasks) and MBPP-sanitized (427): first assertion visible, the rest hidden."""
from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from ._data import record_context, iter_jsonl, need, read_json, resolve
from ._errors import BenchmarkError
from ._registry import BenchmarkInfo, register
from ._split import parse_quietly, split_tests
from ._types import Task, TestCase

#: The standard splits of the original release, by task_id range.
SPLITS: dict[str, range] = {
    "prompt": range(1, 11), "test": range(11, 511), "validation": range(511, 601), "train": range(601, 975),
}


def _in_split(task_id: int, split: str | None) -> bool:
    return split in (None, "all") or task_id in SPLITS[split]


def entry_point_of(code: str, assertion: str) -> str | None:
    """The function the assertion calls that the reference defines (else the first call)."""
    try:
        defined = {n.name for n in ast.walk(parse_quietly(code))
                   if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
    except SyntaxError:
        defined = set()
    try:
        calls = [n.func.id for n in ast.walk(parse_quietly(assertion))
                 if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)]
    except SyntaxError:
        return None
    for name in calls:
        if name in defined:
            return name
    return calls[0] if calls else None


def _task(benchmark: str, version: str, rec: dict[str, Any], text: str, setup: str, path: Path,
          lineno: int, where: str) -> Task:
    test_list = rec["test_list"]
    if not isinstance(test_list, list) or not test_list:
        raise BenchmarkError(f"{path}: {where} (task_id {rec['task_id']}): test_list must be a non-empty list")
    code = rec["code"].replace("\r\n", "\n").replace("\r", "\n")
    tests = [TestCase(kind="assert", code=a.replace("\r\n", "\n").strip(), name=f"test_list#{i}")
             for i, a in enumerate(test_list)]
    visible, hidden, same = split_tests(tests, text)
    meta: dict[str, Any] = {"source_record": lineno}
    if same:
        meta["hidden_equals_visible"] = True
    if rec.get("challenge_test_list"):
        # not scored (as upstream); only counted, so no test text sits in task features
        meta["n_challenge_tests"] = len(rec["challenge_test_list"])
    return Task(
        benchmark=benchmark, version=version, task_id=str(rec["task_id"]), kind="function",
        language="python", dimension="code_generation", prompt=text.strip(), reference=code,
        visible_tests=visible, hidden_tests=hidden,
        entry_point=entry_point_of(code, test_list[0]), setup_code=setup.replace("\r\n", "\n"),
        metadata=meta,
    )


def _load_full(data_dir: str | Path | None, split: str | None) -> list[Task]:
    path = resolve("mbpp/mbpp.jsonl", data_dir)
    tasks = []
    for lineno, rec in iter_jsonl(path):
        with record_context(path, f"line {lineno}"):
            need(rec, ("task_id", "text", "code", "test_list"), path, f"line {lineno}")
            if _in_split(int(rec["task_id"]), split):
                tasks.append(_task("mbpp", "1.0", rec, rec["text"], rec.get("test_setup_code") or "", path, lineno,
                                  f"line {lineno}"))
    return tasks


def _load_sanitized(data_dir: str | Path | None, split: str | None) -> list[Task]:
    path = resolve("mbpp/sanitized-mbpp.json", data_dir)
    records = read_json(path)
    if not isinstance(records, list):
        raise BenchmarkError(f"{path}: expected a JSON list of tasks")
    tasks = []
    for index, rec in enumerate(records):
        with record_context(path, f"record {index}"):
            if not isinstance(rec, dict):
                raise BenchmarkError(f"{path}: record {index}: expected a JSON object")
            need(rec, ("task_id", "prompt", "code", "test_list"), path, f"record {index}")
            if _in_split(int(rec["task_id"]), split):
                setup = "\n".join(rec.get("test_imports") or [])
                tasks.append(_task("mbpp-sanitized", "1.0", rec, rec["prompt"], setup, path, index, f"record {index}"))
    return tasks


_SPLITS = ("all", *SPLITS)
register(BenchmarkInfo(
    name="mbpp", kind="function", version="1.0",
    source="MBPP (google-research mbpp.jsonl, 974 tasks; default split test = ids 11-510)",
    default_files=("mbpp/mbpp.jsonl",), splits=_SPLITS, default_split="test", loader=_load_full,
))
register(BenchmarkInfo(
    name="mbpp-sanitized", kind="function", version="1.0",
    source="MBPP sanitized (sanitized-mbpp.json, 427 tasks)",
    default_files=("mbpp/sanitized-mbpp.json",), splits=_SPLITS, default_split="all", loader=_load_sanitized,
))
