"""The standalone verifier (chalicelib/verify.py) keeps its own copy of four pieces the platform has in its domain,
tuned there for speed: canonical JSON, RFC 9162 inclusion proofs, and the entry and block header rules. These tests
hold the two copies equal: same bytes, same hashes, same verdicts. (Signature counting, canonical base64, the time
rule and the X.509 checks are not copies: the domain calls the verifier's.)"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib import verify
from chalicelib.domain.canonical import CanonicalJSONError, canonical_bytes
from chalicelib.domain.ledger import (
    BlockHeader,
    Entry,
    LedgerFormatError,
    entry_bytes,
    entry_from_dict,
    entry_to_dict,
    header_bytes,
    header_from_dict,
    header_hash,
    header_to_dict,
    signing_payload,
)
from chalicelib.domain.merkle import ProofError, inclusion_proof, leaf_hash, root_from_leaf_hashes, verify_inclusion
from chalicelib.domain.quorum import validator_set_hash
from tests.unit.bundle_factory import VALIDATOR_SET, make_ledger, validator_set

VECTORS = Path(__file__).parent / "vectors" / "rfc6962" / "inclusion"

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53 - 1), 2**53 - 1) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4),
    max_leaves=20)


@given(json_values)
def test_canonical_json_is_the_same_bytes(value: object) -> None:
    try:
        expected = canonical_bytes(value)
    except CanonicalJSONError:
        with pytest.raises(verify.VerificationError):
            verify.canonical_json(value)
        return
    assert verify.canonical_json(value) == expected


@pytest.mark.parametrize("value", [1.5, 2**53, -(2**53), {1: "a"}, {"\ud800": 1}, ["\udfff"], (1, 2), b"x"])
def test_neither_copy_encodes_what_the_format_has_no_spelling_for(value: object) -> None:
    with pytest.raises(CanonicalJSONError):
        canonical_bytes(value)
    with pytest.raises(verify.VerificationError):
        verify.canonical_json(value)


@pytest.mark.parametrize("name", sorted(str(p.relative_to(VECTORS)) for p in VECTORS.rglob("*.json")))
def test_inclusion_vectors_get_the_same_verdict(name: str) -> None:
    v = json.loads((VECTORS / name).read_text())
    args = (base64.b64decode(v["leafHash"]), v["leafIdx"], v["treeSize"],
            [base64.b64decode(p) for p in v["proof"] or []], base64.b64decode(v["root"]))
    verdicts = []
    for check, error in ((verify_inclusion, ProofError), (verify.verify_inclusion, verify.VerificationError)):
        try:
            check(*args)  # type: ignore[operator]
            verdicts.append("ok")
        except error:
            verdicts.append("refused")
    assert verdicts[0] == verdicts[1] == ("refused" if v["wantErr"] else "ok")


@settings(max_examples=200)
@given(st.integers(1, 70), st.data())
def test_inclusion_proofs_of_every_shape_get_the_same_verdict(size: int, data: st.DataObject) -> None:
    leaves = [leaf_hash(bytes([i % 256, i // 256])) for i in range(size)]
    index = data.draw(st.integers(0, size - 1))
    proof = inclusion_proof(index, leaves)
    root = root_from_leaf_hashes(leaves)  # both accept the honest proof
    verify_inclusion(leaves[index], index, size, proof, root)
    verify.verify_inclusion(leaves[index], index, size, proof, root)
    change = data.draw(st.sampled_from(["index", "size", "drop", "extra", "flip"]))
    bad_index, bad_size, bad_proof = index, size, list(proof)
    if change == "index":
        bad_index = data.draw(st.integers(0, size))
    elif change == "size":
        bad_size = data.draw(st.integers(0, size + 3))
    elif change == "drop" and proof:
        bad_proof.pop(data.draw(st.integers(0, len(proof) - 1)))
    elif change == "extra":
        bad_proof.append(leaves[0])
    elif proof:
        bad_proof[0] = bytes([bad_proof[0][0] ^ 1]) + bad_proof[0][1:]
    args = (leaves[index], bad_index, bad_size, bad_proof, root)
    try:
        verify_inclusion(*args)
        domain_ok = True
    except ProofError:
        domain_ok = False
    try:
        verify.verify_inclusion(*args)
        verifier_ok = True
    except verify.VerificationError:
        verifier_ok = False
    assert domain_ok == verifier_ok


entries = st.builds(
    Entry, log=st.sampled_from(["parent", "side"]), seq=st.integers(0, 2**53 - 1),
    action=st.sampled_from(["paid", "upload", "retrieve"]), user_id=st.text(min_size=1), order_id=st.text(),
    recorded_at=st.sampled_from(["2025-03-01T10:00:00Z", "2024-02-29T23:59:59.999Z", "1999-12-31T00:00:00.000Z"]),
    sealed=st.dictionaries(st.text(min_size=1), st.binary(max_size=40).map(lambda b: base64.b64encode(b).decode()), max_size=3),
    digests=st.dictionaries(st.text(min_size=1), st.binary().map(lambda b: hashlib.sha256(b).hexdigest()), max_size=3))


@given(entries)
def test_a_valid_entry_has_the_same_bytes_and_leaf_hash(entry: Entry) -> None:
    checked = verify.check_entry(entry_to_dict(entry))
    assert checked.encoded == entry_bytes(entry)
    assert (checked.log, checked.index, checked.action, dict(checked.digests)) == (entry.log, entry.seq, entry.action,
                                                                                   dict(entry.digests))


ODD_VALUES: st.SearchStrategy[Any] = st.sampled_from([None, True, False, 0, 1, -1, 2**53, "", "x", "parent", "paid", "AAAA", "AAA", "ab" * 32,
                              "AB" * 32, "2025-02-29T10:00:00Z", "2025-03-01T10:00:00Z", "2025-03-01T10:00:00.5Z",
                              "2025-03-01T24:00:00Z", "\ud800", [], {}, {"a": "AAAA"}, {"": "AAAA"}, {"a": "ab" * 32},
                              {"a": 1}, "carparker.entry/v1", "carparker.block/v1", "0" * 64])


def _verdicts(data: Any, domain: Any, verifier: Any) -> tuple[bool, bool]:
    try:
        domain(data)
        domain_ok = True
    except (LedgerFormatError, CanonicalJSONError):
        domain_ok = False
    try:
        verifier(data)
        verifier_ok = True
    except verify.VerificationError:
        verifier_ok = False
    return domain_ok, verifier_ok


def _domain_entry(data: Any) -> bytes:
    return entry_bytes(entry_from_dict(data))


@settings(max_examples=400)
@given(entries, st.data())
def test_an_edited_entry_gets_the_same_verdict(entry: Entry, data: st.DataObject) -> None:
    edited: dict[str, Any] = entry_to_dict(entry)
    member = data.draw(st.sampled_from([*sorted(edited), "extra"]))
    if data.draw(st.booleans()) and member in edited:
        del edited[member]
    else:
        edited[member] = data.draw(ODD_VALUES)
    domain_ok, verifier_ok = _verdicts(edited, _domain_entry, verify.check_entry)
    assert domain_ok == verifier_ok, edited


HEADERS: list[BlockHeader] = [h for blocks in make_ledger().blocks.values() for h in blocks]


def test_every_header_has_the_same_bytes_hash_and_payload() -> None:
    for header in HEADERS:
        checked = verify.check_block(header_to_dict(header))
        assert checked.encoded == header_bytes(header) and checked.hash == header_hash(header)
        assert checked.signing_payload == signing_payload(header)


@settings(max_examples=400)
@given(st.sampled_from(HEADERS), st.data())
def test_an_edited_header_gets_the_same_verdict(header: BlockHeader, data: st.DataObject) -> None:
    edited: dict[str, Any] = header_to_dict(header)
    member = data.draw(st.sampled_from([*sorted(edited), "extra"]))
    if data.draw(st.booleans()) and member in edited:
        del edited[member]
    else:
        edited[member] = data.draw(ODD_VALUES | st.integers(0, 20))
    domain_ok, verifier_ok = _verdicts(edited, lambda d: header_bytes(header_from_dict(d)), verify.check_block)
    assert domain_ok == verifier_ok, edited


def test_the_validators_hash_is_the_same() -> None:
    assert verify.parse_validator_set(validator_set()).hash == validator_set_hash(VALIDATOR_SET)
