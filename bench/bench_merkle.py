"""Benchmark root_from_leaf_hashes against the bare cost of SHA-256 in this interpreter.

Run from the repository root:  python bench/bench_merkle.py

Prints one JSON object. ``merkle_root_vs_hash_floor`` is the agreed figure:
time(root_from_leaf_hashes over 100,000 leaf hashes) / time(2n-1 bare hashlib.sha256
calls over 64-byte inputs), best of 5 runs each, both measured in the same run.
Because the function starts from leaf hashes it only computes the n-1 interior nodes,
so ``merkle_root_vs_node_hash_floor`` also compares it with n-1 bare calls over the
65-byte inputs (0x01||left||right) it actually hashes: that one is the overhead of the
loop itself.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from chalicelib.domain.merkle import leaf_hash, root_from_leaf_hashes  # noqa: E402

LEAVES = 100_000
RUNS = 5


def best_of(runs: int, fn: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def bare_hashes(inputs: list[bytes]) -> Callable[[], object]:
    sha256 = hashlib.sha256
    return lambda: [sha256(data).digest() for data in inputs]


def main() -> None:
    leaves = [leaf_hash(i.to_bytes(8, "big")) for i in range(LEAVES)]
    floor_inputs = [os.urandom(64) for _ in range(2 * LEAVES - 1)]
    node_inputs = [os.urandom(65) for _ in range(LEAVES - 1)]
    merkle = best_of(RUNS, lambda: root_from_leaf_hashes(leaves))
    floor = best_of(RUNS, bare_hashes(floor_inputs))
    node_floor = best_of(RUNS, bare_hashes(node_inputs))
    print(json.dumps({
        "merkle_root_vs_hash_floor": round(merkle / floor, 3),
        "merkle_root_vs_node_hash_floor": round(merkle / node_floor, 3),
        "leaves": LEAVES,
        "merkle_root_seconds": round(merkle, 4),
        "hash_floor_seconds": round(floor, 4),
        "node_hash_floor_seconds": round(node_floor, 4),
    }))


if __name__ == "__main__":
    main()
