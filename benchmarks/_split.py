"""Leakage-safe visible/hidden splits: a test whose content is shown to the model is visible.

Rules (also used by the leakage tests, which re-check them independently):
- ``assert`` tests: the assertion text (whitespace-normalised) appearing in the shown text;
- ``stdio`` tests: the stdin (whitespace-normalised, longer than ``MIN_STDIN_CHARS``);
- ``call`` tests: any argument whose ``repr`` is longer than ``MIN_REPR_CHARS``.
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


def shown_in(test: TestCase, shown: str, flat: str | None = None) -> bool:
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
        return len(stdin) > MIN_STDIN_CHARS and (stdin in flat or test.stdin.strip() in shown)
    if test.kind == "call":
        for arg in test.args or ():
            text = repr(arg)
            if len(text) > MIN_REPR_CHARS and text in shown:
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


def split_tests(tests: Sequence[TestCase], shown: str, *, n_visible: int = 1
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
        if shown_in(test, seen_text, flat) or any(_same(test, v) for v in visible):
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
