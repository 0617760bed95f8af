"""Answer extraction from raw model output: code (Python, Java, C#) or a Yes/No label.

Never guesses: when no code that fits the task can be found the status is ``no_code_extracted``
(a model failure, recorded as data); an unclear classification answer is ``undecided``.
"""
from __future__ import annotations

import ast
import builtins
import importlib
import io
import re
import string
import tokenize
import warnings
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from ._prompts import BUILTIN, fields_for, template_kind
from ._split import parse_quietly
from ._types import Task

Status = Literal["ok", "no_code_extracted", "undecided"]

_PY_TAGS = {"", "python", "py", "python3", "py3", "python2", "ipython", "pycon"}
_LANG_TAGS = {
    "python": _PY_TAGS,
    "java": {"java"},
    "csharp": {"csharp", "cs", "c#", "c-sharp", "c_sharp", "dotnet"},
}
_FENCE = re.compile(r"^[ \t]*(?P<mark>```+|~~~+)[ \t]*(?P<tag>[^\s`]*)[^\n]*\n(?P<body>.*?)"
                    r"(?:^[ \t]*(?P=mark)[ \t]*$|\Z)", re.M | re.S)
MAX_SCAN_LINES = 400
MAX_PARSES = 800


@dataclass(frozen=True)
class Extraction:
    status: Status
    code: str | None = None
    label: str | None = None
    detail: str = ""


@dataclass(frozen=True)
class Block:
    tag: str
    code: str
    closed: bool


def fenced_blocks(text: str) -> list[Block]:
    """Fenced code blocks in order, with their (lower-cased) language tags; the last may be unterminated."""
    blocks = []
    for match in _FENCE.finditer(text):
        body = match.group("body")
        closed = match.end("body") != match.end()
        tag = match.group("tag").lower().strip("{}.")
        blocks.append(Block(tag=tag, code=body.rstrip("\n").rstrip("`").rstrip(), closed=closed))
    return blocks


def extract_answer(task: Task, raw_output: str, *, style: Literal["chat", "completion"] = "chat",
                   prompt: str = "") -> Extraction:
    """The code (or label) a model's raw output gives for ``task``.

    For function tasks ``code`` is a complete program defining the entry point; in completion
    style it is ``prompt`` + completion (or the completion alone when it repeats the signature).
    """
    raw = raw_output or ""
    kind = template_kind(task)
    if task.kind == "classification":
        return _extract_label(raw)
    if not raw.strip():
        return Extraction("no_code_extracted", detail="empty output")
    if task.language == "python":
        if kind == "function":
            got = _python_function(task, raw, style, prompt)
        else:
            got = _python_program(task, raw, style, prompt)
        prelude = str(task.metadata.get("prelude") or "")
        if got.status == "ok" and got.code is not None and prelude:
            # the benchmark's own evaluator runs every program after this header (APPS)
            got = Extraction("ok", code=_insert_after_header(got.code, prelude, "\n"), detail=got.detail)
        if got.status == "ok" and got.code is not None:
            # ast.parse accepts what the compiler rejects (a misplaced ``from __future__``, ``return`` or
            # ``break`` outside a function/loop): such a program fails at load, so it is no answer
            error = _compile_error(got.code)
            if error is not None:
                return Extraction("no_code_extracted", detail=f"extracted code does not compile: {error}")
        return got
    if task.language in ("java", "csharp") and kind in ("translation", "refinement"):
        return _brace_language(task, raw)
    return Extraction("no_code_extracted", detail=f"no extractor for {task.language} {kind} tasks")


# ---------------------------------------------------------------- Python

def _parses(code: str) -> ast.Module | None:
    try:
        return parse_quietly(code)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None


def _compile_error(code: str) -> str | None:
    """Why ``code`` does not compile (None when it does)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(code, "<answer>", "exec", dont_inherit=True)
    except SyntaxError as exc:
        return f"{exc.msg} (line {exc.lineno})"
    except (ValueError, MemoryError, RecursionError) as exc:
        return str(exc) or type(exc).__name__
    return None


_LINE_END = re.compile(r"\r\n|\r|\n")


def _header_end(code: str) -> int:
    """Offset just past a leading module docstring and ``from __future__`` imports (0 when none): text added
    to a program goes there, since a ``from __future__`` import after other code is a SyntaxError."""
    module = _parses(code)
    if module is None:
        return 0
    last = 0
    for i, node in enumerate(module.body):
        if (i == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)) or (
                isinstance(node, ast.ImportFrom) and node.module == "__future__"):
            last = node.end_lineno or 0
        else:
            break
    if not last:
        return 0
    ends = [m.end() for m in _LINE_END.finditer(code)]
    return ends[last - 1] if last <= len(ends) else len(code)


def _insert_after_header(code: str, text: str, sep: str) -> str:
    """``text`` + ``sep`` + ``code``, with ``code``'s docstring and ``from __future__`` imports kept first."""
    at = _header_end(code)
    if not at:
        return text + sep + code
    head = code[:at] if code[:at].endswith(("\n", "\r")) else code[:at] + "\n"
    return head + "\n" + text + sep + code[at:].lstrip("\r\n")


def _defines(module: ast.Module, name: str) -> bool:
    for node in ast.walk(module):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name:
            return True
    for node in module.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            return True
    return False


def longest_parseable_prefix(code: str) -> str | None:
    """The longest run of leading lines that parses (drops a truncated tail or trailing prose)."""
    lines = code.splitlines()[:MAX_SCAN_LINES]
    end = len(lines)
    while end > 0:
        chunk = "\n".join(lines[:end]).rstrip()
        if not chunk.strip():
            return None
        try:
            parse_quietly(chunk)
            return chunk + "\n"
        except SyntaxError as exc:
            # the parser reads left to right: a prefix that still holds the failing line fails too
            bad = exc.lineno or end
            end = bad - 1 if bad < end else end - 1
        except (ValueError, MemoryError, RecursionError):
            end -= 1
    return None


_CODE_START = re.compile(r"^(def |async def |class |import |from \S+ import |@\w|[A-Za-z_][\w.]*\s*(=|\(|\[)|"
                         r"for |while |if |with |try:|print\()")


def longest_parseable_span(text: str, *, must_define: str | None = None) -> str | None:
    """Longest span of lines (starting at a code-like line) that parses, e.g. code amid prose."""
    lines = text.splitlines()[:MAX_SCAN_LINES]
    best: str | None = None
    best_len = 0
    budget = MAX_PARSES          # bounds the quadratic search on long, code-like prose
    for start, line in enumerate(lines):
        if not _CODE_START.match(line):
            continue
        if len(lines) - start <= best_len:
            break
        for end in range(len(lines), start, -1):
            if end - start <= best_len:
                break
            budget -= 1
            if budget < 0:
                return best
            chunk = "\n".join(lines[start:end]).rstrip()
            module = _parses(chunk)
            if module is None or not _has_code(module):
                continue
            if must_define and not _defines(module, must_define):
                continue
            best, best_len = chunk + "\n", end - start
            break
    return best


def _has_code(module: ast.Module) -> bool:
    """Not just bare names/constants (a line of prose like ``Explanation`` parses as a name)."""
    for node in module.body:
        if isinstance(node, ast.Expr) and isinstance(node.value, (ast.Name, ast.Constant, ast.Attribute)):
            continue
        return True
    return False


def _python_blocks(raw: str) -> list[Block]:
    return [b for b in fenced_blocks(raw) if b.tag in _PY_TAGS]


def _parseable(block_code: str) -> str | None:
    if _parses(block_code) is not None:
        return block_code.rstrip() + "\n"
    return longest_parseable_prefix(block_code)


def _python_function(task: Task, raw: str, style: str, prompt: str) -> Extraction:
    entry = task.entry_point
    code: str | None = None
    detail = ""
    if style == "completion" and not raw.lstrip().startswith(("```", "~~~")):
        code, detail = _completion_code(task, raw, prompt)
    if code is None:
        code, detail = _chat_function_code(raw, entry)
    if code is None:
        return Extraction("no_code_extracted", detail=detail or "no Python code found")
    code = _complete_program(task, code)
    module = _parses(code)
    if module is None:
        return Extraction("no_code_extracted", detail="extracted code does not parse")
    if entry and not _defines(module, entry):
        return Extraction("no_code_extracted", detail=f"no definition of {entry}")
    return Extraction("ok", code=code, detail=detail)


def _completion_code(task: Task, raw: str, prompt: str) -> tuple[str | None, str]:
    completion = raw.split("```")[0] if "```" in raw else raw
    entry = task.entry_point
    # a top-level re-definition only: an inner helper of the same name (HumanEval/55's ``def fib``) is body
    repeats = bool(entry) and re.search(rf"^(?:async[ \t]+)?def[ \t]+{re.escape(entry)}[ \t]*\(", completion, re.M)
    whole = completion if repeats else (prompt or task.starter_code or "") + completion
    code = longest_parseable_prefix(whole)
    if code is None:
        return None, "completion does not parse"
    module = _parses(code)
    if entry and (module is None or not _defines(module, entry)):
        return None, f"completion defines no {entry}"
    return code, "completion repeats the signature" if repeats else "prompt + completion"


def _chat_function_code(raw: str, entry: str | None) -> tuple[str | None, str]:
    blocks = _python_blocks(raw)
    if blocks:
        candidates = [c for c in (_parseable(b.code) for b in blocks) if c]
        if entry:
            defining = [c for c in candidates if _defines(_parses(c), entry)]
            if defining:
                chosen = defining[-1]
                # helpers defined in other blocks that the chosen one calls but lacks
                return _with_helpers(chosen, [c for c in candidates if c is not chosen]), \
                    f"fenced block {candidates.index(chosen) + 1} of {len(blocks)}"
            joined = "\n".join(candidates)
            module = _parses(joined)
            if module is not None and _defines(module, entry):
                return joined, "fenced blocks joined"
        elif candidates:
            return max(candidates, key=len), "longest fenced block"
    span = longest_parseable_span(raw, must_define=entry)
    if span is not None:
        return span, "unfenced code"
    return None, (f"no code block defining {entry}" if blocks else "no code block")


def _with_helpers(chosen: str, others: list[str]) -> str:
    """``chosen`` plus what it uses but lacks from the other blocks: helper functions and classes, imports,
    module constants, and (to a fixed point) what those pieces use in turn."""
    module = _parses(chosen)
    if module is None:
        return chosen
    defined = _module_bound(module)
    used = _module_free_names(module)
    pieces: list[tuple[int, int, ast.stmt, str]] = []        # (block, statement index, node, its source)
    taken: set[tuple[int, int]] = set()
    parsed = [(other, _parses(other)) for other in others]
    changed = True
    while changed:
        changed = False
        for b, (other, other_module) in enumerate(parsed):
            if other_module is None:
                continue
            for i, node in enumerate(other_module.body):
                if (b, i) in taken:
                    continue
                names = _bound_names(node)
                wanted = used - defined
                if isinstance(node, (ast.Assign, ast.AnnAssign)):
                    wanted -= _BUILTINS            # an example's ``sum = 0`` is not what ``sum(xs)`` means
                elif isinstance(node, ast.ImportFrom) and node.module == "__future__":
                    continue
                if not names & wanted:
                    continue
                taken.add((b, i))
                pieces.append((b, i, node, _segment(other, node)))
                defined |= names
                used |= _module_free_names(ast.Module(body=[node], type_ignores=[]))
                changed = True
    if not pieces:
        return chosen
    extra = [source for _, _, _, source in sorted(pieces, key=lambda p: p[:2])]
    return _insert_after_header(chosen, "\n".join(extra), "\n\n")


def _segment(source: str, node: ast.stmt) -> str:
    """The source of a top-level statement, with its decorators."""
    start = node.decorator_list[0].lineno if getattr(node, "decorator_list", None) else node.lineno
    lines = _LINE_END.split(source)
    segment = "\n".join(lines[start - 1:node.end_lineno])
    return segment if segment.strip() else ast.unparse(node)


def _bound_names(node: ast.stmt) -> set[str]:
    """Module-level names a top-level definition, import or assignment binds (none for other statements)."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return {(a.asname or a.name).split(".")[0] for a in node.names if a.name != "*"}
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    return set()


_BUILTINS = frozenset(dir(builtins))


def _module_free_names(module: ast.Module) -> set[str]:
    """Names the code of ``module`` reads from module scope (function locals and parameters excluded)."""
    names: set[str] = set()
    for node in module.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names |= _free_names(node)         # body, decorators, defaults, annotations, bases
        else:
            names |= _statement_loads(node)
    return names


def _module_bound(module: ast.Module) -> set[str]:
    """Names bound at module level: definitions, imports, and targets of top-level statements."""
    names = _top_level_names(module)
    for node in module.body:
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names |= {n.id for n in _walk_here(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    return names


def _statement_loads(node: ast.AST) -> set[str]:
    """Names a top-level statement reads (names bound inside its comprehensions and lambdas excluded)."""
    inner: set[str] = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.comprehension):
            inner |= {n.id for n in ast.walk(sub.target) if isinstance(n, ast.Name)}
        elif isinstance(sub, ast.Lambda):
            inner |= {a.arg for a in ast.walk(sub.args) if isinstance(a, ast.arg)}
    return _loads(node) - inner


def _top_level_names(module: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in module.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    return names


def _is_main_guard(node: ast.stmt) -> bool:
    return (isinstance(node, ast.If) and isinstance(node.test, ast.Compare)
            and "__name__" in ast.unparse(node.test) and "__main__" in ast.unparse(node.test))


def _stdin_aliases(module: ast.AST) -> frozenset[str]:
    """Names ``from sys import stdin [as ...]`` binds."""
    return frozenset(a.asname or a.name for n in ast.walk(module) if isinstance(n, ast.ImportFrom)
                     and n.module == "sys" for a in n.names if a.name == "stdin")


def _reads_input(node: ast.AST, stdin: frozenset[str] = frozenset()) -> bool:
    """Whether ``node`` reads standard input: ``input()``, ``sys.stdin``, ``stdin`` imported from sys (names in
    ``stdin``), ``open(0)``, ``open('/dev/stdin')``, ``fileinput.input()``."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call):
            func = sub.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
            if name == "input" and (isinstance(func, ast.Name) or _root_name(func) == "fileinput"):
                return True
            if name in ("open", "fdopen") and sub.args and isinstance(sub.args[0], ast.Constant) \
                    and type(sub.args[0].value) in (int, str) and sub.args[0].value in (0, "/dev/stdin"):
                return True
        elif isinstance(sub, ast.Attribute) and sub.attr == "stdin":
            return True
        elif isinstance(sub, ast.Name) and sub.id in stdin:
            return True
    return False


# Top-level statements a model adds to show its function at work (example calls, prints, asserts, a main guard,
# reading stdin) are dropped: they would print noise, fail on a wrong example, or block on input() before the
# tests run. Statements that build module state the definitions use are kept: a sieve filled by a top-level loop,
# ``memo.update(...)``, ``sys.setrecursionlimit(...)``, ``random.seed(...)``.
_MUTATORS = {"append", "extend", "insert", "add", "update", "setdefault", "pop", "popitem", "remove", "discard",
             "clear", "sort", "reverse", "appendleft", "extendleft", "rotate", "fill", "put", "push", "__setitem__"}
_MUTATING_FUNCTIONS = {"heappush", "heapify", "heappushpop", "heapreplace", "heappop", "insort", "insort_left",
                       "insort_right", "shuffle", "setattr"}
_OUTPUT_NAMES = {"print", "pprint", "display", "input", "exit", "quit", "help", "breakpoint"}
_DRIVER_ATTRS = {"main", "testmod", "run_docstring_examples", "exit", "_exit", "write", "writelines", "print",
                 "pprint", "sleep", "timeit", "repeat", "run", "flush", "basicconfig", "system", "download",
                 "install"}


def _root_name(node: ast.AST) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Starred)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _walk_here(node: ast.AST):
    """``ast.walk`` that does not enter nested scopes (functions, lambdas, classes)."""
    todo = [node]
    while todo:
        current = todo.pop()
        yield current
        for child in ast.iter_child_nodes(current):
            if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
                todo.append(child)


def _writes(node: ast.AST, function_writes: dict[str, set[str]]) -> set[str]:
    """Names whose values ``node`` binds or mutates (``x = ...``, ``x[i] = ...``, ``x.append(...)``, ...)."""
    written: set[str] = set()
    comprehension_targets = {id(n) for c in _walk_here(node) if isinstance(c, ast.comprehension)
                             for n in ast.walk(c.target)}
    # a helper called for its effect (``_init()``, ``add_prime(p)``), not for its value (``print(f(x))``)
    effect_calls = {id(e.value) for e in _walk_here(node) if isinstance(e, ast.Expr) and isinstance(e.value, ast.Call)}
    for sub in _walk_here(node):
        if isinstance(sub, (ast.Name, ast.Attribute, ast.Subscript)) and isinstance(sub.ctx, (ast.Store, ast.Del)):
            if id(sub) not in comprehension_targets and (root := _root_name(sub)):
                written.add(root)
        elif isinstance(sub, ast.Call):
            func = sub.func
            if isinstance(func, ast.Attribute) and func.attr in _MUTATORS and (root := _root_name(func.value)):
                written.add(root)
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
            if name in _MUTATING_FUNCTIONS and sub.args and (root := _root_name(sub.args[0])):
                written.add(root)
            if isinstance(func, ast.Name) and id(sub) in effect_calls:
                written |= function_writes.get(func.id, set())
    return written


def _loads(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _free_names(node: ast.AST) -> set[str]:
    """Module-level names a function or class body reads (its locals and parameters excluded)."""
    local: set[str] = set()
    declared: set[str] = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, (ast.Store, ast.Del)):
            local.add(sub.id)
        elif isinstance(sub, ast.arg):
            local.add(sub.arg)
        elif isinstance(sub, (ast.Global, ast.Nonlocal)):
            declared.update(sub.names)
        elif isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and sub is not node:
            local.add(sub.name)
    return (_loads(node) - local) | declared


def _function_writes(fn: ast.AST, module_names: set[str]) -> set[str]:
    """Module-level names a function rebinds (``global``) or mutates (``table[k] = v``, ``cache.append(v)``)."""
    declared = {n for sub in ast.walk(fn) if isinstance(sub, ast.Global) for n in sub.names}
    local = {a.arg for a in ast.walk(fn) if isinstance(a, ast.arg)}
    local |= {n.id for n in ast.walk(fn) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)} - declared
    written: set[str] = set()
    for sub in ast.walk(fn):
        if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store) and sub.id in declared:
            written.add(sub.id)
        elif isinstance(sub, (ast.Attribute, ast.Subscript)) and isinstance(sub.ctx, (ast.Store, ast.Del)):
            written.add(_root_name(sub) or "")
        elif isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) and sub.func.attr in _MUTATORS:
            written.add(_root_name(sub.func.value) or "")
    return (written - local) & module_names


def _driver_statements(module: ast.Module, entry: str | None) -> list[ast.stmt]:
    """The top-level statements that only exercise the code (see the note above), and those that read a name
    only such statements bind (``result = f(num)`` after ``num = int(input())`` would raise NameError)."""
    functions = {n.name: n for n in module.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    classes = {n.name for n in module.body if isinstance(n, ast.ClassDef)}
    defined = set(functions) | classes | ({entry} - {None})
    imported = {(a.asname or a.name).split(".")[0] for n in module.body if isinstance(n, (ast.Import, ast.ImportFrom))
                for a in n.names}
    stdin = _stdin_aliases(module)
    module_names = _top_level_names(module) | {n for node in module.body for n in _writes(node, {})}
    function_writes = {name: _function_writes(fn, module_names) for name, fn in functions.items()
                       if name != entry and not any(isinstance(r, ast.Return) and r.value is not None
                                                    for r in _walk_here(fn))}
    function_io = {name for name, fn in functions.items()
                   if _reads_input(fn, stdin) or any(isinstance(c, ast.Call) and isinstance(c.func, ast.Name)
                                                     and c.func.id in ("input", "exit", "quit") for c in ast.walk(fn))}

    def calls(node: ast.AST, names: set[str]) -> bool:
        return any(isinstance(c, ast.Call) and isinstance(c.func, ast.Name) and c.func.id in names
                   for c in ast.walk(node))

    drop: list[ast.stmt] = []
    pending: list[ast.stmt] = []                     # kept only if they build state the kept code reads
    plain: list[ast.stmt] = []                       # kept unless they read what only dropped code binds
    definitions_need: set[str] = set()               # what the functions and classes read from module scope
    for node in module.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            definitions_need |= _free_names(node) | {n for d in node.decorator_list for n in _loads(d)}
            if not isinstance(node, ast.ClassDef):
                definitions_need |= {n for d in node.args.defaults + node.args.kw_defaults if d for n in _loads(d)}
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        elif _is_main_guard(node) or isinstance(node, ast.Assert) or _reads_input(node, stdin) \
                or calls(node, function_io):
            drop.append(node)
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.While)) or (
                isinstance(node, ast.Expr) and not isinstance(node.value, ast.Constant)):
            pending.append(node)
        else:
            plain.append(node)
    always_bound = set(functions) | classes | imported
    cut: list[ast.stmt] = []
    while True:
        kept = [n for n in plain if n not in cut]
        needed = definitions_need | {name for n in kept for name in _loads(n)}
        undecided = [n for n in pending if n not in cut]
        changed = True
        while changed:
            changed = False
            for node in list(undecided):
                if _writes(node, function_writes) & needed or _configures(node, imported, defined):
                    undecided.remove(node)
                    kept.append(node)
                    needed |= _loads(node)
                    changed = True
        # a name bound only by dropped statements is unbound: what reads it at load time goes too (to a
        # fixed point), unless it sets up a name the functions read (then it fails either way)
        bound = always_bound | {name for n in kept for name in _stores(n)}
        lost = {name for n in drop + undecided + cut for name in _stores(n)} - bound
        newly = [n for n in kept if _statement_loads(n) & lost and not _writes(n, function_writes) & definitions_need]
        if not newly:
            break
        cut += newly
    return [n for n in module.body if n in drop or n in undecided or n in cut]


def _stores(node: ast.AST) -> set[str]:
    """Names a top-level statement binds at module level (nested functions and classes not entered)."""
    return {n.id for n in _walk_here(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}


def _configures(node: ast.stmt, imported: set[str], defined: set[str]) -> bool:
    """A bare call on an imported module that sets the interpreter or library up: ``sys.setrecursionlimit(10**6)``,
    ``random.seed(0)`` (not ``unittest.main()``, ``sys.stdout.write(...)``, nor one that runs the solution)."""
    if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)):
        return False
    func = node.value.func
    if not isinstance(func, ast.Attribute) or _root_name(func) not in imported:
        return False
    names = _loads(node.value)
    return func.attr.lower() not in _DRIVER_ATTRS and not names & (defined | _OUTPUT_NAMES) and \
        not any(isinstance(a, ast.Attribute) and a.attr in ("stdout", "stderr") for a in ast.walk(func))


def _complete_program(task: Task, code: str) -> str:
    """Drop top-level driver code (see ``_driver_statements``) and add the prompt's imports and helpers that
    the code lacks, so the program defines what the tests use."""
    module = _parses(code)
    if module is None:
        return code
    lines = code.splitlines()
    drop: set[int] = set()
    for node in _driver_statements(module, task.entry_point):
        drop.update(range(node.lineno - 1, node.end_lineno))
    body = "\n".join(line for i, line in enumerate(lines) if i not in drop).rstrip() + "\n" if drop else code
    preamble = _missing_preamble(task, _parses(body))
    return _insert_after_header(body, preamble, "\n\n\n") if preamble else body


def _missing_preamble(task: Task, module: ast.Module | None) -> str:
    """Imports, constants and helper functions of the starter code that ``module`` does not define."""
    starter = task.starter_code
    if not starter or module is None:
        return ""
    starter_module = _parses(starter)
    if starter_module is None:        # an incomplete stub (APPS): nothing complete to borrow
        return ""
    have = _top_level_names(module)
    have_imports = {ast.unparse(n) for n in module.body if isinstance(n, (ast.Import, ast.ImportFrom))}
    parts = []
    for node in starter_module.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            if ast.unparse(node) not in have_imports:
                parts.append(ast.get_source_segment(starter, node) or ast.unparse(node))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            if node.name != task.entry_point and node.name not in have:
                segment = ast.get_source_segment(starter, node)
                if segment is not None and node.decorator_list:
                    segment = "\n".join(starter.splitlines()[node.decorator_list[0].lineno - 1:node.end_lineno])
                parts.append(segment or ast.unparse(node))
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
            if names - have:
                parts.append(ast.get_source_segment(starter, node) or ast.unparse(node))
    return "\n".join(parts)


def _python_program(task: Task, raw: str, style: str, prompt: str) -> Extraction:
    """A whole stdin/stdout program (APPS, RunBugRun)."""
    if style == "completion" and not raw.lstrip().startswith(("```", "~~~")):
        completion = _cut_at_markers(raw.split("```")[0], _section_markers(task, prompt))
        code = longest_parseable_prefix(completion)
        if code is not None and _has_code(_parses(code)):
            return Extraction("ok", code=code, detail="completion")
    blocks = _python_blocks(raw)
    candidates = [(i, c) for i, c in enumerate(_parseable(b.code) for b in blocks) if c and _has_code(_parses(c))]
    if template_kind(task) == "refinement" and len(candidates) > 1:
        # the buggy program quoted back (before or after the fix) is not the answer, unless it is all there is
        source = _python_tokens(task.prompt)
        fixes = [(i, c) for i, c in candidates if _python_tokens(blocks[i].code) != source]
        candidates = fixes or candidates
    if candidates:
        i, chosen = _choose_program(candidates, str(task.metadata.get("prelude") or ""))
        return Extraction("ok", code=chosen, detail=f"fenced block {i + 1} of {len(blocks)}")
    span = longest_parseable_span(raw)
    if span is not None:
        return Extraction("ok", code=span, detail="unfenced code")
    return Extraction("no_code_extracted", detail="no Python program found")


def _python_tokens(code: str) -> tuple:
    """``code`` with layout and comments normalised away (indentation depth and string contents kept: in Python
    a fix can be an indent or a space in a literal); its stripped non-blank lines when it does not tokenize."""
    try:
        return tuple((tok.type, "" if tok.type in (tokenize.INDENT, tokenize.DEDENT) else tok.string)
                     for tok in tokenize.generate_tokens(io.StringIO(code.strip() + "\n").readline)
                     if tok.type not in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.ENDMARKER))
    except (tokenize.TokenError, SyntaxError, ValueError):
        return tuple(line.strip() for line in code.splitlines() if line.strip())


def _choose_program(candidates: list[tuple[int, str]], prelude: str) -> tuple[int, str]:
    """The last block that reads input, is a complete program (defines what it calls) and is no test harness
    (``sys.stdin = io.StringIO(...)``); failing that the last such one that reads input, the last complete
    one, the last reading one (a harness), the last one."""
    given = _prelude_names(prelude)
    traits = []                                      # (index, code, reads, complete, harness)
    for i, code in candidates:
        module = _parses(code)
        harness = any(isinstance(n, ast.Attribute) and n.attr == "stdin" and isinstance(n.ctx, ast.Store)
                      for n in ast.walk(module))
        traits.append((i, code, _reads_input(module, _stdin_aliases(module)), _is_complete(module, given), harness))
    for test in (lambda t: t[2] and t[3] and not t[4], lambda t: t[2] and not t[4], lambda t: t[3] and not t[4],
                 lambda t: t[2]):
        tier = [t for t in traits if test(t)]
        if tier:
            return tier[-1][0], tier[-1][1]
    return candidates[-1]


def _is_complete(module: ast.Module, given: frozenset[str]) -> bool:
    """Whether every plain name ``module`` calls is a builtin, given (by the prelude) or bound in it (a block
    calling ``main()`` or ``solve(3)`` it does not define is an example or a harness, not the program)."""
    if any(isinstance(n, ast.ImportFrom) and any(a.name == "*" for a in n.names) for n in ast.walk(module)):
        return True
    bound = set(given) | _BUILTINS
    called = set()
    for n in ast.walk(module):
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(n.name)
        elif isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del)):
            bound.add(n.id)
        elif isinstance(n, ast.arg):
            bound.add(n.arg)
        elif isinstance(n, (ast.Import, ast.ImportFrom)):
            bound |= {(a.asname or a.name).split(".")[0] for a in n.names}
        elif isinstance(n, ast.Call) and isinstance(n.func, ast.Name):
            called.add(n.func.id)
    return called <= bound


@lru_cache(maxsize=8)
def _prelude_names(prelude: str) -> frozenset[str]:
    """Names the benchmark's header binds, with those of its ``from <stdlib module> import *`` lines."""
    module = _parses(prelude) if prelude else None
    if module is None:
        return frozenset()
    names = _top_level_names(module) - {"*"}
    for node in module.body:
        if isinstance(node, ast.ImportFrom) and node.module and any(a.name == "*" for a in node.names):
            try:
                imported = importlib.import_module(node.module)
            except Exception:            # noqa: BLE001 - an unknown module binds nothing we can name
                continue
            names |= set(getattr(imported, "__all__", None) or [n for n in dir(imported) if not n.startswith("_")])
    return frozenset(names)


_MARKER_FIELDS = {"comment", "language", "language_name", "source_language", "source_language_name", "fence",
                  "source_fence"}


def _section_markers(task: Task, prompt: str) -> list[str]:
    """The section lines of the task's built-in completion template (``# Buggy Python:``, ``# Fixed Python:``):
    lines made only of labels, not of the task's text; with ``prompt`` given, those it holds."""
    template = BUILTIN.get((template_kind(task), "completion"))
    if template is None:
        return []
    values = fields_for(task)
    markers = []
    for line in template.user.splitlines():
        try:
            fields = {name for _, name, _, _ in string.Formatter().parse(line) if name is not None}
            text = line.format(**values).strip() if fields <= _MARKER_FIELDS else ""
        except (KeyError, IndexError, ValueError):
            continue
        if text and (not prompt or text in prompt):
            markers.append(text)
    return markers


def _cut_at_markers(completion: str, markers: list[str]) -> str:
    """The completion up to the first template section marker after its start (the model going on with
    ``# Buggy Python:`` and another program); marker lines it opens with are skipped."""
    if not markers:
        return completion
    lines = completion.splitlines(keepends=True)
    start = 0
    while start < len(lines) and (not lines[start].strip() or lines[start].strip() in markers):
        start += 1
    if not any(line.strip() in markers for line in lines[:start]):
        start = 0
    for k in range(start, len(lines)):
        if any(lines[k].lstrip().startswith(m) for m in markers):
            return "".join(lines[start:k])
    return "".join(lines[start:])


# ---------------------------------------------------------------- Java / C#

_NAME_PAREN = re.compile(r"\b([A-Za-z_]\w*)\s*(?:<[^<>(){};]*>)?\s*\(")
_NOT_METHODS = {"if", "for", "foreach", "while", "switch", "catch", "return", "new", "using", "lock", "synchronized",
                "do", "else", "try", "throw", "sizeof", "typeof", "nameof", "default", "when", "base", "this", "super"}
_MODIFIERS = {"public", "private", "protected", "internal", "static", "final", "abstract", "override", "virtual",
              "sealed", "async", "synchronized", "new", "extern", "unsafe", "partial", "readonly", "native",
              "strictfp", "transient", "volatile"}
_TOKEN = re.compile(r"@?[\w.]+|\S")
_NORM = re.compile(r"\s+")


def _skip_parens(text: str, i: int) -> int:
    """Index just past the parenthesis group opening at ``text[i] == '('`` (-1 when unbalanced)."""
    depth = 0
    while i < len(text):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        elif text[i] in "{};":
            return -1
        i += 1
    return -1


def _declaration_start(text: str, name_at: int) -> int:
    """Walk back from a method name over its return type, generics and modifiers."""
    tokens = [(m.group(), m.start()) for m in _TOKEN.finditer(text, 0, name_at)]
    i = len(tokens) - 1

    def skip_generic(i: int) -> int:
        depth = 0
        while i >= 0:
            if tokens[i][0] == ">":
                depth += 1
            elif tokens[i][0] == "<":
                depth -= 1
                if depth == 0:
                    return i - 1
            elif not re.fullmatch(r"@?[\w.]+|,|\?|\[|\]", tokens[i][0]):
                return -2
            i -= 1
        return -2

    start = name_at
    if i >= 0 and tokens[i][0] not in _MODIFIERS:           # a return type (constructors have none)
        while True:                                          # e.g. Outer < T > . Inner < T > [ ]
            while i >= 1 and tokens[i][0] == "]" and tokens[i - 1][0] == "[":
                i -= 2
            if i >= 0 and tokens[i][0] == "?":
                i -= 1
            if i >= 0 and tokens[i][0] == ">":
                i = skip_generic(i)
                if i == -2:
                    return start
            if i >= 0 and re.fullmatch(r"[\w.]+", tokens[i][0]) and tokens[i][0] not in _NOT_METHODS:
                start = tokens[i][1]
                i -= 1
            else:
                return start
            if i >= 0 and tokens[i][0] == ".":
                i -= 1
                continue
            break
        if i >= 0 and tokens[i][0] == ">":                  # generic method: <T> T name(
            j = skip_generic(i)
            if j != -2:
                i = j
                start = tokens[j + 1][1]
    while i >= 0 and (tokens[i][0] in _MODIFIERS or tokens[i][0].startswith("@")):
        start = tokens[i][1]
        i -= 1
    return start


def _brace_code(text: str) -> str | None:
    """The first method: from its modifiers/return type to its matching closing brace
    (braces inside string and char literals skipped); C# expression bodies end at ``;``."""
    for match in _NAME_PAREN.finditer(text):
        if match.group(1) in _NOT_METHODS:
            continue
        after = _skip_parens(text, match.end() - 1)
        if after < 0:
            continue
        rest = text[after:]
        head = re.match(r"\s*(?:throws\s+[\w.]+(?:\s*,\s*[\w.]+)*)?\s*", rest)
        k = after + head.end()
        init = re.match(r":\s*(?:base|this)\s*\(", text[k:])
        if init:
            k = _skip_parens(text, k + init.end() - 1)
            if k < 0:
                continue
            k += len(text[k:]) - len(text[k:].lstrip())
        start = _declaration_start(text, match.start(1))
        if text.startswith("=>", k):
            semi = text.find(";", k)
            if semi >= 0:
                return text[start:semi + 1].strip()
            continue
        if text.startswith(";", k):                        # abstract / native / interface: no body
            line_start = text.rfind("\n", 0, start) + 1
            has_type = start < match.start(1)
            if any(word in _MODIFIERS for word in text[start:match.start(1)].split()) or (
                    has_type and not text[line_start:start].strip()):
                return text[start:k + 1].strip()
            continue
        if not text.startswith("{", k):
            continue
        return _through_matching_brace(text, start, k)
    for match in _PROPERTY.finditer(text):                  # C# property: Name { get; set; }
        return _through_matching_brace(text, match.start(), match.end() - 1)
    return None


_PROPERTY = re.compile(r"\b(?:public|private|protected|internal)\b[^;{}()=]*?\b[A-Za-z_]\w*\s*\{")


def _through_matching_brace(text: str, start: int, open_at: int) -> str | None:
    depth, i, quote = 0, open_at, None
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 2
                continue
            if ch == quote:
                quote = None
        elif text.startswith("//", i):                     # comments may hold quotes and braces
            newline = text.find("\n", i)
            if newline < 0:
                return None
            i = newline
        elif text.startswith("/*", i):
            close = text.find("*/", i + 2)
            if close < 0:
                return None
            i = close + 1
        elif ch in "\"'":
            quote = ch
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return text[start:i + 1].strip()
        i += 1
    return None


def _brace_language(task: Task, raw: str) -> Extraction:
    language = task.language
    tags = _LANG_TAGS.get(language, {language})
    source = _NORM.sub("", task.prompt)
    blocks = fenced_blocks(raw)
    tagged = [b for b in blocks if b.tag in tags]
    untagged = [b for b in blocks if b.tag in ("", "text", "code")
                and (task.kind != "translation" or _NORM.sub("", b.code) != source)]
    found = []
    for group, what in ((tagged, f"{language} block"), (untagged, "untagged block")):
        for block in reversed(group):
            code = _brace_code(block.code) or (block.code.strip() if "{" in block.code else None)
            if code:
                found.append((code, what, _NORM.sub("", block.code) == source))
    if found:
        # refinement: the buggy code quoted back (before or after the fix) is not the answer, unless it is
        # all the blocks hold
        fixes = [f for f in found if not f[2]] if task.kind == "refinement" else found
        code, what, _ = (fixes or found)[0]
        return Extraction("ok", code=code, detail=what)
    if blocks and not tagged and not untagged:
        other = [b for b in blocks if b.tag]
        if other:
            return Extraction("no_code_extracted", detail=f"only {', '.join(sorted({b.tag for b in other}))} blocks")
    code = _brace_code(raw)
    if code is not None:
        return Extraction("ok", code=code, detail="unfenced code")
    return Extraction("no_code_extracted", detail=f"no {language} method found")


# ---------------------------------------------------------------- labels

_UNDECIDED = re.compile(
    r"\b(cannot|can ?not|can't|unable to|impossible to|not possible to)\s+(be\s+)?(decide|determine|tell|say|"
    r"judge|conclude|assess)|\bnot (sure|certain)\b|\bundecided\b|\buncertain\b|\binsufficient (information|context)"
    r"|\bnot enough (information|context)\b|\bunclear\b", re.I)

# Labels: "yes" = the code contains a vulnerability, "no" = it does not.
# Precedence: a standalone Yes/No (or verdict word) that opens the answer; "could not decide"; an explicit
# "Answer: ..." marker; verdict phrases ("is vulnerable", "is not vulnerable", "contains a ... vulnerability",
# "no vulnerability", then "is safe"/"is insecure"); a standalone Yes/No at the start of a line or sentence.
# A yes/no word inside prose ("... with no escaping") is never an answer.
_POLARITY = {"yes": "yes", "no": "no", "vulnerable": "yes", "exploitable": "yes", "insecure": "yes",
             "unsafe": "yes", "safe": "no", "secure": "no"}
_FLIP = {"yes": "no", "no": "yes"}
_LEAD = re.compile(r"[\s*_#>\"'`(\[]*(?:(?:final\s+)?(?:answer|verdict)[ \t]*[:\-][\s*_\"'`]*)?"
                   r"(?P<neg>not\s+)?(?P<word>yes|no|vulnerable|exploitable|insecure|unsafe|safe|secure)\b"
                   r"(?:(?P<end>[ \t\r*_\"'`]*(?:\n|[^\w\s]|$))|[ \t]+(?P<next>[\w']+))?")
# "Vulnerable: No", "Vulnerable? No.", "Safe - yes", "Contains a vulnerability: No": the Yes/No answers the heading
_ANSWERED = re.compile(r"[ \t*_\"'`]*[:?\-][ \t*_\"'`]*(?P<ans>yes|no)\b(?=[ \t\r*_\"'`)\]]*(?:\n|[^\w\s]|$))")
_VERDICT_FOLLOWERS = {"to", "because", "since", "as", "due"}       # "Vulnerable to path traversal ..."
_WEAK_FOLLOWERS = {"it", "it's", "its", "the", "this", "that", "there", "i", "we"}  # "Yes it is", "No the ..."
_MARKER = re.compile(r"\b(?:final\s+)?(?:answer|verdict|conclusion|classification|label)(?:[ \t]+is)?[ \t]*"
                     r"(?:[:=\-][\s*_\"'`]*|[*_\"'`][ \t*_\"'`]*)?(?P<neg>not\s+)?"
                     r"(?P<word>yes|no|vulnerable|exploitable|insecure|unsafe|safe|secure)\b"
                     r"(?!\s+(?:vulnerabilit|[a-z]+ing\b))")
_STANDALONE = re.compile(r"(?:^|(?<=[.!?:]))[ \t*_#>\"'`(\[-]*(?P<word>yes|no)\b(?=[ \t\r*_\"'`)\]]*(?:[^\w\s]|$))",
                         re.M)
_ADJECTIVE = re.compile(r"\b(vulnerable|exploitable|insecure|unsafe|safe|secure)\b")
_HAS_VULN = re.compile(r"\b(?:contains?|containing|has|have|having|introduces?|there (?:is|are|exists?)|there's|"
                       r"exhibits?|suffers? from|see|find|found|identif(?:y|ied)|detect(?:ed)?|spot(?:ted)?)\s+"
                       r"(?:(?P<det>a|an|the|one|some|several|multiple|any|no)\s+)?"
                       r"(?:[\w/-]+\s+){0,3}?vulnerabilit(?:y|ies)\b")
_NO_VULN = re.compile(r"\bno\s+(?:[\w/-]+\s+){0,3}?vulnerabilit(?:y|ies)\b|\b(?:free (?:of|from)|without)\s+"
                      r"(?:any\s+)?(?:[\w/-]+\s+){0,2}?vulnerabilit(?:y|ies)\b|\bvulnerability[- ]free\b")
_COPULA = {"is", "are", "was", "were", "be", "been", "being", "appears", "appear", "seems", "seem", "looks", "look",
           "remains", "remain", "stays", "makes", "renders", "leaves", "leaving", "considered", "deemed"}
_NEGATION = {"not", "never", "nor", "neither"}
_HYPOTHETICAL = {"would", "could", "should", "might", "may", "can", "if", "unless", "whether", "longer", "otherwise",
                 "make", "making", "ensure", "ensures", "keep"}
_CLAUSE_BREAK = re.compile(r"[.;:!?,()\[\]\n]|\b(?:and|but|so|because|since|which|therefore|thus|hence|as|while|"
                           r"although|though|whereas|however|then|meaning|thereby|where|when|or)\b")
_WORD = re.compile(r"[a-z']+")
_COORDINATED = re.compile(r"\b(?:but|yet|and)\s+(?:(?:still|also)\s+)?$")
_PREDICATIVE = re.compile(r"\s*(?:[^\w\s]|$|(?:to|against|from|because|since|as|due|in|when|if)\b)")
_SENTENCE_END = re.compile(r"[.!?\n]")


def _normalise(text: str) -> str:
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    text = re.sub(r"\bcannot\b", "can not", text)
    text = re.sub(r"n't\b", " not", text)                       # isn't -> is not, doesn't -> does not
    return text.replace("**", "").replace("__", "")


def _clause_words(text: str, end: int, limit: int = 6) -> list[str]:
    """The last ``limit`` words before ``end`` within its clause."""
    start = 0
    for brk in _CLAUSE_BREAK.finditer(text, max(0, end - 200), end):
        start = brk.end()
    return _WORD.findall(text[max(start, end - 200):end])[-limit:]


def _in_question(text: str, pos: int) -> bool:
    stop = _SENTENCE_END.search(text, pos, pos + 500)
    return stop is not None and text[stop.start()] == "?"


def _qualified(polarity: str, before: list[str]) -> str | None:
    """Polarity after the words before a verdict: None when hypothetical ('would be safe', 'if it is ...')."""
    if _HYPOTHETICAL & set(before) - ({"can"} if "not" in before else set()):
        return None
    return _FLIP[polarity] if _NEGATION & set(before) else polarity


def _verdict_phrases(text: str) -> tuple[list[str], list[str]]:
    """Polarities of vulnerability statements, and (weaker) of safe/secure statements."""
    strong: list[str] = []
    weak: list[str] = []
    for m in _HAS_VULN.finditer(text):
        answered = _ANSWERED.match(text, m.end())
        if answered and m.group("det") != "no":
            strong.append(answered.group("ans"))       # "Contains a vulnerability: No", "... vulnerability? Yes"
            continue
        if _in_question(text, m.start()):
            continue
        polarity = "no" if m.group("det") == "no" else _qualified("yes", _clause_words(text, m.start(), 4))
        if polarity is not None and (m.group("det") != "any" or polarity == "no"):
            strong.append(polarity)
    for m in _NO_VULN.finditer(text):
        if not _in_question(text, m.start()) and not _HYPOTHETICAL & set(_clause_words(text, m.start(), 4)):
            strong.append("no")
    for m in _ADJECTIVE.finditer(text):
        if _in_question(text, m.start()):
            continue
        before = _clause_words(text, m.start())
        standalone = not before and re.match(r"\s*(?:[^\w\s]|$)", text[m.end():]) is not None
        near = before[-4:]
        # "is safe from SQL injection but vulnerable to XSS": a second predicate of the same subject
        coordinated = not [w for w in before if w not in ("still", "also")] and _COORDINATED.search(
            text, max(0, m.start() - 40), m.start()) is not None and _PREDICATIVE.match(text, m.end()) is not None
        if not (standalone or coordinated or (near and near[-1] in _NEGATION)
                or any(w in _COPULA or w.endswith("'s") for w in near)):
            continue                                              # "an unsafe call", "vulnerable code"
        polarity = _qualified(_POLARITY[m.group(1)], before)
        if polarity is not None:
            (strong if m.group(1) in ("vulnerable", "exploitable") else weak).append(polarity)
    return strong, weak


def _extract_label(raw: str) -> Extraction:
    text = raw.strip()
    if not text:
        return Extraction("undecided", detail="empty output")
    norm = _normalise(text)
    lead = _LEAD.match(norm)
    if lead and (lead.group("end") is not None or (
            lead.group("word") not in ("yes", "no") and lead.group("next") in _VERDICT_FOLLOWERS)):
        label = _POLARITY[lead.group("word")]
        label = _FLIP[label] if lead.group("neg") else label
        answered = _ANSWERED.match(norm, lead.end("word")) if lead.group("word") not in ("yes", "no") else None
        if answered and answered.group("ans") == "no":
            label = _FLIP[label]                      # "Vulnerable: No" -> no, "Safe: No" -> yes
        if not _UNDECIDED.search(text[:200]):
            return Extraction("ok", label=label, detail="leading answer")
    if _UNDECIDED.search(text):
        return Extraction("undecided", detail="model could not decide")
    marked = set()
    for m in _MARKER.finditer(norm):
        label = _POLARITY[m.group("word")]
        marked.add(_FLIP[label] if m.group("neg") else label)
    if len(marked) == 1:
        return Extraction("ok", label=marked.pop(), detail="answer marker")
    strong, weak = _verdict_phrases(norm)
    for found in (strong, weak):
        if len(set(found)) == 1:
            return Extraction("ok", label=found[0], detail="verdict phrase")
        if found:
            return Extraction("undecided", detail="conflicting verdict phrases")
    said = {m.group("word") for m in _STANDALONE.finditer(norm)}
    if len(said) == 1:
        return Extraction("ok", label=said.pop(), detail="yes/no answer")
    if lead and lead.group("word") in ("yes", "no") and not lead.group("neg") \
            and lead.group("next") in _WEAK_FOLLOWERS:
        return Extraction("ok", label=lead.group("word"), detail="leading answer")
    return Extraction("undecided", detail="no clear Yes/No answer")
