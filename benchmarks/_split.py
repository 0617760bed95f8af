"""Leakage-safe visible/hidden splits: a test whose content is shown to the model is visible.

Rules (also used by the leakage tests, which re-check them independently):
- ``assert`` tests: the assertion text (whitespace-normalised) appearing in the shown text;
- ``stdio`` tests: the stdin (whitespace-normalised, longer than ``MIN_STDIN_CHARS``);
- ``call`` tests: any argument whose ``repr`` is longer than ``MIN_REPR_CHARS``;
- with ``worked_examples`` (a problem statement, not code): ``stdio`` and ``call`` tests with a
  known expected output, however short, whose input is followed a few characters later by
  that output (APPS "Input 2 Output -1", "513 ==> 531").
"""
from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Sequence

from ._types import TestCase

MIN_STDIN_CHARS = 5
MIN_REPR_CHARS = 20
_WS = re.compile(r"\s+")


def normalise(text: str) -> str:
    return _WS.sub(" ", text).strip()


def shown_in(test: TestCase, shown: str, flat: str | None = None, *, worked_examples: bool = False) -> bool:
    """Whether ``test``'s hidden content can be read off ``shown`` (prompt + visible tests).

    ``flat`` is ``normalise(shown)``, passed in when checking many tests against one text.
    """
    if flat is None:
        flat = normalise(shown)
    if test.kind == "assert":
        body = normalise(assert_text(test.code))
        return bool(body) and body in flat
    if test.kind == "stdio":
        stdin = normalise(test.stdin)
        if len(stdin) > MIN_STDIN_CHARS and (stdin in flat or test.stdin.strip() in shown):
            return True
        expected = normalise(str(test.expected or ""))
        return worked_examples and bool(stdin and expected) and _example_shown([stdin, expected], flat)
    if test.kind == "call":
        for arg in test.args or ():
            text = repr(arg)
            if len(text) > MIN_REPR_CHARS and text in shown:
                return True
        if worked_examples and test.expected_known and test.expected is not None:
            inputs = [_compact(_literal_text(a)) for a in test.args or ()]
            answers = [test.expected]
            if isinstance(test.expected, list) and len(test.expected) == 1:
                answers.append(test.expected[0])        # APPS wraps its answers in a list
            text = _compact(flat)
            return any(_example_shown(inputs + [_compact(_literal_text(a))], text) for a in answers)
    return False


# between two parts of a worked example: "Output", "==>", "->", ", target =" (no digits)
_EXAMPLE_GAP = 40
_COMPACT = re.compile(r"\s*([,\[\](){}:])\s*")


def _compact(text: str) -> str:
    """No spaces around brackets, commas and colons: ``[2, 7]`` and ``[2,7]`` read alike."""
    return _COMPACT.sub(r"\1", text)


def _literal_text(value: object) -> str:
    return value if isinstance(value, str) else repr(value)


def _bounded(needle: str) -> re.Pattern:
    """``needle`` not inside a longer number or word (``2`` is not in ``12`` or ``x2``)."""
    head = r"(?<![\w.\-])" if needle[:1].isalnum() or needle[:1] == "-" else ""
    tail = r"(?![\w.])" if needle[-1:].isalnum() else ""
    return re.compile(head + re.escape(needle) + tail)


def _example_shown(parts: list[str], text: str) -> bool:
    """The parts (inputs, then the output) in this order in ``text``, each within a short gap
    without digits of the one before: the statement works this test as an example."""
    if not all(parts):
        return False
    patterns = [_bounded(p) for p in parts]
    for first in patterns[0].finditer(text):
        pos = first.end()
        for part, pattern in zip(parts[1:], patterns[1:]):
            found = pattern.search(text, pos, pos + _EXAMPLE_GAP + len(part))
            if found is None or any(ch.isdigit() for ch in text[pos:found.start()]):
                break
            pos = found.end()
        else:
            return True
    return False


def parse_quietly(code: str) -> ast.Module:
    """``ast.parse`` without the invalid-escape warnings old benchmark code triggers."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        return ast.parse(code)


def assert_text(code: str) -> str:
    """The assertion itself: the last statement of a test's code (its set-up excluded)."""
    try:
        module = parse_quietly(code)
    except (SyntaxError, ValueError):
        return code
    if not module.body:
        return code
    last = module.body[-1]
    return ast.get_source_segment(code, last) or ast.unparse(last)


def split_tests(tests: Sequence[TestCase], shown: str, *, n_visible: int = 1, worked_examples: bool = False
                ) -> tuple[tuple[TestCase, ...], tuple[TestCase, ...], bool]:
    """First ``n_visible`` tests and any test shown in ``shown`` are visible; the rest hidden.

    Returns (visible, hidden, hidden_equals_visible). A task whose tests are all visible keeps
    them as its hidden tests too (so it can still be scored), flagged by the third value.
    """
    visible = list(tests[:n_visible])
    hidden: list[TestCase] = []
    seen_text = shown + "\n" + "\n".join(_test_text(t) for t in visible)
    flat = normalise(seen_text)
    for test in tests[n_visible:]:
        if shown_in(test, seen_text, flat, worked_examples=worked_examples) or any(_same(test, v) for v in visible):
            visible.append(test)
        else:
            hidden.append(test)
    if not hidden:
        return tuple(visible), tuple(visible), True
    return tuple(visible), tuple(hidden), False


def _test_text(test: TestCase) -> str:
    if test.kind == "assert":
        return test.code
    if test.kind == "stdio":
        return test.stdin
    return ""


def _same(a: TestCase, b: TestCase) -> bool:
    return (a.kind, a.code, a.stdin, repr(a.args)) == (b.kind, b.code, b.stdin, repr(b.args))
