"""Python source for test inputs, and a tagged JSON codec for the expected-output cache.

Inputs travel to the sandbox as Python expressions (``SandboxTest.code``), so they must be
rebuilt exactly: tuples stay tuples, sets stay sets, ``inf``/``nan``/complex survive.
``repr`` alone is not enough (``repr(float('inf'))`` is not valid source).
"""
from __future__ import annotations

import math
from typing import Any

from ._errors import ScorerError
from .sandbox._runner import _plain_list as plain_list


def to_source(value: Any) -> str:
    """Python source that evaluates to ``value`` (builtins only, no imports)."""
    t = type(value)
    if t is int and not -(1 << 62) < value < (1 << 62):
        return f"int({hex(value)!r}, 16)"
    if value is None or t is bool or t is int or t is str or t is bytes:
        return repr(value)
    if t is float:
        if math.isnan(value):
            return "float('nan')"
        if math.isinf(value):
            return "float('inf')" if value > 0 else "float('-inf')"
        return repr(value)
    if t is complex:
        return f"complex({to_source(value.real)}, {to_source(value.imag)})"
    # C speed for flat lists (HumanEval+ inputs: thousands of numbers or strings): where the
    # codec would carry them as they are, their repr is valid source too
    if (t is list or t is tuple) and len(value) > 8 and plain_list(value):
        return repr(value)
    if t is list:
        return "[" + ", ".join(to_source(v) for v in value) + "]"
    if t is tuple:
        if len(value) == 1:
            return "(" + to_source(value[0]) + ",)"
        return "(" + ", ".join(to_source(v) for v in value) + ")"
    if t is set:
        return "{" + ", ".join(to_source(v) for v in value) + "}" if value else "set()"
    if t is frozenset:
        return "frozenset([" + ", ".join(to_source(v) for v in value) + "])"
    if t is dict:
        return "{" + ", ".join(f"{to_source(k)}: {to_source(v)}" for k, v in value.items()) + "}"
    raise ScorerError(f"test input of type {t.__name__} cannot be sent to the sandbox")


# --- tagged JSON (cache of expected outputs; trusted values only) ---------------------------

def encode(value: Any) -> Any:
    """A JSON-able form that keeps the Python types EvalPlus comparisons depend on."""
    t = type(value)
    if value is None or t is bool or t is str:
        return value
    if t is int:  # JSON (and int->str) cannot carry arbitrarily large ints: hex can
        return value if -(1 << 62) < value < (1 << 62) else {"__i__": hex(value)}
    if t is float:
        if math.isnan(value) or math.isinf(value):
            return {"__f__": repr(value)}
        return value
    if t is list:
        return [encode(v) for v in value]
    if t is tuple:
        return {"__t__": [encode(v) for v in value]}
    if t is set:
        return {"__s__": [encode(v) for v in value]}
    if t is frozenset:
        return {"__fs__": [encode(v) for v in value]}
    if t is dict:
        return {"__d__": [[encode(k), encode(v)] for k, v in value.items()]}
    if t is complex:
        return {"__c__": [encode(value.real), encode(value.imag)]}
    if t is bytes:
        return {"__b__": value.hex()}
    if t is Opaque:  # as it came: a reloaded cache must compare like the first run
        return {"__r__": [value.type_name, value.text]}
    return {"__r__": [t.__name__, repr(value)]}


class Opaque:
    """A value that could not be represented (e.g. the sandbox's ``__unsupported__``)."""

    __slots__ = ("type_name", "text")

    def __init__(self, type_name: str, text: str) -> None:
        self.type_name, self.text = type_name, text

    def __eq__(self, other: object) -> bool:  # equal only to the same opaque value
        return isinstance(other, Opaque) and (self.type_name, self.text) == (other.type_name, other.text)

    def __hash__(self) -> int:
        return hash((self.type_name, self.text))

    def __repr__(self) -> str:
        return f"<{self.type_name} {self.text[:60]}>"


def decode(obj: Any) -> Any:
    if isinstance(obj, list):
        return [decode(v) for v in obj]
    if isinstance(obj, dict):
        if "__f__" in obj:
            return float(obj["__f__"])
        if "__i__" in obj:
            return int(obj["__i__"], 16)
        if "__t__" in obj:
            return tuple(decode(v) for v in obj["__t__"])
        if "__s__" in obj:
            return {decode(v) for v in obj["__s__"]}
        if "__fs__" in obj:
            return frozenset(decode(v) for v in obj["__fs__"])
        if "__d__" in obj:
            return {decode(k): decode(v) for k, v in obj["__d__"]}
        if "__c__" in obj:
            return complex(decode(obj["__c__"][0]), decode(obj["__c__"][1]))
        if "__b__" in obj:
            return bytes.fromhex(obj["__b__"])
        if "__r__" in obj:
            return Opaque(obj["__r__"][0], obj["__r__"][1])
    return obj
