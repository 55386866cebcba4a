"""Property tests: our proofs verify for random trees, and any single bit flip fails."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.merkle import (
    EMPTY_ROOT,
    HashSizeError,
    ProofError,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_from_leaf_hashes,
    verify_consistency,
    verify_inclusion,
)


def reference_root(leaves: Sequence[bytes]) -> bytes:
    """MTH exactly as RFC 9162 section 2.1.1 writes it (recursive, slow, obviously right)."""
    n = len(leaves)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaves[0]
    k = 1 << ((n - 1).bit_length() - 1)
    return node_hash(reference_root(leaves[:k]), reference_root(leaves[k:]))


def reference_path(m: int, leaves: Sequence[bytes]) -> list[bytes]:
    """PATH(m, D[n]) from RFC 9162 section 2.1.3.1, recursively."""
    n = len(leaves)
    if n <= 1:
        return []
    k = 1 << ((n - 1).bit_length() - 1)
    if m < k:
        return reference_path(m, leaves[:k]) + [reference_root(leaves[k:])]
    return reference_path(m - k, leaves[k:]) + [reference_root(leaves[:k])]


def flip(value: bytes, bit: int) -> bytes:
    data = bytearray(value)
    data[bit // 8] ^= 1 << (bit % 8)
    return bytes(data)


leaf_lists = st.lists(st.binary(max_size=6), min_size=1, max_size=70).map(
    lambda items: [leaf_hash(i.to_bytes(2, "big") + data) for i, data in enumerate(items)])
bits = st.integers(min_value=0, max_value=255)


@given(st.lists(st.binary(max_size=6), max_size=70))
def test_iterative_root_equals_recursive_definition(items: list[bytes]) -> None:
    leaves = [leaf_hash(data) for data in items]
    assert root_from_leaf_hashes(leaves) == reference_root(leaves)


@given(leaf_lists, st.data())
def test_inclusion_proof_matches_rfc_path_and_verifies(leaves: list[bytes],
                                                       data: st.DataObject) -> None:
    index = data.draw(st.integers(min_value=0, max_value=len(leaves) - 1))
    proof = inclusion_proof(index, leaves)
    assert proof == reference_path(index, leaves)
    verify_inclusion(leaves[index], index, len(leaves), proof, root_from_leaf_hashes(leaves))


@given(leaf_lists, st.data())
def test_consistency_proof_verifies(leaves: list[bytes], data: st.DataObject) -> None:
    size1 = data.draw(st.integers(min_value=1, max_value=len(leaves)))
    proof = consistency_proof(size1, leaves)
    verify_consistency(size1, len(leaves), proof, root_from_leaf_hashes(leaves[:size1]),
                       root_from_leaf_hashes(leaves))


@given(leaf_lists, st.data(), bits)
def test_bit_flip_in_inclusion_proof_or_root_fails(leaves: list[bytes], data: st.DataObject,
                                                   bit: int) -> None:
    index = data.draw(st.integers(min_value=0, max_value=len(leaves) - 1))
    proof = inclusion_proof(index, leaves)
    root = root_from_leaf_hashes(leaves)
    target = data.draw(st.integers(min_value=-2, max_value=len(proof) - 1))
    leaf = leaves[index]
    if target == -2:
        root = flip(root, bit)
    elif target == -1:
        leaf = flip(leaf, bit)
    else:
        proof[target] = flip(proof[target], bit)
    with pytest.raises(ProofError):
        verify_inclusion(leaf, index, len(leaves), proof, root)


@given(leaf_lists, st.data(), bits)
def test_bit_flip_in_consistency_proof_or_roots_fails(leaves: list[bytes], data: st.DataObject,
                                                      bit: int) -> None:
    size1 = data.draw(st.integers(min_value=1, max_value=len(leaves)))
    proof = consistency_proof(size1, leaves)
    roots = [root_from_leaf_hashes(leaves[:size1]), root_from_leaf_hashes(leaves)]
    target = data.draw(st.integers(min_value=-2, max_value=len(proof) - 1))
    if target < 0:
        roots[target + 2] = flip(roots[target + 2], bit)
    else:
        proof[target] = flip(proof[target], bit)
    with pytest.raises(ProofError):
        verify_consistency(size1, len(leaves), proof, roots[0], roots[1])


def test_verifiers_reject_hashes_that_are_not_32_bytes() -> None:
    leaves = [leaf_hash(bytes([i])) for i in range(3)]
    root = root_from_leaf_hashes(leaves)
    proof = inclusion_proof(1, leaves)
    with pytest.raises(HashSizeError) as err:
        verify_inclusion(leaves[1], 1, 3, [*proof[:-1], proof[-1] + b"\x00"], root)
    assert (err.value.expected, err.value.computed) == (32, 33)
    with pytest.raises(HashSizeError):
        root_from_leaf_hashes([*leaves, b"short"])


def test_root_mismatch_carries_expected_and_computed_roots() -> None:
    leaves = [leaf_hash(bytes([i])) for i in range(5)]
    root = root_from_leaf_hashes(leaves)
    wrong_root = root_from_leaf_hashes(leaves[:4])
    with pytest.raises(ProofError) as err:
        verify_inclusion(leaves[2], 2, 5, inclusion_proof(2, leaves), wrong_root)
    assert err.value.expected == wrong_root
    assert err.value.computed == root


def test_proof_generation_rejects_impossible_sizes() -> None:
    leaves = [leaf_hash(b"x")]
    with pytest.raises(ValueError):
        inclusion_proof(1, leaves)
    with pytest.raises(ValueError):
        consistency_proof(0, leaves)
    with pytest.raises(ValueError):
        consistency_proof(2, leaves)
