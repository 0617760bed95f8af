"""Trusted-side output comparison: EvalPlus 0.3.1, APPS and RunBugRun semantics."""
from __future__ import annotations

import math

import pytest

from scorer._compare import (EvalPlusGroup, apps_call_equal, apps_stdio_equal, from_sandbox,
                             tokens_equal)
from scorer._literal import Opaque, decode, encode, to_source


@pytest.mark.parametrize("value", [
    None, True, 0, -5, 10**30, 1.5, float("inf"), float("-inf"), "a'b\"c\n", b"\x00\xff",
    [1, (2,), {3}, frozenset({4})], (), (1,), {"k": [1, 2.5]}, {(1, 2): "t"}, complex(1, -2),
    set(), [[[]]], 7 ** 6000, -(10 ** 5000),
], ids=lambda v: type(v).__name__)
def test_to_source_round_trips_exact_types(value):
    back = eval(to_source(value), {"__builtins__": {"float": float, "complex": complex, "int": int,
                                                    "set": set, "frozenset": frozenset}})
    assert back == value and type(back) is type(value)
    assert decode(encode(value)) == value and type(decode(encode(value))) is type(value)


def test_nan_survives_source_and_cache_codec():
    assert math.isnan(eval(to_source(float("nan"))))
    assert math.isnan(decode(encode(float("nan"))))


def test_unsupported_values_become_opaque():
    v = from_sandbox([{"__unsupported__": "ndarray", "repr": "array([1])"}, {"a": 1}])
    assert v[0] == Opaque("ndarray", "array([1])") and v[1] == {"a": 1}
    assert v[0] != "array([1])"


def he(ep="f", atol=0.0):
    return EvalPlusGroup("humaneval", ep, atol)


def mb(ep="f", atol=0.0):
    return EvalPlusGroup("mbpp", ep, atol)


def test_evalplus_exact_and_types():
    assert he().check([1], [1, 2], [1, 2])
    assert not he().check([1], (1, 2), [1, 2])        # tuple != list, as upstream
    assert he().check([1], 1, 1.0)                      # 1 == 1.0
    assert not he().check([1], "1", 1)


def test_evalplus_float_tolerance_forced_to_1e6():
    assert he().check([], 0.1 + 0.2, 0.3)               # atol forced to 1e-6 for floats
    assert not he().check([], 0.3001, 0.3)
    assert he().check([], [1.0, 2.0000001], [1.0, 2.0])
    assert not he().check([], [1.0], [1.0, 2.0])        # length differs
    assert not he().check([], 3, 3.0000001)             # type must match when not exact
    assert he(atol=1e-3).check([], 2.0005, 2.0)


def test_evalplus_atol_state_persists_within_a_group():
    g = he()
    assert g.check([], 1.0, 1.0)        # float expected: atol becomes 1e-6 for the group
    # an int list compared with allclose now, as in upstream (same type, within atol)
    assert g.check([], [1, 2], [1, 2])
    assert not he().check([], "x", "y")


def test_evalplus_find_zero_oracle_checks_the_root():
    g = he("find_zero", atol=1e-4)
    assert g.check([[-6, 11, -6, 1]], 1.0, 999.0)      # x=1 is a root of (x-1)(x-2)(x-3)
    assert not g.check([[-6, 11, -6, 1]], 1.5, 1.0)
    assert not g.check([[-6, 11, -6, 1]], "1", 1.0)


def test_mbpp_special_oracles():
    assert mb("similar_elements").check([], (5, 4), (4, 5))             # set equality
    assert not mb("similar_elements").check([], (5,), (4, 5))
    assert mb("are_equivalent").check([], False, True)                 # Mbpp/164: anything
    assert mb("sum_div").check([], 0, 7)                               # Mbpp/295
    assert mb("check_str").check([], Opaque("Match", "<re.Match>"), True)   # not-None oracle
    assert mb("check_str").check([], None, False)
    assert not mb("check_str").check([], None, True)
    assert mb("surface_Area", atol=1).check([3, 4], 35, 33)            # Mbpp/581 alt. reading
    assert not mb("surface_Area", atol=1).check([3, 4], 30, 33)
    assert mb("digit_distance_nums").check([123, 4], 4, 1)             # Mbpp/558 zero padding


def test_apps_stdio_cascade():
    assert apps_stdio_equal("1\n6\n-1\n", "1\n6\n-1\n")
    assert apps_stdio_equal("1 \n 6\n-1", "1\n6\n-1\n")                # line whitespace
    assert apps_stdio_equal("1\n\n6\n-1\n", "1\n6\n-1\n")              # blank lines dropped
    assert apps_stdio_equal("0.3333333333\n", "0.333333333333\n")     # numeric tolerance
    assert apps_stdio_equal("b a\n", "a b\n")                          # token sets per line
    assert apps_stdio_equal("1 2\n", ["1 2"])                          # list of expected lines
    assert not apps_stdio_equal("1\n6\n", "1\n6\n-1\n")
    assert not apps_stdio_equal("YES\n", "NO\n")


def test_apps_call_based():
    assert apps_call_equal(9, [9])          # outputs are wrapped in a list upstream
    assert apps_call_equal((1, 2), [1, 2])
    assert apps_call_equal([(1, 2)], [[[1, 2]]])
    assert not apps_call_equal(8, [9])


def test_apps_call_equal_unwraps_once():
    """A list answer's first item is not the answer: the fallback applies to APPS's wrapping
    only, never to an answer that is itself a list (MapCoder-150 4277: [5, 98, 93])."""
    assert apps_call_equal([5, 98, 93], [[5, 98, 93]])
    assert not apps_call_equal(5, [[5, 98, 93]])
    assert apps_call_equal([5, 98, 93], [5, 98, 93], list_wrapped=False)
    assert not apps_call_equal(5, [5, 98, 93], list_wrapped=False)
    assert apps_call_equal(9, 9, list_wrapped=False)


def test_runbugrun_tokens():
    assert tokens_equal("1 2\n3\n", "1 2\n3")
    assert not tokens_equal("1 2\n3\n", "1\n2 3")     # lines matter (more in test_runbugrun_compare)
    assert tokens_equal("0.50001", "0.5")
    assert not tokens_equal("0.5002", "0.5")
    assert not tokens_equal("1 2", "1 2 3")
    assert not tokens_equal("abc", "abd")


def test_large_output_digest_compares_as_python_does():
    from scorer._digest import DIGEST_FN, HELPERS

    ns: dict = {}
    exec(HELPERS, ns)
    d = ns[DIGEST_FN]
    assert d([1, 2.0, True]) == d([1, 2, 1])            # 2 == 2.0, True == 1
    assert d([1, 2]) != d((1, 2))                        # list != tuple
    assert d({"a": 1, "b": 2}) == d({"b": 2, "a": 1})    # dict order does not matter
    assert d({"x", "y", "z"}) == d({"z", "y", "x"})
    assert d([0.5]) != d([0.5000001])                    # large outputs: floats exact
    assert d([("a", "b")] * 3) != d([("a", "c")] * 3)
