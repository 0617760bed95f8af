"""CodeXGLUE Java->C# translation and Java code refinement: line-aligned pairs, no tests.

Scored by CodeBLEU against ``Task.reference`` (the C# line / the fixed line).
"""
from __future__ import annotations

from pathlib import Path

from ._data import read_lines, resolve
from ._errors import BenchmarkError
from ._registry import BenchmarkInfo, register
from ._types import Task


def _pairs(source_rel: str, target_rel: str, data_dir: str | Path | None) -> list[tuple[int, str, str]]:
    src_path, tgt_path = resolve(source_rel, data_dir), resolve(target_rel, data_dir)
    sources, targets = read_lines(src_path), read_lines(tgt_path)
    # a final newline gives no extra record; interior blank lines are records and must align
    while sources and not sources[-1].strip():
        sources.pop()
    while targets and not targets[-1].strip():
        targets.pop()
    if len(sources) != len(targets):
        raise BenchmarkError(f"{src_path} has {len(sources)} lines but {tgt_path} has {len(targets)}: "
                             "files are not line-aligned")
    for lineno, (src, tgt) in enumerate(zip(sources, targets), 1):
        if not src.strip() or not tgt.strip():
            raise BenchmarkError(f"{src_path if not src.strip() else tgt_path}: line {lineno}: empty record")
    return [(i, s.strip(), t.strip()) for i, (s, t) in enumerate(zip(sources, targets))]


def _translation(data_dir: str | Path | None, split: str | None) -> list[Task]:
    split = split or "test"
    base = f"codexglue/code-to-code-trans/{split}.java-cs.txt"
    return [Task(benchmark="codexglue-java-cs", version="1.0", task_id=f"{split}/{i}", kind="translation",
                 language="csharp", dimension="translation", prompt=java, reference=cs,
                 metadata={"source_language": "java", "target_language": "csharp", "line": i + 1})
            for i, java, cs in _pairs(base + ".java", base + ".cs", data_dir)]


def _refinement(size: str):
    def load(data_dir: str | Path | None, split: str | None) -> list[Task]:
        split = split or "test"
        base = f"codexglue/code-refinement/{size}/{split}.buggy-fixed"
        return [Task(benchmark=f"codexglue-refine-{size}", version="1.0", task_id=f"{split}/{i}",
                     kind="refinement", language="java", dimension="bug_fixing", prompt=buggy, reference=fixed,
                     metadata={"source_language": "java", "line": i + 1, "abstracted": True})
                for i, buggy, fixed in _pairs(base + ".buggy", base + ".fixed", data_dir)]
    return load


register(BenchmarkInfo(
    name="codexglue-java-cs", kind="translation", version="1.0",
    source="CodeXGLUE code-to-code-trans Java->C# (microsoft/CodeXGLUE)",
    default_files=("codexglue/code-to-code-trans/test.java-cs.txt.java", "codexglue/code-to-code-trans/test.java-cs.txt.cs"),
    language="csharp", dimension="translation", splits=("test", "valid"), default_split="test", loader=_translation,
))
for _size in ("small", "medium"):
    register(BenchmarkInfo(
        name=f"codexglue-refine-{_size}", kind="refinement", version="1.0",
        source=f"CodeXGLUE code-refinement {_size} (abstracted Java, microsoft/CodeXGLUE)",
        default_files=(f"codexglue/code-refinement/{_size}/test.buggy-fixed.buggy",
                       f"codexglue/code-refinement/{_size}/test.buggy-fixed.fixed"),
        language="java", dimension="bug_fixing", splits=("test",), default_split="test", loader=_refinement(_size),
    ))
