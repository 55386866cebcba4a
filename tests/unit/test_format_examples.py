"""The worked example of docs/ledger-format.md section 11, as known-answer tests."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ec

from chalicelib.domain.canonical import canonical_bytes
from chalicelib.domain.ledger import (
    Entry,
    build_block,
    entry_bytes,
    entry_leaf_hash,
    header_bytes,
    header_hash,
    signing_payload,
)
from chalicelib.domain.merkle import inclusion_proof
from chalicelib.domain.quorum import (
    Validator,
    ValidatorSet,
    public_key_der,
    validator_set_hash,
    validator_set_to_dict,
)

DOC = (Path(__file__).resolve().parents[2] / "docs" / "ledger-format.md").read_text()
VALIDATORS_HASH = "c140ccb8ffed82273e66a9774e73918bd799489d12a05921758b6e1c7299a0e6"
LEAF_0 = "dca6beb7263e9c6f701cb541f336d5324496a09349fe3de5267d191ab5df336f"
LEAF_1 = "bf7bf5023998db17a06c1ae6a7fd0a0e761b6453f3da23f489ce60aab8bb4fff"
ROOT = "479e210e9baedca003515ca619c15e8df6adb230ee64b2fcb8a09524094f655d"
HEADER_HASH = "a58b03ff2d0432ab334e683e16b33e4a67b99f0bc6e3dbf6f3e084c53eeed793"


def example_set() -> ValidatorSet:
    keys = [ec.derive_private_key(scalar, ec.SECP256R1()) for scalar in (1, 2, 3, 4)]
    return ValidatorSet(tuple(Validator(f"validator-{i}", public_key_der(k.public_key()))
                              for i, k in enumerate(keys)), f=1)


def example_entries() -> list[Entry]:
    return [
        Entry(log="parent", seq=0, action="paid", user_id="user-42", order_id="order-7",
              recorded_at="2025-03-01T09:30:00.125Z",
              sealed={"fee": base64.b64encode(b"ciphertext").decode()}),
        Entry(log="parent", seq=1, action="paid", user_id="user-43", order_id="order-8",
              recorded_at="2025-03-01T09:31:00Z",
              digests={"receipt.pdf": hashlib.sha256(b"receipt").hexdigest()}),
    ]


def test_validator_set_example() -> None:
    encoded = canonical_bytes(validator_set_to_dict(example_set())).decode()
    assert validator_set_hash(example_set()) == VALIDATORS_HASH
    assert encoded in DOC and VALIDATORS_HASH in DOC


def test_entry_examples() -> None:
    for entry, leaf in zip(example_entries(), (LEAF_0, LEAF_1), strict=True):
        assert entry_leaf_hash(entry).hex() == leaf
        assert f"{entry_bytes(entry).decode()}\n{leaf}\n" in DOC


def test_block_example() -> None:
    entries = example_entries()
    header = build_block("carparker-local", "parent", 0, None, [], entries,
                         "2025-03-01T09:35:00Z", validators_hash=VALIDATORS_HASH)
    assert header.root == ROOT and header_hash(header) == HEADER_HASH
    assert header_bytes(header).decode() in DOC and HEADER_HASH in DOC
    assert inclusion_proof(1, [entry_leaf_hash(e) for e in entries]) == [bytes.fromhex(LEAF_0)]
    assert signing_payload(header)[:26] == b"carparker-ledger-block-v1\n"
