"""The compact range gives the same RFC 9162 root as the full recomputation, however leaves are batched."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.chain import CompactRangeError, extend, range_root
from chalicelib.domain.merkle import root_from_leaf_hashes


def leaves(n: int) -> list[bytes]:
    return [hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(n)]


@given(st.lists(st.integers(1, 40), min_size=1, max_size=8))
def test_any_batching_gives_the_full_root(batches: list[int]) -> None:
    all_leaves = leaves(sum(batches))
    frontier: list[bytes] = []
    size = 0
    for count in batches:
        frontier, size = extend(frontier, size, all_leaves[size:size + count])
        assert range_root(frontier, size) == root_from_leaf_hashes(all_leaves[:size])
        assert len(frontier) == size.bit_count()


def test_a_range_of_the_wrong_shape_is_refused() -> None:
    frontier, size = extend([], 0, leaves(5))
    with pytest.raises(CompactRangeError):
        range_root(frontier[:-1], size)


@given(st.integers(0, 70), st.integers(1, 40), st.data())
def test_a_block_proof_from_the_previous_range_equals_the_full_proof(first_seq: int, k: int, data: st.DataObject) -> None:
    from chalicelib.domain.chain import block_inclusion_proof
    from chalicelib.domain.merkle import inclusion_proof

    all_leaves = leaves(first_seq + k)
    frontier, _ = extend([], 0, all_leaves[:first_seq])
    index = data.draw(st.integers(first_seq, first_seq + k - 1))
    assert block_inclusion_proof(frontier, first_seq, all_leaves[first_seq:], index) == inclusion_proof(index, all_leaves)
