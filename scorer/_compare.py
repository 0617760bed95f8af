"""Output comparison, done on the trusted side, the way each benchmark's own evaluator does it.

- EvalPlus 0.3.1 (``evalplus/eval/__init__.py::unsafe_execute``): exact ``==``, then for float
  outputs ``np.allclose(out, exp, rtol=1e-7, atol=atol)`` with the same type and length; atol is
  forced to 1e-6 once a float expected value is seen (and stays so for the rest of that input
  group, as upstream); plus its special oracles (``_special_oracle.py``).
- APPS (``hendrycks/apps eval/testing_util.py::run_test``): the cascade of line/whitespace/float/
  set comparisons for standard-input problems; list/tuple unwrapping for call-based ones.
- RunBugRun (``run_bug_run`` ``SubmissionOutputMatcher``): stripped outputs, line by line,
  token by token; numbers equal within the problem's absolute eps (default 1e-4).
"""
from __future__ import annotations

import functools
import math
import re
from fractions import Fraction
from typing import Any

from ._literal import Opaque

# -- values coming back from the sandbox ---------------------------------------------------


def from_sandbox(value: Any) -> Any:
    """Turn the sandbox codec's ``{"__unsupported__": type, "repr": ...}`` into :class:`Opaque`."""
    if isinstance(value, dict):
        if "__unsupported__" in value and set(value) <= {"__unsupported__", "repr"}:
            return Opaque(str(value["__unsupported__"]), str(value.get("repr", "")))
        return {from_sandbox(k): from_sandbox(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        if set(map(type, value)) <= _SCALARS:       # nothing to convert: C speed, no copy
            return value
        items = [from_sandbox(v) for v in value]
        return items if isinstance(value, list) else tuple(items)
    return value


_SCALARS = frozenset((str, int, float, bool, type(None), complex, bytes))


def safe_eq(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except Exception:  # e.g. comparing nested structures that raise
        return False


# -- EvalPlus -------------------------------------------------------------------------------

# evalplus/eval/_special_oracle.py
MBPP_OUTPUT_NOT_NONE_TASKS = ("check_str", "text_match_three", "text_starta_endb")
MBPP_OUTPUT_SET_EQ_TASKS = ("similar_elements", "find_char_long", "common_in_nested_lists",
                            "extract_singly", "larg_nnum", "intersection_array",
                            "find_dissimilar", "Diff")


def _surface_area(base_edge: float, height: float) -> float:  # Mbpp/581
    slant_height = math.sqrt((base_edge / 2) ** 2 + height**2)
    return round(base_edge**2 + 4 * (base_edge * slant_height) / 2)


def _digit_distance_nums(num1: int, num2: int) -> int:  # Mbpp/558
    s1, s2 = str(num1), str(num2)
    n = max(len(s1), len(s2))
    s1, s2 = s1.zfill(n), s2.zfill(n)
    return sum(abs(int(a) - int(b)) for a, b in zip(s1, s2))


def _poly(xs: list, x: float) -> float:  # HumanEval/32
    return sum(coeff * math.pow(x, i) for i, coeff in enumerate(xs))


def has_special_oracle(dataset: str, entry_point: str) -> bool:
    if dataset == "humaneval":
        return entry_point == "find_zero"
    return entry_point in ("are_equivalent", "sum_div", "surface_Area", "digit_distance_nums",
                           *MBPP_OUTPUT_SET_EQ_TASKS, *MBPP_OUTPUT_NOT_NONE_TASKS)


def is_floats(x: Any) -> bool:
    if isinstance(x, float):
        return True
    if isinstance(x, (list, tuple)) and x:
        return all(isinstance(i, float) for i in x)
    return False


def evalplus_expected_of(dataset: str, entry_point: str, canonical_output: Any) -> Any:
    """What EvalPlus stores as the expected output (``trusted_exec(output_not_none=...)``)."""
    if dataset == "mbpp" and entry_point in MBPP_OUTPUT_NOT_NONE_TASKS:
        return canonical_output is not None
    return canonical_output


class EvalPlusGroup:
    """Compares one group of inputs (base, or plus) in order, with EvalPlus's atol state."""

    def __init__(self, dataset: str, entry_point: str, atol: float) -> None:
        self.dataset = dataset          # "humaneval" | "mbpp"
        self.entry_point = entry_point
        self.atol = atol

    def check(self, args: Any, out: Any, exp: Any) -> bool:
        try:
            return self._check(list(args or ()), out, exp)
        except Exception:
            return False

    def _check(self, inp: list, out: Any, exp: Any) -> bool:
        ep, atol = self.entry_point, self.atol
        exact = safe_eq(out, exp)
        if self.dataset == "mbpp":
            if ep == "are_equivalent":                       # Mbpp/164
                exact = True
            elif ep == "sum_div":                            # Mbpp/295
                exact = exact or safe_eq(out, 0)
            elif ep == "surface_Area":                       # Mbpp/581
                exact = exact or abs(out - _surface_area(*inp)) <= atol
            elif ep == "digit_distance_nums":                # Mbpp/558
                exact = exact or safe_eq(out, _digit_distance_nums(*inp))
            elif ep in MBPP_OUTPUT_SET_EQ_TASKS:
                exact = set(out) == set(exp)
            elif ep in MBPP_OUTPUT_NOT_NONE_TASKS:
                exact = (out == exp) if isinstance(out, bool) else exp == (out is not None)
        if self.dataset == "humaneval" and ep == "find_zero":
            # Upstream checks |poly(xs, out)| <= atol and then, by a bug in 0.3.1, never marks
            # the input as passed (``continue`` skips ``details[i] = True``). We apply the check.
            x = out
            if isinstance(x, bool) or not isinstance(x, (int, float)):
                return False
            return abs(_poly(*inp, x)) <= atol
        if atol == 0 and is_floats(exp):
            atol = self.atol = 1e-6  # upstream rebinds atol for the rest of the group
        if not exact and atol != 0:
            import numpy as np

            if type(out) is not type(exp):
                return False
            if isinstance(exp, (list, tuple)) and len(out) != len(exp):
                return False
            return bool(np.allclose(out, exp, rtol=1e-07, atol=atol))
        return bool(exact)


# -- APPS -----------------------------------------------------------------------------------


def _stripped_eq(s1: str, s2: str) -> bool:
    return s1.strip() == s2.strip()


def apps_stdio_equal(stdout: str, expected: Any) -> bool:
    """APPS ``run_test`` for standard-input problems (``output`` = captured lines)."""
    try:
        return _apps_stdio_equal(stdout, expected)
    except Exception:
        return False


def _apps_stdio_equal(stdout: str, expected: Any) -> bool:
    import numpy as np

    output: Any = stdout.splitlines()
    gt: Any = "\n".join(expected) if isinstance(expected, list) else expected
    if not isinstance(gt, str):
        gt = str(gt)
    # custom_compare_
    if _stripped_eq("\n".join(output), gt):
        return True
    if _stripped_eq("\n".join(o.strip() for o in output), gt):
        return True
    if output == [gt]:
        return True
    gt_lines = [x.strip() for x in gt.split("\n") if len(x)]
    if output == gt_lines:
        return True
    output = [o for o in output if len(o)]
    if output == gt_lines:
        return True
    try:
        out_f = [float(e) for e in output]
        gt_f = [float(e) for e in gt_lines]
        if len(out_f) == len(gt_f) and np.allclose(out_f, gt_f):
            return True
    except ValueError:
        pass
    gt_sets = [set(line.split()) for line in gt_lines]
    out_sets = [set(toks) for toks in (o.split() for o in output) if len(toks)]
    if {frozenset(s) for s in out_sets} == {frozenset(s) for s in gt_sets}:
        return True
    try:
        def rounded(sets: list[set[str]]) -> set[frozenset[float]]:
            return {frozenset(round(float(t), 3) for t in s) for s in sets}
        return rounded(out_sets) == rounded(gt_sets)
    except ValueError:
        return False


def apps_call_equal(output: Any, expected: Any, list_wrapped: bool = True) -> bool:
    """APPS ``run_test`` for call-based problems. APPS stores each answer wrapped in a list
    and also accepts the answer itself (``expected[0]``); for ``expected`` that is the answer
    itself (``list_wrapped`` False) that fallback would accept a list answer's first item."""
    if isinstance(output, tuple):
        output = list(output)
    if not list_wrapped:
        expected = [expected]
    if safe_eq(output, expected):
        return True
    if isinstance(expected, list) and expected and safe_eq(output, expected[0]):
        return True
    try:
        if isinstance(output[0], tuple) and safe_eq([list(x) for x in output], expected[0]):
            return True
    except Exception:
        pass
    return False


# -- RunBugRun ------------------------------------------------------------------------------
# Upstream: giganticode/run_bug_run @ 1eab48172523ccaea75b1017060202ba4d3d9832,
# lib/run_bug_run/test_runner.rb (``run_test``: what is compared) and
# lib/run_bug_run/submission_output_matcher.rb (``SubmissionOutputMatcher.match?``); the legacy
# data's own runner (furunkel/codenet_bugs lib/codenet_bugs/test_runner.rb, ``output_matches?``)
# has the same rule. The per-problem eps table lives with the loader (benchmarks/_runbugrun.py).

_RBR_STRIP = " \t\n\v\f\r\0"            # Ruby String#strip: ASCII whitespace and NUL
_RBR_MAX_OUTPUT_LENGTH = 1024 * 2       # TestRunner::MAX_OUTPUT_LENGTH
_RBR_SKIP = re.compile(r"[ \t\r\f\v]+")
_RBR_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")    # Ruby's \d is ASCII-only
_RBR_WORD = re.compile(r"[^ \t\n\r\f\v]+")


def _rbr_parse(text: str) -> list[list[tuple[bool, str]]]:
    """``OutputParser#parse``: lines split at ``\\n``; in a line, a number is the longest prefix
    matching ``-?\\d+(?:\\.\\d+)?`` at the current position (so ``1e5`` is ``1`` then ``e5``, and
    ``inf``/``nan``/``.5``/``+1`` are words), else a word runs to the next whitespace."""
    lines: list[list[tuple[bool, str]]] = []
    pos, end = 0, len(text)
    while pos < end:
        line: list[tuple[bool, str]] = []
        while True:
            m = _RBR_SKIP.match(text, pos)
            if m:
                pos = m.end()
            if pos >= end:
                break
            if text[pos] == "\n":
                pos += 1
                break
            m = _RBR_NUMBER.match(text, pos)
            is_number = m is not None
            if m is None:
                m = _RBR_WORD.match(text, pos)
            assert m is not None  # (whitespace was skipped or ended the line)
            line.append((is_number, m.group()))
            pos = m.end()
        lines.append(line)
    return lines


def _rbr_chomp(s: str) -> str:
    """Ruby ``String#chomp``: one trailing ``\\r\\n``, ``\\n`` or ``\\r``."""
    if s.endswith("\r\n"):
        return s[:-2]
    return s[:-1] if s.endswith(("\n", "\r")) else s


@functools.lru_cache(maxsize=64)
def _rbr_eps(tol: float) -> Fraction | None:
    # Ruby compares BigDecimal with the Float eps as its shortest decimal (1e-4 is exactly 0.0001)
    return Fraction(repr(float(tol))) if math.isfinite(tol) else None


def tokens_equal(stdout: str | None, expected: str, *, tol: float = 1e-4) -> bool:
    """RunBugRun's verdict for one test (upstream above), with ``tol`` its per-problem
    ``FLOAT_EPS`` (default ``DEFAULT_FLOAT_EPS`` = 1e-4).

    Expected and actual output are stripped (NULs then deleted from the actual one); empty stdout
    fails; stdout longer than max(1.8 * len(expected), 2048) characters is cut there and gets
    ``<truncated>`` appended. Then, unless the two are equal, both are parsed into lines of tokens
    (:func:`_rbr_parse`): the line counts, the token counts of each line and each pair of tokens
    must match; two numbers match when ``|actual - expected| <= tol``, computed exactly in
    decimal (absolute only: no relative tolerance), anything else only when identical."""
    if not stdout:                       # upstream: empty output is nil, and nil never matches
        return False
    want = str(expected).strip(_RBR_STRIP)
    got = stdout.strip(_RBR_STRIP).replace("\0", "")
    limit = max(int(1.8 * len(want)), _RBR_MAX_OUTPUT_LENGTH)
    if len(got) > limit:
        got = got[:limit] + "<truncated>"
    want, got = _rbr_chomp(want), _rbr_chomp(got)
    if got == want:
        return True
    want_lines, got_lines = _rbr_parse(want), _rbr_parse(got)
    if len(want_lines) != len(got_lines):
        return False
    eps = _rbr_eps(tol)
    for wl, gl in zip(want_lines, got_lines):
        if len(wl) != len(gl):
            return False
        for (w_num, w), (g_num, g) in zip(wl, gl):
            if w == g:
                continue
            if not (w_num and g_num):
                return False
            diff = abs(Fraction(g) - Fraction(w))
            if not (diff <= eps if eps is not None else tol > 0):   # inf eps: any; nan: none
                return False
    return True
