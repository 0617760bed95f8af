"""Typed tasks: the contract between benchmarks, the scorer and the collector."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

TaskKind = Literal["function", "stdio", "translation", "refinement", "classification"]
TestKind = Literal["assert", "call", "stdio"]


@dataclass(frozen=True)
class TestCase:
    """One independently scored test.

    - ``assert``: ``code`` is a Python statement block run after the program
      (an MBPP assertion, one HumanEval ``check`` assertion with its set-up lines).
    - ``call``: call ``Task.entry_point`` with ``args`` (a JSON-able list); compare the
      return value with ``expected`` (``None`` with ``expected_known=False`` means: compute
      it by running the reference solution, as EvalPlus does).
    - ``stdio``: run the program with ``stdin``; compare stdout with ``expected``.
    """

    kind: TestKind
    code: str = ""
    args: tuple[Any, ...] | list[Any] | None = None
    stdin: str = ""
    expected: Any = None
    expected_known: bool = True
    name: str = ""


@dataclass(frozen=True)
class Task:
    benchmark: str
    version: str
    task_id: str
    kind: TaskKind
    language: str
    dimension: str
    prompt: str                      # the problem text shown to the model
    reference: str                   # canonical solution, reference translation/fix, or true label
    visible_tests: tuple[TestCase, ...] = ()
    hidden_tests: tuple[TestCase, ...] = ()
    difficulty: str | None = None
    entry_point: str | None = None   # function name for function/call-based tasks
    starter_code: str = ""           # code the prompt asks the model to complete
    setup_code: str = ""             # test_imports / test_setup_code, run before tests
    atol: float = 0.0                # EvalPlus float tolerance
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.benchmark, self.version, self.task_id)
