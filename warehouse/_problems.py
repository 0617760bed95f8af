"""Problem groups: the unit an export split keeps whole (DESIGN.md section 7).

Some benchmarks share their problems: HumanEval+ and HumanEval+-mini re-test HumanEval's
problems under the same ``HumanEval/N`` ids and prompts; MBPP-sanitized and MBPP+ are subsets
of MBPP (ids ``N``, and ``Mbpp/N`` for MBPP+). Splitting each benchmark on its own would train
on a problem and test on it under another name, so a split is drawn per problem group: the
family plus the problem number. The benchmark version is never part of a group (a re-release
of a task is the same problem). The table lives here because warehouse imports nothing of ours
(benchmarks/ exposes no such table); keep it in step with the names benchmarks/ registers.
"""
from __future__ import annotations

import re
from typing import Any

#: family -> the benchmarks that pose its problems (registry names).
PROBLEM_FAMILIES: dict[str, tuple[str, ...]] = {
    "humaneval": ("humaneval", "humaneval-plus", "humaneval-plus-mini"),
    "mbpp": ("mbpp", "mbpp-sanitized", "mbpp-plus"),
}
_FAMILY_OF = {member: family for family, members in PROBLEM_FAMILIES.items() for member in members}
#: benchmarks whose tasks come in pairs of one record (SVEN: a function before and after its fix,
#: ``<record>/a`` and ``<record>/b``): the record is the problem (training on one version of a
#: function and testing on the other would test on what was learnt)
PAIRED_BENCHMARKS = ("sven",)
_NUMBERED_ID = re.compile(r"(?:[A-Za-z]+/)?(\d+)")  # "HumanEval/7", "Mbpp/7" or "7"

GROUPING_RULE = ("a split is drawn per problem group: (family, problem number) for the benchmarks "
                 "of a family, (benchmark, record: task_id up to its last '/') for benchmarks whose "
                 "tasks come in pairs (sven), (benchmark, task_id) for any other benchmark; the "
                 "benchmark version is ignored, so every row of one problem lands in one split")


def benchmark_family(benchmark: str) -> str:
    """The family whose problems ``benchmark`` poses; a benchmark outside every family is its own."""
    return _FAMILY_OF.get(benchmark.strip().lower(), benchmark)


def problem_group(benchmark: str, task_id: Any) -> tuple[str, str]:
    """(family, problem): equal for every benchmark and version that pose the same problem."""
    family = benchmark_family(benchmark)
    task = str(task_id).strip()
    if family.strip().lower() in PAIRED_BENCHMARKS:
        return (family, task.rsplit("/", 1)[0])
    numbered = _NUMBERED_ID.fullmatch(task) if family in PROBLEM_FAMILIES else None
    return (family, str(int(numbered.group(1))) if numbered else task)


def grouping_manifest() -> dict[str, Any]:
    """How an export grouped its splits, for the manifest (a reader can regroup the rows)."""
    return {"unit": "problem", "rule": GROUPING_RULE, "stratified_by": "benchmark family",
            "families": {family: list(members) for family, members in PROBLEM_FAMILIES.items()},
            "paired": list(PAIRED_BENCHMARKS)}
