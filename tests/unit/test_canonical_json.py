"""Canonical JSON against RFC 8785's own examples (the parts without floats)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.canonical import (
    CanonicalJSONError,
    FloatNotAllowedError,
    canonical_bytes,
    parse_canonical,
)


def test_rfc8785_sorting_example_orders_keys_by_utf16_code_units() -> None:
    # RFC 8785 section 3.2.3: U+1F600 (surrogates D83D DE00) sorts before U+FB33.
    source = json.loads(
        '{"\\u20ac": "Euro Sign", "\\r": "Carriage Return", '
        '"\\ufb33": "Hebrew Letter Dalet With Dagesh", "1": "One", '
        '"\\ud83d\\ude00": "Emoji: Grinning Face", "\\u0080": "Control", '
        '"\\u00f6": "Latin Small Letter O With Diaeresis"}')
    expected = ('{"\\r":"Carriage Return","1":"One","\u0080":"Control",'
                '"\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign",'
                '"\U0001F600":"Emoji: Grinning Face",'
                '"\ufb33":"Hebrew Letter Dalet With Dagesh"}').encode()
    assert canonical_bytes(source) == expected


def test_rfc8785_string_and_literal_example_without_numbers() -> None:
    # RFC 8785 section 3.2.2 input, with its "numbers" member (all floats) removed.
    source = json.loads('{"string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",'
                        ' "literals": [null, true, false]}')
    expected = '{"literals":[null,true,false],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    assert canonical_bytes(source) == expected.encode("utf-8")


def test_rfc8785_nested_structure_example_without_the_float() -> None:
    # RFC 8785 section 3.2.3's nested sample, minus the 56.0 member.
    source = json.loads('{"1": {"f": {"f": "hi", "F": 5}}, "10": {}, "": "empty", '
                        '"a": {}, "111": [{"e": "yes", "E": "no"}], "A": {}}')
    expected = (b'{"":"empty","1":{"f":{"F":5,"f":"hi"}},"10":{},"111":[{"E":"no","e":"yes"}],'
                b'"A":{},"a":{}}')
    assert canonical_bytes(source) == expected


def test_control_characters_use_short_escapes_or_lowercase_u_escapes() -> None:
    assert canonical_bytes("\b\t\n\f\r\x00\x1f\x7f") == b'"\\b\\t\\n\\f\\r\\u0000\\u001f\x7f"'


@pytest.mark.parametrize("value", [1.0, 4.5, {"a": [0.0]}, float("nan")])
def test_floats_are_rejected_with_a_typed_error(value: object) -> None:
    with pytest.raises(FloatNotAllowedError):
        canonical_bytes(value)


@pytest.mark.parametrize("value", [
    (1, 2), {1: "a"}, b"bytes", {"k": object()}, 2**53, -(2**53), "\ud800",
])
def test_values_outside_the_subset_are_rejected(value: object) -> None:
    with pytest.raises(CanonicalJSONError):
        canonical_bytes(value)


def test_largest_safe_integers_are_allowed() -> None:
    assert (canonical_bytes([2**53 - 1, -(2**53 - 1), 0, -0])
            == b"[9007199254740991,-9007199254740991,0,0]")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53 - 1), 2**53 - 1) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20)


@given(json_values)
def test_canonical_output_parses_back_to_the_same_value(value: object) -> None:
    encoded = canonical_bytes(value)
    assert json.loads(encoded.decode("utf-8")) == value
    assert canonical_bytes(json.loads(encoded)) == encoded


def _canonical_verdict(text: str) -> object:
    """What parse_canonical must say, by definition: the value, if canonical_bytes spells it as ``text``."""
    try:
        value = json.loads(text)
    except ValueError:
        return "not JSON"
    try:
        return value if canonical_bytes(value) == text.encode("utf-8", "surrogatepass") else "not canonical"
    except CanonicalJSONError:
        return "not canonical"


def _parse_verdict(text: str) -> object:
    try:
        return parse_canonical(text)
    except CanonicalJSONError:
        return "not canonical"
    except ValueError:
        return "not JSON"


spellings = st.sampled_from([
    lambda v: canonical_bytes(v).decode("utf-8"),
    lambda v: json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False),
    lambda v: json.dumps(v, sort_keys=True, separators=(",", ":")),
    lambda v: json.dumps(v, separators=(",", ":"), ensure_ascii=False),
    lambda v: json.dumps(v, sort_keys=True),
])
values_with_floats = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text() | st.floats(allow_nan=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4), max_leaves=20)


@given(json_values | values_with_floats, spellings)
def test_parse_canonical_accepts_exactly_the_canonical_spelling(value: object, spell: Any) -> None:
    try:
        text = spell(value)
    except CanonicalJSONError:
        return  # canonical_bytes refuses the value, so it has no canonical spelling to test
    assert _parse_verdict(text) == _canonical_verdict(text)


@pytest.mark.parametrize("text", ['{"a":1.5}', '{"a":NaN}', '{"a":9007199254740992}', '{"b":1,"a":2}', '{"a":1,"a":1}',
                                  '{"\\ud800":1}', '"\\u00e9"', '"\u00e9"', '"\\u001F"', '"\\u001f"', '"\\/"', "[1, 2]",
                                  '{"\U0001F600":1,"\uFFFF":2}', '{"\uFFFF":2,"\U0001F600":1}'])
def test_parse_canonical_on_hand_picked_texts(text: str) -> None:
    assert _parse_verdict(text) == _canonical_verdict(text)
