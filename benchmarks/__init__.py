"""Benchmarks: loaders, prompt templates and answer extraction. Imports nothing of ours."""
from ._errors import BenchmarkError
from ._types import Task, TaskKind, TestCase, TestKind

__all__ = ["BenchmarkError", "Task", "TaskKind", "TestCase", "TestKind"]
