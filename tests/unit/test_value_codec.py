"""The restricted codec: exact round trips for the supported types, plain builtins only on
the decode side, and a clear error for malformed (tampered) data."""
from __future__ import annotations

import json
import math
from collections import OrderedDict, namedtuple

import pytest

from scorer.sandbox import UnsupportedValue, ValueDecodeError, decode_value, encode_value
from scorer.sandbox._value_codec import dumps_value, loads_value

VALUES = [
    None, True, False, 0, -7, 2**62 - 1, 2**200, -(2**300), 1.5, -0.0, 1e308, "", "héllo\n\x00",
    "\ud800", b"", b"\x00\xffbytes", [], [1, [2, [3]]], (), (1, "a", (None,)), {"a": 1, 2: [3]},
    {(1, 2): {"x": {1, 2}}}, set(), {1, 2, 3}, frozenset({"a", (1, 2)}), complex(1, -2),
    [{"__tuple__": [1]}], {"__dict__": 1}, ["__set__"],
]


@pytest.mark.parametrize("value", VALUES, ids=[repr(v)[:30] for v in VALUES])
def test_round_trip_is_exact(value):
    back = loads_value(dumps_value(value))
    assert back == value
    assert type(back) is type(value)


def test_special_floats():
    for v in (math.inf, -math.inf):
        assert loads_value(dumps_value(v)) == v
    assert math.isnan(loads_value(dumps_value(math.nan)))
    c = loads_value(dumps_value(complex(math.nan, math.inf)))
    assert math.isnan(c.real) and c.imag == math.inf
    # the wire form is strict JSON (no NaN literals)
    json.loads(dumps_value([math.nan, math.inf]), parse_constant=lambda c: pytest.fail(c))


def test_subclasses_become_their_builtin_base():
    Point = namedtuple("Point", "x y")

    class MyInt(int):
        def __eq__(self, other):
            return True

    class MyStr(str):
        pass

    out = loads_value(dumps_value([Point(1, 2), MyInt(5), MyStr("s"), OrderedDict(a=1), True]))
    assert out == [(1, 2), 5, "s", {"a": 1}, True]
    assert [type(x) for x in out] == [tuple, int, str, dict, bool]
    assert out[1] != 6          # the lying __eq__ did not survive


def test_unsupported_values_are_marked_never_equal():
    class Anything:
        def __eq__(self, other):
            return True

        def __repr__(self):
            return "Anything()"

    v = loads_value(dumps_value(Anything()))
    assert isinstance(v, UnsupportedValue) and v.type_name == "Anything"
    assert v == {"__unsupported__": "Anything", "repr": "Anything()"}
    assert v != 42 and v != "Anything()"
    gen = loads_value(dumps_value((i for i in range(3))))
    assert gen["__unsupported__"] == "generator"


def test_hostile_repr_and_depth():
    class BadRepr:
        def __repr__(self):
            raise RuntimeError("no")

    assert loads_value(dumps_value(BadRepr()))["repr"] == "<repr failed>"
    deep: list = []
    cur = deep
    for _ in range(500):
        cur.append([])
        cur = cur[0]
    enc = encode_value(deep)            # cut at the codec's depth limit, not a crash
    assert "too_deep" in json.dumps(enc)
    loop: list = []
    loop.append(loop)
    assert "too_deep" in json.dumps(encode_value(loop))


@pytest.mark.parametrize("bad", [
    {"__tuple__": 1}, {"__set__": [[1]]}, {"__dict__": [[1]]}, {"__bytes__": "%%%"},
    {"__float__": "zero"}, {"__complex__": [1]}, {"__int__": "xyz"}, {"plain": 1},
    {"__tuple__": [], "__set__": []}, {"__tuple__": [], "extra": 1}, {"__nope__": 1}, {},
    {"__unsupported__": "x", "other": 1}, {"__complex__": [True, 1]},
])
def test_malformed_data_is_rejected(bad):
    with pytest.raises(ValueDecodeError):
        decode_value(bad)


def test_not_json_and_deep_nesting_rejected():
    with pytest.raises(ValueDecodeError):
        loads_value("{not json")
    with pytest.raises(ValueDecodeError):
        loads_value("[" * 100000 + "]" * 100000)


def test_numpy_values_encode_by_value():
    np = pytest.importorskip("numpy")
    out = loads_value(dumps_value([np.float64(1.5), np.int64(3), np.array([[1, 2], [3, 4]]), np.bool_(True)]))
    assert out == [1.5, 3, [[1, 2], [3, 4]], True]
    assert [type(x) for x in out] == [float, int, list, bool]
