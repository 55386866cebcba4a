"""JSON from strangers, parsed with its work bounded before the parser starts.

`json.loads` recurses once per nesting level, so a body of 100k '[' raises RecursionError (a 500) and a
deep but shallower one still costs the validators that walk it. Bodies are therefore limited in size and
nesting depth first (one linear pass over the bytes, strings skipped), and the non-standard constants NaN
and Infinity that Python's parser accepts are refused.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .errors import InvalidInputError

MAX_DEPTH = 32  # our deepest schema nests 3 levels; 32 leaves room for free-form maps
_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"?|[\[\]{}]')


def _refuse_constant(name: str) -> Any:
    raise InvalidInputError(f"{name} is not a JSON number", field="body")


def check_depth(raw: bytes, max_depth: int = MAX_DEPTH) -> None:
    """Refuse arrays and objects nested deeper than max_depth (strings are skipped: brackets in text do not count)."""
    if raw.count(b"[") + raw.count(b"{") <= max_depth:
        return
    depth = 0
    for match in _TOKENS.finditer(raw):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            if depth > max_depth:
                raise InvalidInputError(f"the JSON body nests deeper than {max_depth} levels", field="body", code="too_deep")
        elif token in (b"]", b"}"):
            depth -= 1


def loads(raw: bytes | str, *, max_bytes: int, max_depth: int = MAX_DEPTH, what: str = "request body") -> Any:
    """Parse a JSON document of at most max_bytes and max_depth; any refusal is an InvalidInputError on `body`."""
    data = raw.encode() if isinstance(raw, str) else bytes(raw)
    if len(data) > max_bytes:
        raise InvalidInputError(f"the {what} is larger than {max_bytes} bytes", field="body", code="too_large")
    check_depth(data, max_depth)
    try:
        return json.loads(data, parse_constant=_refuse_constant)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise InvalidInputError(f"the {what} must be JSON", field="body") from None
