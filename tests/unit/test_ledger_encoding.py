"""Entry and block header encodings, and the block rules validators re-check."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.ledger import (
    GENESIS_PREV_HASH,
    BlockHeader,
    BlockMismatchError,
    Entry,
    LedgerFormatError,
    build_block,
    check_block,
    entry_bytes,
    entry_facts,
    entry_facts_of_text,
    entry_from_dict,
    entry_leaf_hash,
    entry_to_dict,
    header_bytes,
    header_from_dict,
    header_hash,
    header_to_dict,
    signing_payload,
)
from chalicelib.domain.merkle import (
    consistency_proof,
    root_from_leaf_hashes,
    verify_consistency,
)

PHOTO_SHA = hashlib.sha256(b"front").hexdigest()
VALIDATORS_HASH = hashlib.sha256(b"a validator set").hexdigest()


def make_entry(seq: int, log: str = "parent", **changes: Any) -> Entry:
    values: dict[str, Any] = {
        "log": log, "seq": seq, "action": "paid" if log == "parent" else "upload",
        "user_id": "user-1", "order_id": f"order-{seq}", "recorded_at": "2025-03-01T10:00:00Z",
        "sealed": {"plate": "c2VhbGVk"}, "digests": {},
    }
    values.update(changes)
    return Entry(**values)


def chain(count_per_block: list[int], log: str = "parent") -> tuple[list[BlockHeader], list[bytes]]:
    headers: list[BlockHeader] = []
    leaves: list[bytes] = []
    for height, count in enumerate(count_per_block):
        entries = [make_entry(len(leaves) + i, log) for i in range(count)]
        prev = headers[-1] if headers else None
        headers.append(build_block("carparker-test", log, height, prev, leaves, entries,
                                   f"2025-03-01T10:0{height}:00.250Z",
                                   validators_hash=VALIDATORS_HASH))
        leaves = leaves + [entry_leaf_hash(e) for e in entries]
    return headers, leaves


def test_entry_bytes_are_canonical_json_with_the_type_tag() -> None:
    entry = make_entry(7, digests={"front.jpg": PHOTO_SHA}, order_id="ord-\u00e9")
    expected = ('{"action":"paid","digests":{"front.jpg":"' + PHOTO_SHA + '"},"log":"parent",'
                '"order_id":"ord-\u00e9","recorded_at":"2025-03-01T10:00:00Z",'
                '"sealed":{"plate":"c2VhbGVk"},"seq":7,"type":"carparker.entry/v1",'
                '"user_id":"user-1","version":1}').encode("utf-8")
    assert entry_bytes(entry) == expected
    assert entry_leaf_hash(entry) == hashlib.sha256(b"\x00" + expected).digest()


def test_entry_round_trips_through_its_dict() -> None:
    entry = make_entry(3, digests={"front.jpg": PHOTO_SHA})
    assert entry_from_dict(entry_to_dict(entry)) == entry


def test_entry_maps_are_read_only_copies() -> None:
    sealed = {"plate": "c2VhbGVk"}
    entry = make_entry(0, sealed=sealed)
    sealed["plate"] = "Y2hhbmdlZA=="
    assert entry.sealed["plate"] == "c2VhbGVk"
    with pytest.raises(TypeError):
        entry.sealed["plate"] = "x"  # type: ignore[index]


@pytest.mark.parametrize("change", [
    {"extra": 1}, {"type": "carparker.block/v1"}, {"seq": True}, {"seq": 1.0}, {"seq": -1},
    {"seq": 2**53}, {"version": 2}, {"log": "other"}, {"log": {}}, {"action": "refund"},
    {"user_id": ""}, {"order_id": None}, {"recorded_at": "2025-03-01T10:00:00+00:00"},
    {"recorded_at": "2025-03-01 10:00:00Z"}, {"recorded_at": "2025-03-01T10:00:00.1Z"},
    {"recorded_at": "2025-02-30T10:00:00Z"}, {"recorded_at": "2025-03-01T10:00:00.000000Z"},
    {"recorded_at": "２025-03-01T10:00:00Z"}, {"sealed": {"plate": "c2VhbGVk\n"}},
    {"sealed": {"plate": "c2VhbGVl"[:-1]}}, {"sealed": {"plate": "YQ=="[:-1] + "R"}},
    {"sealed": []}, {"digests": {"front.jpg": PHOTO_SHA.upper()}},
    {"digests": {"front.jpg": PHOTO_SHA[:-1]}}, {"digests": {"": PHOTO_SHA}},
])
def test_entry_from_dict_rejects_malformed_fields(change: dict[str, Any]) -> None:
    data = entry_to_dict(make_entry(1))
    data.update(change)
    with pytest.raises(LedgerFormatError):
        entry_from_dict(data)
    with pytest.raises(LedgerFormatError):  # the audit's fast route refuses exactly what the strict one does
        entry_facts(data)


@pytest.mark.parametrize("field", ["seq", "type", "digests"])
def test_entry_from_dict_rejects_missing_fields(field: str) -> None:
    data = entry_to_dict(make_entry(1))
    del data[field]
    with pytest.raises(LedgerFormatError, match=field):
        entry_from_dict(data)


def test_header_bytes_hash_and_signing_payload() -> None:
    (genesis,), _ = chain([2])
    data = header_to_dict(genesis)
    assert list(data)[0] == "type" and data["type"] == "carparker.block/v1"
    assert header_bytes(genesis).startswith(
        b'{"cut_at":"2025-03-01T10:00:00.250Z","entry_count":2,')
    assert header_hash(genesis) == hashlib.sha256(header_bytes(genesis)).hexdigest()
    assert signing_payload(genesis) == b"carparker-ledger-block-v1\n" + header_bytes(genesis)
    assert header_from_dict(data) == genesis
    assert genesis.prev_hash == GENESIS_PREV_HASH


@pytest.mark.parametrize("change", [
    {"tree_size": 3}, {"entry_count": 0}, {"prev_hash": "1" * 64}, {"height": 1},
    {"root": "AB" * 32}, {"validators_hash": ""}, {"cut_at": "yesterday"}, {"ledger_id": ""},
    {"version": True},
])
def test_header_rejects_malformed_or_inconsistent_fields(change: dict[str, Any]) -> None:
    (genesis,), _ = chain([2])
    with pytest.raises(LedgerFormatError):
        header_from_dict({**header_to_dict(genesis), **change})


def test_built_blocks_pass_check_block_and_chain_by_hash() -> None:
    headers, leaves = chain([3, 1, 4])
    for i, header in enumerate(headers):
        prev = headers[i - 1] if i else None
        check_block(header, prev, leaves[:header.tree_size])
    assert headers[2].prev_hash == header_hash(headers[1])
    assert [h.first_seq for h in headers] == [0, 3, 4]
    assert headers[2].root == root_from_leaf_hashes(leaves).hex()


def test_block_roots_are_cumulative_so_consistency_proofs_work() -> None:
    headers, leaves = chain([3, 1, 4])
    old, new = headers[0], headers[2]
    verify_consistency(old.tree_size, new.tree_size,
                       consistency_proof(old.tree_size, leaves[:new.tree_size]),
                       bytes.fromhex(old.root), bytes.fromhex(new.root))


def _tamper(header: BlockHeader, **changes: Any) -> BlockHeader:
    return dataclasses.replace(header, **changes)


@pytest.mark.parametrize(("what", "mutate"), [
    ("root", lambda h, p: (_tamper(h, root="ab" * 32), p)),
    ("link", lambda h, p: (_tamper(h, prev_hash="cd" * 32), p)),
    ("height", lambda h, p: (_tamper(h, height=5), p)),
    ("counts", lambda h, p: (_tamper(h, first_seq=4, entry_count=2), p)),
    ("time", lambda h, p: (_tamper(h, cut_at="2025-03-01T09:00:00Z"), p)),
    ("ledger_id", lambda h, p: (_tamper(h, ledger_id="elsewhere"), p)),
    ("log", lambda h, p: (_tamper(h, log="side"), p)),
    ("validators", lambda h, p: (_tamper(h, validators_hash="ef" * 32), p)),
    ("link", lambda h, p: (h, _tamper(p, cut_at="2025-03-01T10:00:00.251Z"))),
])
def test_check_block_names_the_rule_that_fails(what: str, mutate: Any) -> None:
    headers, leaves = chain([3, 3])
    header, prev = mutate(headers[1], headers[0])
    with pytest.raises(BlockMismatchError) as err:
        check_block(header, prev, leaves)
    assert err.value.what == what


def test_check_block_reports_wrong_leaf_count_and_wrong_leaves() -> None:
    headers, leaves = chain([3, 3])
    with pytest.raises(BlockMismatchError) as err:
        check_block(headers[1], headers[0], leaves[:-1])
    assert (err.value.what, err.value.expected, err.value.computed) == ("counts", 6, 5)
    with pytest.raises(BlockMismatchError) as err:
        check_block(headers[1], headers[0], [*leaves[:-1], leaves[0]])
    assert err.value.what == "root"


def test_build_block_rejects_entries_that_do_not_continue_the_log() -> None:
    (genesis,), leaves = chain([2])
    cases = [
        ([make_entry(3)], "seq"),
        ([make_entry(2, log="side")], "log"),
        ([], "counts"),
    ]
    for entries, what in cases:
        with pytest.raises(BlockMismatchError) as err:
            build_block("carparker-test", "parent", 1, genesis, leaves, entries,
                        "2025-03-01T10:05:00Z", validators_hash=VALIDATORS_HASH)
        assert err.value.what == what
    with pytest.raises(BlockMismatchError) as err:
        build_block("carparker-test", "parent", 1, genesis, leaves[:1], [make_entry(1)],
                    "2025-03-01T10:05:00Z", validators_hash=VALIDATORS_HASH)
    assert err.value.what == "counts"


entries = st.builds(
    make_entry, seq=st.integers(0, 2**53 - 1), log=st.sampled_from(["parent", "side"]),
    user_id=st.text(min_size=1), order_id=st.text(),
    sealed=st.dictionaries(st.text(min_size=1), st.binary().map(
        lambda b: base64.b64encode(b).decode())),
    digests=st.dictionaries(st.text(min_size=1), st.binary().map(
        lambda b: hashlib.sha256(b).hexdigest())))


@given(entries)
def test_any_valid_entry_round_trips_with_identical_bytes(entry: Entry) -> None:
    again = entry_from_dict(entry_to_dict(entry))
    assert again == entry
    assert entry_bytes(again) == entry_bytes(entry)


def test_ledger_core_errors_join_the_domain_error_families() -> None:
    from chalicelib.domain import canonical, errors, merkle, quorum

    # (chalicelib.verify is the standalone verifier: its VerificationError is a plain ValueError on purpose)
    invalid_input = (LedgerFormatError, canonical.CanonicalJSONError, quorum.ValidatorSetError)
    rule_violations = (BlockMismatchError, merkle.ProofError, quorum.QuorumError)
    assert all(issubclass(cls, errors.InvalidInputError) for cls in invalid_input)
    assert all(issubclass(cls, errors.RuleViolationError) for cls in rule_violations)
    assert issubclass(canonical.CanonicalJSONError, ValueError)
    assert BlockMismatchError("root", expected="a", computed="b").field == "root"


@given(entries)
def test_the_audits_fast_route_accepts_every_valid_entry_with_its_facts(entry: Entry) -> None:
    facts = entry_facts(entry_to_dict(entry))
    assert facts == (entry.log, entry.seq, entry.action, entry.user_id, entry.order_id, entry.recorded_at)


def _strict_verdict(data: object) -> str:
    try:
        entry_from_dict(data)
    except LedgerFormatError as exc:
        return str(exc)
    return "ok"


def _fast_verdict(data: object) -> str:
    try:
        entry_facts(data)
    except LedgerFormatError as exc:
        return str(exc)
    return "ok"


base64_like = st.text(alphabet="ABCDQgw0489+/=a \n\u00e9", max_size=9)


@given(entries, st.sampled_from(["sealed", "digests", "recorded_at", "seq", "user_id", "log"]),
       st.one_of(base64_like, st.integers(-1, 3), st.none(), st.dictionaries(st.text(max_size=2), base64_like, max_size=2)))
def test_the_audits_fast_route_judges_any_changed_field_as_the_strict_route_does(
        entry: Entry, field: str, value: object) -> None:
    data = entry_to_dict(entry)
    data[field] = value
    assert _fast_verdict(data) == _strict_verdict(data)


@given(st.text(alphabet="ABCDEIQgw0489+/=a\u00e9\n", max_size=12) | st.binary(max_size=7).map(
    lambda b: base64.b64encode(b).decode()))
def test_the_fast_base64_check_is_canonical_base64_exactly(text: str) -> None:
    data = entry_to_dict(make_entry(1, sealed={}))
    data["sealed"] = {"field": text}
    assert _fast_verdict(data) == _strict_verdict(data)


# The audit reads entries straight off their stored text (entry_facts_of_text): a pattern for the canonical
# spelling, and the parsing route for everything else. It must judge every text as json.loads + entry_facts do.

def _parsed_verdict(text: str) -> object:
    try:
        data = json.loads(text)
    except ValueError:
        return "not JSON"
    try:
        return entry_facts(data)
    except LedgerFormatError as exc:
        return str(exc)


def _text_verdict(text: str) -> object:
    try:
        return entry_facts_of_text(text)
    except LedgerFormatError as exc:
        return "not JSON" if str(exc).startswith("unreadable, not JSON") else str(exc)


timestamps = st.datetimes().map(lambda t: f"{t.year:04d}-{t:%m-%dT%H:%M:%S}"
                                + ("Z" if t.microsecond % 2 else f".{t.microsecond // 1000:03d}Z"))


@given(entries, timestamps)
def test_the_audit_reads_any_valid_entry_off_its_text_with_its_facts(entry: Entry, recorded_at: str) -> None:
    entry = dataclasses.replace(entry, recorded_at=recorded_at)
    facts = entry_facts_of_text(entry_bytes(entry).decode("utf-8"))
    assert facts == (entry.log, entry.seq, entry.action, entry.user_id, entry.order_id, entry.recorded_at)


def test_a_paid_entry_is_read_by_the_pattern_not_by_parsing() -> None:
    from chalicelib.domain.ledger import _CANONICAL_ENTRY

    entry = make_entry(41, user_id="0b6e3f0e-1d5c-4c51-9d5e-3a1f2b0c9d8e", recorded_at="2026-11-24T12:00:00.005Z",
                       sealed={"fields": base64.b64encode(bytes(range(256)) * 2).decode()})
    assert _CANONICAL_ENTRY.fullmatch(entry_bytes(entry).decode())  # else the audit silently runs at half speed


text_edits = st.sampled_from(['"', "\\", "\\u0041", ",", "=", "==", "A", "Q", "/", "0", "9", ".5", "-", "}", "{", " ",
                              "\u00e9", "\ud800", "\n", "e1", "29", "31", "0000", "T", "Z"])


@given(entries, timestamps, st.data())
def test_the_audit_judges_any_edited_entry_text_as_parsing_it_does(entry: Entry, recorded_at: str, data: Any) -> None:
    text = entry_bytes(dataclasses.replace(entry, recorded_at=recorded_at)).decode("utf-8")
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, min(len(text), start + 3)))
    edited = text[:start] + data.draw(text_edits | st.just("")) + text[end:]
    assert _text_verdict(edited) == _parsed_verdict(edited)


@pytest.mark.parametrize("recorded_at, valid", [
    ("2024-02-29T10:00:00Z", True), ("2025-02-29T10:00:00Z", False), ("2025-04-31T10:00:00Z", False),
    ("2025-12-31T23:59:59.999Z", True), ("0000-01-01T00:00:00Z", False), ("0999-01-01T00:00:00Z", True),
    ("2025-01-01T24:00:00Z", False), ("2025-01-01T10:00:60Z", False),
])
def test_the_text_route_checks_the_calendar(recorded_at: str, valid: bool) -> None:
    text = entry_bytes(make_entry(1)).decode().replace("2025-03-01T10:00:00Z", recorded_at)
    verdict = _text_verdict(text)
    assert verdict == _parsed_verdict(text)
    assert isinstance(verdict, tuple) is valid


@pytest.mark.parametrize("sealed", ["YQ==", "YR==", "YWI=", "YWJ=", "YWJj", "YQ=", "Y===", "", "YQ==YQ==",
                                    '{"a":"YQ==","b":"YWI="}'])
def test_the_text_route_checks_base64_as_parsing_does(sealed: str) -> None:
    body = sealed if sealed.startswith("{") else '{"plate":"' + sealed + '"}'
    text = entry_bytes(make_entry(1)).decode().replace('{"plate":"c2VhbGVk"}', body)
    assert _text_verdict(text) == _parsed_verdict(text)


@pytest.mark.parametrize("seq", ["9007199254740991", "9007199254740992", "01", "-1", "1.0", "true"])
def test_the_text_route_checks_the_seq_as_parsing_does(seq: str) -> None:
    text = entry_bytes(make_entry(1)).decode().replace('"seq":1,', f'"seq":{seq},')
    assert _text_verdict(text) == _parsed_verdict(text)
