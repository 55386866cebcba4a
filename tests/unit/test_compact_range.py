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
