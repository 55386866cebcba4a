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


def best_of(runs: int, *fns: Callable[[], object]) -> list[float]:
    """Best time of each function over ``runs`` rounds, the functions taking turns in each
    round so that a slow spell of the machine hits all of them alike."""
    best = [float("inf")] * len(fns)
    for _ in range(runs):
        for i, fn in enumerate(fns):
            start = time.perf_counter()
            fn()
            best[i] = min(best[i], time.perf_counter() - start)
    return best


def bare_hashes(inputs: list[bytes]) -> Callable[[], object]:
    sha256 = hashlib.sha256
    return lambda: [sha256(data).digest() for data in inputs]


def main() -> None:
    leaves = [leaf_hash(i.to_bytes(8, "big")) for i in range(LEAVES)]
    floor_inputs = [os.urandom(64) for _ in range(2 * LEAVES - 1)]
    node_inputs = [os.urandom(65) for _ in range(LEAVES - 1)]
    merkle, floor, node_floor = best_of(RUNS, lambda: root_from_leaf_hashes(leaves),
                                        bare_hashes(floor_inputs), bare_hashes(node_inputs))
    # bench/run.py merges the last stdout line of every bench into one results file,
    # so only the two ratios go there; the raw timings go to stderr for people.
    print(f"{LEAVES} leaves, best of {RUNS}: root {merkle:.4f}s, {2 * LEAVES - 1} bare hashes "
          f"{floor:.4f}s, {LEAVES - 1} bare node-sized hashes {node_floor:.4f}s", file=sys.stderr)
    print(json.dumps({
        "merkle_root_vs_hash_floor": round(merkle / floor, 3),
        "merkle_root_vs_node_hash_floor": round(merkle / node_floor, 3),
    }))


if __name__ == "__main__":
    main()
