"""Answer extraction from raw model output: code (Python, Java, C#) or a Yes/No label.

Never guesses: when no code that fits the task can be found the status is ``no_code_extracted``
(a model failure, recorded as data); an unclear classification answer is ``undecided``.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Literal

from ._prompts import template_kind
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
            got = Extraction("ok", code=prelude + "\n" + got.code, detail=got.detail)
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
    repeats = bool(entry) and re.search(rf"^\s*(async\s+)?def\s+{re.escape(entry)}\s*\(", completion, re.M)
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
    module = _parses(chosen)
    if module is None:
        return chosen
    defined = _top_level_names(module)
    used = {n.id for n in ast.walk(module) if isinstance(n, ast.Name)}
    extra = []
    for other in others:
        other_module = _parses(other)
        if other_module is None:
            continue
        for node in other_module.body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in used - defined:
                extra.append(ast.get_source_segment(other, node) or ast.unparse(node))
                defined.add(node.name)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                names = {(a.asname or a.name).split(".")[0] for a in node.names}
                if names & (used - defined):
                    extra.append(ast.get_source_segment(other, node) or ast.unparse(node))
                    defined |= names
    return ("\n".join(extra) + "\n\n" + chosen) if extra else chosen


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


def _reads_input(node: ast.AST) -> bool:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name) and sub.func.id == "input":
            return True
        if isinstance(sub, ast.Attribute) and sub.attr == "stdin":
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
    """The top-level statements that only exercise the code (see the note above)."""
    functions = {n.name: n for n in module.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    defined = set(functions) | {n.name for n in module.body if isinstance(n, ast.ClassDef)} | ({entry} - {None})
    imported = {(a.asname or a.name).split(".")[0] for n in module.body if isinstance(n, (ast.Import, ast.ImportFrom))
                for a in n.names}
    module_names = _top_level_names(module) | {n for node in module.body for n in _writes(node, {})}
    function_writes = {name: _function_writes(fn, module_names) for name, fn in functions.items()
                       if name != entry and not any(isinstance(r, ast.Return) and r.value is not None
                                                    for r in _walk_here(fn))}
    function_io = {name for name, fn in functions.items()
                   if _reads_input(fn) or any(isinstance(c, ast.Call) and isinstance(c.func, ast.Name)
                                              and c.func.id in ("input", "exit", "quit") for c in ast.walk(fn))}

    def calls(node: ast.AST, names: set[str]) -> bool:
        return any(isinstance(c, ast.Call) and isinstance(c.func, ast.Name) and c.func.id in names
                   for c in ast.walk(node))

    drop: list[ast.stmt] = []
    pending: list[ast.stmt] = []                     # kept only if they build state the kept code reads
    needed: set[str] = set()
    for node in module.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            needed |= _free_names(node) | {n for d in node.decorator_list for n in _loads(d)}
            if not isinstance(node, ast.ClassDef):
                needed |= {n for d in node.args.defaults + node.args.kw_defaults if d for n in _loads(d)}
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        elif _is_main_guard(node) or isinstance(node, ast.Assert) or _reads_input(node) or calls(node, function_io):
            drop.append(node)
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.While)) or (
                isinstance(node, ast.Expr) and not isinstance(node.value, ast.Constant)):
            pending.append(node)
        else:
            needed |= _loads(node)
    changed = True
    while changed:
        changed = False
        for node in list(pending):
            if _writes(node, function_writes) & needed or _configures(node, imported, defined):
                pending.remove(node)
                needed |= _loads(node)
                changed = True
    return drop + pending


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
    return (preamble + "\n\n\n" + body) if preamble else body


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
        completion = raw.split("```")[0]
        code = longest_parseable_prefix(completion)
        if code is not None and _has_code(_parses(code)):
            return Extraction("ok", code=code, detail="completion")
    blocks = _python_blocks(raw)
    candidates = [c for c in (_parseable(b.code) for b in blocks) if c and _has_code(_parses(c))]
    if candidates:
        reading = [c for c in candidates if _reads_input(_parses(c))]
        chosen = reading[-1] if reading else candidates[-1]
        return Extraction("ok", code=chosen, detail=f"fenced block {candidates.index(chosen) + 1} of {len(blocks)}")
    span = longest_parseable_span(raw)
    if span is not None:
        return Extraction("ok", code=span, detail="unfenced code")
    return Extraction("no_code_extracted", detail="no Python program found")


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
    for group, what in ((tagged, f"{language} block"), (untagged, "untagged block")):
        for block in reversed(group):
            code = _brace_code(block.code) or (block.code.strip() if "{" in block.code else None)
            if code:
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
        if not (standalone or (near and near[-1] in _NEGATION)
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
        if not _UNDECIDED.search(text[:200]):
            return Extraction("ok", label=_FLIP[label] if lead.group("neg") else label, detail="leading answer")
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
