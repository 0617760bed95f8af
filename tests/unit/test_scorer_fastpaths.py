"""C-speed fast paths for flat values must give exactly what the general code gives."""
from __future__ import annotations

import math
import random

import pytest

from scorer._compare import from_sandbox
from scorer._literal import to_source
from scorer.sandbox._value_codec import decode_value, encode_value

random.seed(7)
FLAT = [
    list(range(1, 50)), [1.5, -2.25, 3.0] * 10, ["a", "b'", 'c"', "\u00e9\n"] * 5, [True, None, False] * 4,
    tuple(range(20)), [1, 2.5, True] * 5, [random.random() for _ in range(100)],
]
NOT_FLAT = [
    [1.0, float("nan")] * 5, [float("inf")] * 9, [2**63] * 9, [-(2**70), 1] * 5, [[1], [2]] * 5,
    [1, "a"] * 5, [(1, 2)] * 9, [{1, 2}] * 9, [b"x"] * 9,
]


def _slow_source(v):
    if type(v) is list:
        return "[" + ", ".join(to_source(x) for x in v) + "]"
    if type(v) is tuple:
        return "(" + ", ".join(to_source(x) for x in v) + ("," if len(v) == 1 else "") + ")"
    return to_source(v)


@pytest.mark.parametrize("value", FLAT + NOT_FLAT)
def test_to_source_round_trips(value):
    src = to_source(value)
    back = eval(src, {"__builtins__": {"float": float, "int": int, "frozenset": frozenset, "set": set}})
    assert type(back) is type(value) and len(back) == len(value)
    assert all((a == b) or (isinstance(a, float) and math.isnan(a) and math.isnan(b)) for a, b in zip(back, value))
    assert [type(x) for x in back] == [type(x) for x in value]


@pytest.mark.parametrize("value", FLAT)
def test_flat_source_is_the_general_source(value):
    assert to_source(value) == _slow_source(value)


@pytest.mark.parametrize("value", FLAT + NOT_FLAT)
def test_decode_and_from_sandbox_match_the_general_path(value):
    enc = encode_value(value)
    dec = decode_value(enc)
    assert dec == value or any(isinstance(x, float) and math.isnan(x) for x in value)
    assert type(dec) is type(value)
    again = from_sandbox(dec)
    assert type(again) is type(dec) and again == dec or any(isinstance(x, float) and math.isnan(x) for x in value)


def test_unsupported_values_inside_lists_still_become_opaque():
    from scorer._literal import Opaque

    dec = decode_value([1, {"__unsupported__": "Foo", "repr": "Foo()"}])
    assert isinstance(from_sandbox(dec)[1], Opaque)
    assert isinstance(from_sandbox((1, dec[1]))[1], Opaque)
