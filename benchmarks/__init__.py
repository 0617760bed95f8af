"""Benchmarks: loaders, prompt templates and answer extraction. Imports nothing of ours."""
from ._errors import BenchmarkError
from ._data import iter_jsonl
from ._types import Task, TaskKind, TestCase, TestKind
from ._registry import BenchmarkInfo, get_benchmark, list_benchmarks, load_tasks
from . import _humaneval, _evalplus, _mbpp, _apps, _runbugrun, _codexglue, _sven  # noqa: F401  (register)
from ._prompts import PromptTemplate, RenderedPrompt, builtin_template, load_template, render_prompt
from ._extract import Extraction, extract_answer

__all__ = ["BenchmarkError", "iter_jsonl", "Task", "TaskKind", "TestCase", "TestKind",
           "BenchmarkInfo", "get_benchmark", "list_benchmarks", "load_tasks",
           "PromptTemplate", "RenderedPrompt", "builtin_template", "load_template", "render_prompt",
           "Extraction", "extract_answer"]
