"""The restricted value codec: untrusted children encode, the trusted host decodes.

Tagged JSON: ``null``/booleans/numbers/strings/arrays as themselves (a JSON array is a
``list``), and ``{"__tuple__": [...]}``, ``{"__dict__": [[k, v], ...]}``, ``{"__set__": [...]}``,
``{"__frozenset__": [...]}``, ``{"__bytes__": base64}``, ``{"__complex__": [re, im]}``,
``{"__float__": "nan" | "inf" | "-inf"}``, ``{"__int__": hex}`` (beyond 2**62) and
``{"__unsupported__": type name, "repr": text}`` for anything else. The decoder builds only
builtin objects, so a value coming out of the sandbox has no user-defined behaviour (no
``__eq__`` that always says yes): comparisons on the host cannot be forged.

The encoder lives in the runner file (the sandbox side must be one stdlib-only file);
``encode_value`` is re-exported here for round-trip use and tests.
"""
from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from ._runner import encode_value

__all__ = ["UnsupportedValue", "ValueDecodeError", "decode_value", "dumps_value", "encode_value",
           "loads_value"]

_MAX_DEPTH = 200
_JSON_SCALARS = frozenset((str, int, float, bool, type(None)))


class ValueDecodeError(ValueError):
    """The encoded data is malformed (the sandboxed program tampered with its report)."""


class UnsupportedValue(dict):
    """A value of a type the codec does not carry: ``{"__unsupported__": name, "repr": text}``.

    A ``dict`` subclass so it compares equal to the agreed plain-dict form, and never equal
    to any supported value."""

    @property
    def type_name(self) -> str:
        return str(self.get("__unsupported__", ""))


def _float(v: Any) -> float:
    if isinstance(v, bool):
        raise ValueDecodeError("bool where a float was expected")
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, dict) and set(v) == {"__float__"} and v["__float__"] in ("nan", "inf", "-inf"):
        return float(v["__float__"])
    raise ValueDecodeError(f"bad float {v!r:.80}")


def _items(v: Any) -> list:
    if not isinstance(v, list):
        raise ValueDecodeError("tagged container without a list")
    return v


def decode_value(obj: Any, _depth: int = 0) -> Any:
    """Rebuild a Python value from its tagged-JSON form; raise ValueDecodeError if malformed."""
    if _depth > _MAX_DEPTH:
        raise ValueDecodeError("value nested too deeply")
    d = _depth + 1
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, list):
        if set(map(type, obj)) <= _JSON_SCALARS:     # C speed for flat lists (no tags inside)
            return obj
        return [decode_value(v, d) for v in obj]
    if not isinstance(obj, dict) or not obj:
        raise ValueDecodeError(f"unexpected {type(obj).__name__}")
    tags = [k for k in obj if k.startswith("__")]
    if len(tags) != 1:
        raise ValueDecodeError("untagged object")
    tag = tags[0]
    v = obj[tag]
    try:
        if tag == "__unsupported__":
            if set(obj) - {"__unsupported__", "repr"}:
                raise ValueDecodeError("bad unsupported marker")
            return UnsupportedValue({"__unsupported__": str(v), "repr": str(obj.get("repr", ""))})
        if len(obj) != 1:
            raise ValueDecodeError("extra keys next to a tag")
        if tag == "__tuple__":
            return tuple(decode_value(x, d) for x in _items(v))
        if tag == "__dict__":
            out = {}
            for pair in _items(v):
                if not isinstance(pair, list) or len(pair) != 2:
                    raise ValueDecodeError("bad dict item")
                out[decode_value(pair[0], d)] = decode_value(pair[1], d)
            return out
        if tag == "__set__":
            return {decode_value(x, d) for x in _items(v)}
        if tag == "__frozenset__":
            return frozenset(decode_value(x, d) for x in _items(v))
        if tag == "__bytes__":
            if not isinstance(v, str):
                raise ValueDecodeError("bad bytes")
            return base64.b64decode(v.encode("ascii"), validate=True)
        if tag == "__complex__":
            parts = _items(v)
            if len(parts) != 2:
                raise ValueDecodeError("bad complex")
            return complex(_float(parts[0]), _float(parts[1]))
        if tag == "__float__":
            return _float(obj)
        if tag == "__int__":
            if not isinstance(v, str):
                raise ValueDecodeError("bad int")
            return int(v, 16)
    except ValueDecodeError:
        raise
    except (TypeError, ValueError, binascii.Error, UnicodeError, RecursionError) as exc:
        raise ValueDecodeError(f"{tag}: {exc}") from None
    raise ValueDecodeError(f"unknown tag {tag}")


def dumps_value(value: Any) -> str:
    """Encode a value to a JSON string (the child-side format)."""
    return json.dumps(encode_value(value), separators=(",", ":"))


def loads_value(text: str | bytes) -> Any:
    """Decode a JSON string produced by ``dumps_value`` (ValueDecodeError when malformed)."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ValueDecodeError(f"not JSON: {exc}") from None
    return decode_value(data)
