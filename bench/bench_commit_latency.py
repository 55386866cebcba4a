"""Commit latency of a block with N = 4 validators against N = 1, through the real fan-out (docs/capacity.md).

    .venv/bin/python bench/bench_commit_latency.py     # prints one JSON object

LedgerService cuts, certifies and commits blocks of K entries on the in-memory store; its validators are real
ValidatorNodes (each recomputes the block, checks the chain, raises its watermark, signs with its own P-256 key)
behind the in-process transport, with a fixed latency injected into every validator call: LATENCY_MS ± JITTER_MS,
uniformly drawn from a seeded generator (what a Lambda invoke and a KMS Sign add on AWS). The proposer fans out to
all N in parallel and stops at 2f+1 valid signatures (3 of 4; 1 of 1).

ledger_commit_latency_ratio_n4_vs_n1 = median time to cut and certify a block with N = 4 / the same with N = 1,
both measured in this run, blocks of the two kinds interleaved so a noisy machine slows both alike.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("CP_STAGE", "local")

from chalicelib.adapters.memory import LocalSigner, MemoryLedgerStore, MemoryWatermarks, StaticKeys  # noqa: E402
from chalicelib.adapters.validators import InProcessValidators  # noqa: E402
from chalicelib.services.ledger import LedgerService, LedgerSettings, validator_set_of  # noqa: E402
from chalicelib.services.validator import ValidatorNode, validate_block  # noqa: E402
from tests.fakes import FakeEnclave, FixedClock  # noqa: E402

K = 100
BLOCKS = 15
LATENCY_MS, JITTER_MS = 20.0, 5.0
LEDGER_ID = "carparker-bench"


class LatentTransport:
    """The in-process transport with LATENCY_MS ± JITTER_MS before each validator's answer."""

    def __init__(self, inner: InProcessValidators, seed: int) -> None:
        self.inner = inner
        self.rng = random.Random(seed)
        self.lock = threading.Lock()

    def request(self, validator: str, request: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            delay = (LATENCY_MS + self.rng.uniform(-JITTER_MS, JITTER_MS)) / 1000
        time.sleep(delay)
        return self.inner.request(validator, request)


def ledger_of(n: int) -> LedgerService:
    store, marks = MemoryLedgerStore(), MemoryWatermarks()
    ids = [f"validator-{i}" for i in range(n)]
    signers = {vid: LocalSigner() for vid in ids}
    keys = StaticKeys([(vid, signers[vid].public_key_der()) for vid in ids])
    vset = validator_set_of(keys)
    handlers = {vid: (lambda node: (lambda req: validate_block(node, req)))(ValidatorNode(vid, LEDGER_ID, store, marks, signers[vid], vset))
                for vid in ids}
    transport = LatentTransport(InProcessValidators(handlers), seed=n)
    return LedgerService(store, FakeEnclave(), transport, keys, FixedClock(), LedgerSettings(LEDGER_ID, 10 * K, 60, deadline_s=60))


def certify_once(ledger: LedgerService, block: int) -> float:
    """Queue K entries (not timed), then time one cut: propose, fan out, certify, commit."""
    for i in range(K):
        ledger.record(log="parent", action="paid", user_id=f"user-{i % 20}", order_id=f"order-{block}-{i}",
                      sealed={"Fees": f"{450 + i} EUR"})
    start = time.perf_counter()
    cut = ledger.cut("parent", force=True)
    elapsed = time.perf_counter() - start
    assert cut is not None and cut.header.entry_count == K, cut
    return elapsed


def main() -> None:
    one, four = ledger_of(1), ledger_of(4)
    certify_once(one, -1), certify_once(four, -1)  # warm: first blocks, key caches
    times: dict[int, list[float]] = {1: [], 4: []}
    for block in range(BLOCKS):
        times[1].append(certify_once(one, block))
        times[4].append(certify_once(four, block))
    m1, m4 = statistics.median(times[1]), statistics.median(times[4])
    print(f"blocks of {K}, {LATENCY_MS:.0f} ± {JITTER_MS:.0f} ms per validator call: median N=1 {m1 * 1e3:.1f} ms, "
          f"N=4 {m4 * 1e3:.1f} ms", file=sys.stderr)
    print(json.dumps({"ledger_commit_latency_ratio_n4_vs_n1": round(m4 / m1, 3)}))


if __name__ == "__main__":
    main()
