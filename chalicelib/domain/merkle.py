"""RFC 9162 (RFC 6962) Merkle tree hashing, proof generation and proof verification.

Pure functions of bytes, stdlib only. The verification side is a port of
transparency-dev/merkle ``proof/verify.go`` (leaf/node hashing of ``rfc6962/rfc6962.go``),
with one deliberate tightening: every hash handed to a verifier (leaf, roots, proof
elements) must be exactly 32 bytes, so malformed input is rejected before it is hashed.

Verification never returns False: it returns None or raises a ``ProofError``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from chalicelib.domain.errors import RuleViolationError

HASH_SIZE = 32
_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"

# MTH({}) = SHA-256 of the empty string (RFC 9162 section 2.1.1).
EMPTY_ROOT = hashlib.sha256(b"").digest()


class ProofError(RuleViolationError):
    """A proof or one of its inputs is invalid.

    ``expected`` and ``computed`` carry the values that disagreed, where there are two
    (a size, a count or a hash); both are None for errors that are about a single value.
    """

    code = "invalid_proof"

    def __init__(self, message: str, *, expected: bytes | int | None = None,
                 computed: bytes | int | None = None) -> None:
        super().__init__(message)
        self.expected = expected
        self.computed = computed


class HashSizeError(ProofError):
    """A hash is not 32 bytes long."""


class TreeSizeError(ProofError):
    """An index or tree size is impossible (index >= size, size2 < size1, size1 == 0...)."""


class ProofLengthError(ProofError):
    """The proof has the wrong number of hashes for the given index and sizes."""


class RootMismatchError(ProofError):
    """The proof is well formed but hashes to a different root."""


def leaf_hash(data: bytes) -> bytes:
    """Return SHA-256(0x00 || data), the RFC 9162 leaf hash."""
    return hashlib.sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return SHA-256(0x01 || left || right), the RFC 9162 interior node hash."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def root_from_leaf_hashes(hashes: Sequence[bytes]) -> bytes:
    """Return the RFC 9162 root (MTH) of a tree whose leaves have the given hashes.

    Built bottom-up, one level at a time: adjacent pairs are hashed and an odd last
    node is promoted unchanged. Because RFC 9162 splits at the largest power of two,
    every left subtree is complete, so this yields exactly the recursive MTH while
    running as a tight comprehension (the hot path of block building).
    """
    if len(hashes) == 0:
        return EMPTY_ROOT
    _require_all_hash_size(hashes)
    sha256 = hashlib.sha256
    level = hashes
    while len(level) > 1:
        pairs = iter(level)
        # zip over one iterator pairs neighbours; strict=False leaves an odd last node over.
        parents = [sha256(b"\x01" + left + right).digest()
                   for left, right in zip(pairs, pairs, strict=False)]
        if len(level) & 1:
            parents.append(level[-1])
        level = parents
    return level[0]


def inclusion_proof(index: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """Return the RFC 9162 section 2.1.3.1 audit path PATH(index, D[n]), leaf level first."""
    return [root_from_leaf_hashes(leaf_hashes[lo:hi]) for lo, hi in inclusion_ranges(index, len(leaf_hashes))]


def consistency_proof(size1: int, leaf_hashes_of_size2: Sequence[bytes]) -> list[bytes]:
    """Return the RFC 9162 section 2.1.4.1 proof PROOF(size1, D[size2]).

    Requires 0 < size1 <= size2: a proof from the empty tree is meaningless and the
    verifier rejects it, so it is not produced either.
    """
    ranges = consistency_ranges(size1, len(leaf_hashes_of_size2))
    return [root_from_leaf_hashes(leaf_hashes_of_size2[lo:hi]) for lo, hi in ranges]


def consistency_ranges(size1: int, size2: int) -> list[tuple[int, int]]:
    """The leaf ranges [lo, hi) whose roots MTH(D[lo:hi]) are PROOF(size1, D[size2]), in proof order.

    A proof server that stores subtree roots answers from them (perfect_cover) instead of every leaf."""
    if not 0 < size1 <= size2:
        raise ValueError(f"need 0 < size1 <= size2, got size1={size1} size2={size2}")
    ranges: list[tuple[int, int]] = []
    lo, hi, m = 0, size2, size1
    whole_old_tree = True  # the RFC's flag b: the old root is known to the verifier
    while m != hi - lo:
        k = _split_point(hi - lo)
        if m <= k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo, m = lo + k, m - k
            whole_old_tree = False
    if not whole_old_tree:
        ranges.append((lo, hi))
    ranges.reverse()
    return ranges


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The leaf ranges [lo, hi) whose roots are PATH(index, D[size]) (RFC 9162 section 2.1.3.1), leaf end first.

    A proof server that stores subtree roots answers from them (perfect_cover) instead of every leaf."""
    if not 0 <= index < size:
        raise ValueError(f"index {index} is outside a tree of size {size}")
    ranges: list[tuple[int, int]] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = _split_point(hi - lo)
        if index < lo + k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo += k
    ranges.reverse()
    return ranges


def perfect_cover(lo: int, hi: int) -> list[tuple[int, int]]:
    """The perfect subtrees (start, size), largest first, whose right fold (root_of_cover) is MTH(D[lo:hi]).

    Each starts at a multiple of its size, so it is one node of the tree for good. Holds for every range RFC 9162
    takes a root of (lo = 0, or lo a multiple of a power of two >= hi - lo); others raise ValueError."""
    cover: list[tuple[int, int]] = []
    start = lo
    while start < hi:
        size = 1 << ((hi - start).bit_length() - 1)  # the largest power of two that fits
        if start % size:
            raise ValueError(f"[{lo}, {hi}) is not a range whose root RFC 9162 takes")
        cover.append((start, size))
        start += size
    return cover


def root_of_cover(subtree_roots: Sequence[bytes]) -> bytes:
    """MTH of a range from the roots of its perfect_cover: RFC 9162 splits at the largest power of two, so the
    range's root is the right fold of its perfect subtrees."""
    if not subtree_roots:
        return EMPTY_ROOT
    root = subtree_roots[-1]
    for left in reversed(subtree_roots[:-1]):
        root = node_hash(left, root)
    return root


def verify_inclusion(leaf_hash: bytes, index: int, tree_size: int,
                     proof: Sequence[bytes], root: bytes) -> None:
    """Check that ``leaf_hash`` is leaf ``index`` of the tree of ``tree_size`` with ``root``."""
    _require_hash_size("root", root)
    computed = root_from_inclusion_proof(leaf_hash, index, tree_size, proof)
    _require_match("inclusion proof root", expected=root, computed=computed)


def root_from_inclusion_proof(leaf_hash: bytes, index: int, tree_size: int,
                              proof: Sequence[bytes]) -> bytes:
    """Return the root that ``proof`` implies for ``leaf_hash`` at ``index`` of ``tree_size``."""
    if not 0 <= index < tree_size:
        raise TreeSizeError(f"index {index} is beyond tree size {tree_size}",
                            expected=tree_size, computed=index)
    _require_hash_size("leaf hash", leaf_hash)
    _require_proof_hash_sizes(proof)
    inner, border = _decompose_inclusion_proof(index, tree_size)
    _require_proof_length(proof, inner + border)
    seed = _chain_inner(leaf_hash, proof[:inner], index)
    return _chain_border_right(seed, proof[inner:])


def verify_consistency(size1: int, size2: int, proof: Sequence[bytes],
                       root1: bytes, root2: bytes) -> None:
    """Check that the tree of ``size2`` with ``root2`` extends the tree of ``size1`` with ``root1``.

    Edge rules follow transparency-dev/merkle: size2 < size1 and size1 == 0 are errors
    (a proof from the empty tree proves nothing); equal sizes need an empty proof and
    identical roots.
    """
    _require_hash_size("root1", root1)
    _require_hash_size("root2", root2)
    _require_proof_hash_sizes(proof)
    if size1 < 0 or size2 < size1:
        raise TreeSizeError(f"need 0 <= size1 <= size2, got size1={size1} size2={size2}",
                            expected=size2, computed=size1)
    if size1 == 0:
        raise TreeSizeError("consistency proof from the empty tree is meaningless")
    if size1 == size2:
        _require_proof_length(proof, 0)
        _require_match("root2 of an equal-size tree", expected=root2, computed=root1)
        return
    _verify_nontrivial_consistency(size1, size2, proof, root1, root2)


def _verify_nontrivial_consistency(size1: int, size2: int, proof: Sequence[bytes],
                                   root1: bytes, root2: bytes) -> None:
    # Port of rootFromSubtreeConsistencyProof with start=0, for 0 < size1 < size2.
    if len(proof) == 0:
        raise ProofLengthError("empty consistency proof for different sizes")
    inner, border = _decompose_inclusion_proof(size1 - 1, size2)
    shift = _trailing_zeros(size1)
    inner -= shift  # shift < inner whenever size1 < size2
    # The proof starts with the root of the 2^shift subtree, unless that is root1 itself.
    if size1 == 1 << shift:
        seed, start = root1, 0
    else:
        seed, start = proof[0], 1
    _require_proof_length(proof, start + inner + border)
    rest = proof[start:]
    mask = (size1 - 1) >> shift
    hash1 = _chain_border_right(_chain_inner_right(seed, rest[:inner], mask), rest[inner:])
    _require_match("root1 recomputed from the proof", expected=root1, computed=hash1)
    hash2 = _chain_border_right(_chain_inner(seed, rest[:inner], mask), rest[inner:])
    _require_match("root2 recomputed from the proof", expected=root2, computed=hash2)


def _split_point(n: int) -> int:
    """Largest power of two strictly below n (n >= 2): RFC 9162's k."""
    return 1 << ((n - 1).bit_length() - 1)


def _trailing_zeros(n: int) -> int:
    return (n & -n).bit_length() - 1


def _decompose_inclusion_proof(index: int, size: int) -> tuple[int, int]:
    """Split the proof length into the part below and above where the paths to
    ``index`` and ``size - 1`` diverge (decompInclProof in verify.go)."""
    inner = (index ^ (size - 1)).bit_length()
    border = (index >> inner).bit_count()
    return inner, border


def _chain_inner(seed: bytes, proof: Sequence[bytes], index: int) -> bytes:
    for i, sibling in enumerate(proof):
        if (index >> i) & 1 == 0:
            seed = node_hash(seed, sibling)
        else:
            seed = node_hash(sibling, seed)
    return seed


def _chain_inner_right(seed: bytes, proof: Sequence[bytes], index: int) -> bytes:
    # Only left siblings count: this rebuilds the older version of the subtree.
    for i, sibling in enumerate(proof):
        if (index >> i) & 1 == 1:
            seed = node_hash(sibling, seed)
    return seed


def _chain_border_right(seed: bytes, proof: Sequence[bytes]) -> bytes:
    for sibling in proof:
        seed = node_hash(sibling, seed)
    return seed


def _require_hash_size(what: str, value: bytes) -> None:
    if len(value) != HASH_SIZE:
        raise HashSizeError(f"{what} is {len(value)} bytes, want {HASH_SIZE}",
                            expected=HASH_SIZE, computed=len(value))


def _require_proof_hash_sizes(proof: Sequence[bytes]) -> None:
    for i, element in enumerate(proof):
        _require_hash_size(f"proof[{i}]", element)


def _require_all_hash_size(hashes: Sequence[bytes]) -> None:
    # map(len) runs in C, so this check costs little next to the hashing.
    if set(map(len, hashes)) != {HASH_SIZE}:
        bad = next(i for i, h in enumerate(hashes) if len(h) != HASH_SIZE)
        _require_hash_size(f"leaf hash {bad}", hashes[bad])


def _require_proof_length(proof: Sequence[bytes], want: int) -> None:
    if len(proof) != want:
        raise ProofLengthError(f"proof has {len(proof)} hashes, want {want}",
                               expected=want, computed=len(proof))


def _require_match(what: str, *, expected: bytes, computed: bytes) -> None:
    if computed != expected:
        raise RootMismatchError(f"{what} mismatch: computed {computed.hex()}, "
                                f"expected {expected.hex()}",
                                expected=expected, computed=computed)
