"""The in-sandbox digests (scorer._digest.HELPERS): equal values <=> equal digests.

The helpers run in the sandbox, so they are exec'd here into a namespace, as
``host_value_digest`` does. Values are built as distinct objects (Python's ``==`` between
distinct objects is the reference: lists/tuples element-wise, True == 1 == 1.0, 0.0 == -0.0,
list != tuple).
"""
from __future__ import annotations

import json
import os
import random
import subprocess
import sys

import pytest

from scorer._digest import (DIGEST_FN, HELPERS, LARGE_STR_CHARS, REF_FN, VALUE_DIGEST_FN,
                            host_value_digest)

NS: dict = {}
exec(compile(HELPERS, "<codeharvest helpers>", "exec"), NS)
digest, value_digest, ref = NS[DIGEST_FN], NS[VALUE_DIGEST_FN], NS[REF_FN]
fast = NS["__codeharvest_fast__"]

N = 2000  # over the fast path's 1024 elements


def tri(n: int) -> list:
    """HumanEval/130's canonical solution: ints and floats, mostly floats."""
    ans = [1, 3]
    for i in range(2, n + 1):
        ans.append(1 + i / 2 if i % 2 == 0 else ans[-1] + ans[-2] + 1 + (i + 1) / 2)
    return ans


def as_ints(xs: list) -> list:
    """An equal list with every integral float as an int."""
    return [int(v) if type(v) is float and v.is_integer() else v for v in xs]


BIG = 2 ** 60
EQUAL = [  # (a, b, fast path?) with a == b
    ([1] * N, [1.0] * N, True),
    ([1] * N, [True] * N, True),
    ([True] * N, [1.0] * N, True),
    (tuple([2.5] * N), tuple([2.5] * N), True),
    (tri(N), as_ints(tri(N)), True),
    ([-7] * N + [3.25], [-7.0] * N + [3.25], True),
    ([2 ** 49 - 1] * N, [float(2 ** 49 - 1)] * N, True),
    ([-(2 ** 49 - 1)] * N, [float(-(2 ** 49 - 1))] * N, True),
    ([1e-300] * N, [1e-300] * N, True),
    # repr path, as deterministic: a zero (either sign), big ints, NaN-free inf, tiny, short
    ([0.0] + [1.5] * N, [-0.0] + [1.5] * N, False),
    ([0] + [1.5] * N, [False] + [1.5] * N, False),
    ([-0.0] + [1] * N, [0] + [True] * N, False),
    ([BIG] * N, [float(BIG)] * N, False),
    ([2 ** 53] * N, [float(2 ** 53)] * N, False),
    ([2 ** 49] * N, [float(2 ** 49)] * N, False),
    ([1.5] * N + [10 ** 400], [1.5] * N + [10 ** 400], False),
    ([float("inf")] * N, [float("inf")] * N, False),
    ([5e-324] * N, [5e-324] * N, False),
    ([1] * 1023, [1.0] * 1023, False),
    (list(range(N)), [float(i) for i in range(N)], False),
    ([1.5] * N + ["a"], [1.5] * N + ["a"], False),
    ([[1.5]] * N, [[1.5]] * N, False),
]
UNEQUAL = [  # a != b
    ([1] * N, tuple([1] * N)),                       # list vs tuple (fast path)
    ([0] * N, tuple([0] * N)),                       # list vs tuple (repr path)
    ([2 ** 53 + 1] * N, [2 ** 53] * N),              # array("d") would round both to 2**53
    ([2 ** 53 + 1] * N, [float(2 ** 53)] * N),
    ([BIG + 1] * N, [float(BIG)] * N),
    ([1.0] * N, [1.0] * (N - 1) + [1.0000000000000002]),
    ([1] * N, [1] * (N + 1)),
    ([True] * N, [2] * N),
    ([1.5] * N, [-1.5] * N),
    ([1.5] * N, [1.5] * (N - 1) + [0.0]),            # one path each
    ([1.5] * N, [1.5] * (N - 1) + ["1.5"]),
    ([1.5] * N, [1.5] * (N - 1) + [None]),
    (tri(N), tri(N)[:-1] + [tri(N)[-1] + 0.5]),
]


@pytest.mark.parametrize("a,b,on_fast", EQUAL)
def test_equal_values_equal_digests_same_path(a, b, on_fast):
    assert a == b and a is not b
    assert (fast(a) is not None) == on_fast and (fast(b) is not None) == on_fast
    assert digest(a) == digest(b) is not None
    assert value_digest(a) == value_digest(b)


@pytest.mark.parametrize("a,b", UNEQUAL)
def test_unequal_values_different_digests(a, b):
    assert a != b
    assert digest(a) != digest(b)
    if value_digest(a) is not None:
        assert value_digest(a) != value_digest(b)


def test_fast_path_is_the_blob_and_the_value_digest():
    x = tri(N)
    assert NS["__codeharvest_blob__"](x)[:7] == b"d:list:"
    assert len(NS["__codeharvest_blob__"](x)) == 7 + 8 * len(x)
    assert digest(x) == value_digest(x) == host_value_digest(x)
    assert digest([1.5] * N) != digest(tuple([1.5] * N))


def test_nan_falls_back_without_error():
    nan = float("nan")
    for x in ([nan] * N, [1.5] * N + [nan], [nan] + [10 ** 400] * N, [nan, BIG] * N):
        assert fast(x) is None
        assert digest(x) is not None
    assert digest([1.5] * N + [nan]) != digest([1.5] * N + [2.5])


def test_random_pairs_follow_python_equality():
    # b: a with elements swapped for equal ones of another type, sometimes one changed
    alts = {1: [1, 1.0, True], 0: [0, 0.0, -0.0, False], 2.5: [2.5], -3: [-3, -3.0],
            2 ** 53: [2 ** 53, float(2 ** 53)], 2 ** 53 + 1: [2 ** 53 + 1], 7: [7, 7.0],
            1e-310: [1e-310], 0.1: [0.1]}
    keys = list(alts)
    rng = random.Random(130)
    for trial in range(300):
        pool = rng.sample(keys, rng.randint(1, 4))
        n = rng.choice([1023, 1024, 1500])
        base = [rng.choice(pool) for _ in range(n)]
        a = [rng.choice(alts[v]) for v in base]
        b = [rng.choice(alts[v]) for v in base]
        if trial % 3 == 0:
            b[rng.randrange(n)] = rng.choice(keys)
        if trial % 7 == 0:
            b = tuple(b)
        assert (fast(a) is None) == (fast(b) is None) or a != b
        assert (digest(a) == digest(b)) == (a == b), (pool, n, trial)
        assert (value_digest(a) == value_digest(b)) == (a == b), (pool, n, trial)


def test_same_digests_in_another_process():
    # both paths, with another hash seed: the choice of path and the bytes depend on the
    # values only
    values = [tri(N), [0] + list(range(1, N)), [BIG] * N, [True] * N, tuple([1.5] * N),
              {"b": [1] * N, "a": {2, 3}}]
    code = ("import json, sys\nfrom scorer._digest import HELPERS, DIGEST_FN, VALUE_DIGEST_FN\n"
            "ns = {}\nexec(HELPERS, ns)\nvals = eval(sys.stdin.read())\n"
            "print(json.dumps([[ns[DIGEST_FN](v), ns[VALUE_DIGEST_FN](v)] for v in vals]))")
    env = dict(os.environ, PYTHONHASHSEED="12345")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    out = subprocess.run([sys.executable, "-c", code], input=repr(values), text=True,
                         capture_output=True, env=env, cwd=root, check=True).stdout
    assert json.loads(out) == [[digest(v), value_digest(v)] for v in values]


def test_long_str_by_digest_str_subclass_included():
    class Sub(str):
        def __str__(self):
            return "forged"

        def __eq__(self, other):
            return True

        __hash__ = str.__hash__

    s = "ab\udc80 " * (LARGE_STR_CHARS // 4)
    d, v = ref(s)
    assert v is None and d == digest(s) == digest(Sub(s)) == digest(str(s))
    assert digest(Sub(s)) != digest(s[:-1] + "x")
    assert ref(s[: LARGE_STR_CHARS - 1]) == (None, s[: LARGE_STR_CHARS - 1])  # carried


def test_ref_large_fast_lists_digested_medium_carried():
    big = [1.5] * 300_000   # ~9.6 MB estimated (2.4 MB of doubles): by digest
    d, v = ref(big)
    assert v is None and d == digest([1.5] * 300_000)
    medium = [1.5] * 100_000
    assert ref(medium) == (None, medium)
    t = tri(400_000)
    d, v = ref(t)
    assert v is None and d == digest(as_ints(t))
