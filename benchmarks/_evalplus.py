"""EvalPlus HumanEval+ (v0.1.10, also Mini) and MBPP+ (v0.2.0): differential ``call`` tests.

Expected outputs are not stored upstream: the scorer computes them by running
``Task.reference`` (prompt + canonical solution) on the same inputs, as EvalPlus does.
Base inputs are visible; base + plus inputs are hidden.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from ._data import record_context, iter_jsonl, need, resolve
from ._registry import BenchmarkInfo, register
from ._split import normalise, shown_in
from ._types import Task, TestCase

FIELDS = ("task_id", "prompt", "entry_point", "canonical_solution", "base_input", "plus_input", "atol")


def _make_loader(benchmark: str, relpath: str, version: str, is_mbpp: bool):
    def load(data_dir: str | Path | None, split: str | None) -> list[Task]:
        path = resolve(relpath, data_dir, alternatives=(relpath.removesuffix(".gz"),))
        tasks = []
        for lineno, rec in iter_jsonl(path):
            with record_context(path, f"line {lineno}"):
                need(rec, FIELDS, path, f"line {lineno}")
                task_id = rec["task_id"]
                base = rec["base_input"]
                plus = rec["plus_input"]
                if is_mbpp:
                    base = mbpp_deserialize_inputs(task_id, base)
                    plus = mbpp_deserialize_inputs(task_id, plus)
                base_tests = tuple(_call(args, f"base#{i}") for i, args in enumerate(base))
                plus_tests = tuple(_call(args, f"plus#{i}") for i, args in enumerate(plus))
                # A plus input readable off the prompt is not hidden information: treat it as visible.
                flat = normalise(rec["prompt"])
                shown = tuple(t for t in plus_tests if shown_in(t, rec["prompt"], flat))
                tasks.append(Task(
                    benchmark=benchmark, version=version, task_id=task_id, kind="function",
                    language="python", dimension="code_generation", prompt=rec["prompt"],
                    reference=rec["prompt"] + rec["canonical_solution"],
                    visible_tests=base_tests + shown, hidden_tests=base_tests + plus_tests,
                    entry_point=rec["entry_point"], starter_code="" if is_mbpp else rec["prompt"],
                    atol=float(rec["atol"] or 0.0),
                    metadata={"source_line": lineno, "n_base": len(base_tests), "n_plus": len(plus_tests),
                              "contract": rec.get("contract", "")},
                ))
        return tasks

    return load


def _call(args: Any, name: str) -> TestCase:
    return TestCase(kind="call", args=list(args) if isinstance(args, list) else args, expected=None,
                    expected_known=False, name=name)


def mbpp_deserialize_inputs(task_id: str, inputs: list) -> list:
    """MBPP+ stores tuples/sets/complex numbers as JSON lists/strings; restore them.

    Same table as ``evalplus.data.mbpp.mbpp_deserialize_inputs`` (evalplus 0.3.1, Apache-2.0).
    """
    tid = int(task_id.split("/")[-1])
    if tid in (2, 116, 132, 143, 222, 261, 273, 394, 399, 421, 424, 429, 470, 560, 579, 596, 616, 630,
               726, 740, 744, 809):
        return [[tuple(lst) for lst in inp] for inp in inputs]
    if tid in (63, 64, 70, 94, 120, 237, 272, 299, 400, 409, 417, 438, 473, 614, 780):
        return [[[tuple(lst) for lst in lst_lst] for lst_lst in inp] for inp in inputs]
    if tid in (75, 413, 444, 753):
        return [[[tuple(lst) for lst in inp[0]]] + [inp[1]] for inp in inputs]
    if tid in (106, 750):
        return [[inp[0]] + [tuple(inp[1])] for inp in inputs]
    if tid == 115:
        return [[[set(item) if isinstance(item, list) and len(item) else {} for item in inp[0]]]
                for inp in inputs]
    if tid == 124:
        return [(float(inp[0]), complex(inp[1])) for inp in inputs]
    if tid in (250, 405, 446, 617, 720, 763, 808):
        return [[tuple(inp[0])] + [inp[1]] for inp in inputs]
    if tid in (259, 401, 445):
        modified = [[[tuple(lst) for lst in lst_lst] for lst_lst in inp] for inp in inputs]
        return [[tuple(lst) for lst in inp] for inp in modified]
    if tid == 278:
        modified = [[[tuple(item) if isinstance(item, list) else item for item in inp[0]]] for inp in inputs]
        return [[tuple(lst) for lst in inp] for inp in modified]
    if tid == 307:
        return [[tuple(inp[0])] + [inp[1], inp[2]] for inp in inputs]
    if tid == 722:
        return [[{key: tuple(value) for key, value in inp[0].items()}] + inp[1:] for inp in inputs]
    if tid == 252:
        return [[complex(inp[0])] for inp in inputs]
    if tid in (580, 615, 791):
        def to_tuple(inp):
            if isinstance(inp, list):
                return tuple(to_tuple(item) for item in inp)
            return inp
        return [to_tuple(inp) for inp in inputs]
    return inputs


register(BenchmarkInfo(
    name="humaneval-plus", kind="function", version="0.1.10",
    source="EvalPlus HumanEval+ v0.1.10 (evalplus/humanevalplus_release)",
    default_files=("evalplus/HumanEvalPlus.jsonl.gz",),
    loader=_make_loader("humaneval-plus", "evalplus/HumanEvalPlus.jsonl.gz", "0.1.10", False),
))
register(BenchmarkInfo(
    name="humaneval-plus-mini", kind="function", version="0.1.10",
    source="EvalPlus HumanEval+ Mini v0.1.10 (reduced plus inputs)",
    default_files=("evalplus/HumanEvalPlus-Mini.jsonl.gz",),
    loader=_make_loader("humaneval-plus-mini", "evalplus/HumanEvalPlus-Mini.jsonl.gz", "0.1.10", False),
))
register(BenchmarkInfo(
    name="mbpp-plus", kind="function", version="0.2.0",
    source="EvalPlus MBPP+ v0.2.0 (evalplus/mbppplus_release)",
    default_files=("evalplus/MbppPlus.jsonl.gz",),
    loader=_make_loader("mbpp-plus", "evalplus/MbppPlus.jsonl.gz", "0.2.0", True),
))
