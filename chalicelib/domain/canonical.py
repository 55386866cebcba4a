"""Canonical JSON: the subset of RFC 8785 (JCS) that the ledger needs.

Only dict (with str keys), list, str, int, bool and None are accepted. Floats are
rejected rather than formatted: the ledger stores money and times as integers or
strings, and refusing floats removes the one hard part of JCS (ECMAScript number
formatting) together with every rounding question it brings.

Output: object members sorted by their keys' UTF-16 code units, no whitespace, strings
escaped as RFC 8785 section 3.2.2.2 says, the whole text encoded as UTF-8.
"""

from __future__ import annotations

import json

from chalicelib.domain.errors import InvalidInputError

# Integers beyond 2^53 cannot round-trip through an IEEE 754 double, which is what
# every JCS implementation (and JavaScript) parses numbers into (RFC 8785 section 3.2.2.3).
MAX_SAFE_INTEGER = 2**53 - 1

_ESCAPES = {0x22: '\\"', 0x5C: "\\\\", 0x08: "\\b", 0x09: "\\t", 0x0A: "\\n",
            0x0C: "\\f", 0x0D: "\\r"}
_STRING_TABLE = {c: _ESCAPES.get(c, f"\\u{c:04x}") for c in range(0x20)}
_STRING_TABLE.update({0x22: _ESCAPES[0x22], 0x5C: _ESCAPES[0x5C]})


class CanonicalJSONError(InvalidInputError, ValueError):
    """The value cannot be encoded as canonical JSON."""

    code = "not_canonical_json"


class FloatNotAllowedError(CanonicalJSONError):
    """A float was found; the ledger's canonical JSON has integers only."""


def canonical_bytes(value: object) -> bytes:
    """Return the canonical UTF-8 JSON encoding of ``value``."""
    fast = _c_encoded(value)
    if fast is not None:
        return fast
    parts: list[str] = []
    _encode(value, parts, "$")
    try:
        return "".join(parts).encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate cannot be UTF-8
        raise CanonicalJSONError(f"string is not valid Unicode: {exc.reason}") from exc


def _c_encoded(value: object) -> bytes | None:
    """The json module's C encoder's text, when it is certainly the canonical one: an all-ASCII text (so every key is
    ASCII, and code point order is UTF-16 order) that parses back, floats and unsafe integers refused, to a value
    equal to ``value`` (so no key was coerced to a string and no tuple became a list). Else None, and the Python
    encoder decides (and names what it refuses). Validators re-encode every entry of each block they sign."""
    try:
        text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):
        return None
    if not text.isascii():
        return None
    try:
        same = json.loads(text, parse_float=_no_float, parse_int=_safe_int, parse_constant=_no_float) == value
    except CanonicalJSONError:
        return None
    return text.encode("ascii") if same else None


def parse_canonical(text: str) -> object:
    """The value ``text`` spells, which must be its canonical spelling (raises CanonicalJSONError, or ValueError
    if it is not JSON at all).

    The C encoder of the json module decides most texts at C speed: with floats, NaN and unsafe integers refused
    while parsing, its sorted, unspaced output equals canonical_bytes for every value whose strings it leaves
    unescaped or escapes as RFC 8785 does, and any text it spells differently is judged by canonical_bytes."""
    value = json.loads(text, parse_float=_no_float, parse_int=_safe_int, parse_constant=_no_float)
    if json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False) == text and text.isascii():
        return value  # ASCII keys: code point order is UTF-16 order
    if canonical_bytes(value) != text.encode("utf-8", "surrogatepass"):
        raise CanonicalJSONError("text is not the canonical JSON of its value")
    return value


def _no_float(text: str) -> float:
    raise FloatNotAllowedError(f"floats are not allowed in canonical JSON, got {text}")


def _safe_int(text: str) -> int:
    return int(_encode_int(int(text), "$"))


def _encode(value: object, parts: list[str], path: str) -> None:
    # bool is a subclass of int, so it must be tested before int.
    if value is None or isinstance(value, bool):
        parts.append({None: "null", True: "true", False: "false"}[value])
    elif isinstance(value, int):
        parts.append(_encode_int(value, path))
    elif isinstance(value, str):
        parts.append(_encode_str(value))
    elif isinstance(value, float):
        raise FloatNotAllowedError(f"{path}: floats are not allowed in canonical JSON")
    elif isinstance(value, dict):
        _encode_object(value, parts, path)
    elif isinstance(value, list):
        _encode_array(value, parts, path)
    else:
        raise CanonicalJSONError(f"{path}: unsupported type {type(value).__name__}")


def _encode_int(value: int, path: str) -> str:
    if abs(value) > MAX_SAFE_INTEGER:
        raise CanonicalJSONError(f"{path}: integer {value} is outside +/-(2^53 - 1)")
    return str(value)


# RFC 8785 escapes exactly what the json module's C encoder escapes with ensure_ascii off (", \\, the short forms
# \\b \\t \\n \\f \\r, other controls as lowercase \\u00xx, nothing else), and the C encoder is about ten times
# faster than str.translate: every validator re-encodes each entry of a block it signs (docs/capacity.md).
_C_ENCODE = getattr(json.encoder, "c_encode_basestring", None)


def _encode_str(value: str) -> str:
    if _C_ENCODE is not None:
        return str(_C_ENCODE(value))
    return '"' + value.translate(_STRING_TABLE) + '"'


def _encode_object(value: dict[object, object], parts: list[str], path: str) -> None:
    keys: list[str] = []
    for key in value:
        if not isinstance(key, str):
            raise CanonicalJSONError(f"{path}: object key {key!r} is not a string")
        keys.append(key)
    parts.append("{")
    for i, key in enumerate(sorted(keys, key=_utf16_sort_key)):
        if i:
            parts.append(",")
        parts.append(_encode_str(key))
        parts.append(":")
        _encode(value[key], parts, f"{path}.{key}")
    parts.append("}")


def _encode_array(value: list[object], parts: list[str], path: str) -> None:
    parts.append("[")
    for i, item in enumerate(value):
        if i:
            parts.append(",")
        _encode(item, parts, f"{path}[{i}]")
    parts.append("]")


def _utf16_sort_key(key: str) -> bytes:
    # Big-endian UTF-16 bytes compare exactly like the sequence of UTF-16 code units.
    # surrogatepass keeps sorting total; a lone surrogate still fails the final UTF-8 step.
    return key.encode("utf-16-be", "surrogatepass")
