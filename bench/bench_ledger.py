"""Ledger figures: verification speed on an in-memory backend and KMS calls per entry on moto, one run.

Run from the repository root:  python bench/bench_ledger.py

Definitions (docs/ledger.md, "Figures"):
- ledger_verify_entries_per_s: entries per second that `verify-ledger`'s audit (chalicelib/audit.py) gets
  through on a ledger of blocks of k = 100 paid entries, reading the stored text from memory. Everything the
  audit checks is timed: JSON and every rule of each entry, leaf hash of the stored bytes against the
  stored leaf, index attributes, entry rules, compact range and root, each header parsed and canonical, the
  chain link and time, and the quorum certificate (3 ECDSA P-256 verifications per block, amortised over its k
  entries). The entries are real paid-order entries: the eight fields of `orders.ledger_fields` sealed as
  LedgerService seals them (their canonical JSON in one AWS Encryption SDK message, with the enclave's suite,
  commitment policy, raw AES-GCM user key and encryption context), about 1.1 KB per entry. stderr also shows the
  audit of entries sealed one message per field, as they were recorded before (about 4.5 KB).
- ledger_verify_vs_sha256: (time per audited entry) / (time per hashlib.sha256 call over 64 bytes), both
  measured in this run, each the best of several repetitions. ledger_hashchain_vs_sha256 is the same ratio for
  the cryptographic part alone (leaf hash of the stored bytes, compact range, root, header hash, quorum
  certificate), without parsing; ledger_hashchain_vs_hashing_entry_bytes divides that time by one sha256 over
  each entry's own bytes. ledger_entry_bytes is the mean size of an entry. ledger_verify_floor_vs_sha256 is the
  same ratio for the C calls no audit of these blocks can skip (crypto_floor), ledger_verify_vs_floor the audit
  divided by that floor.
- ledger_consistency_items_read_1k / _64k: stored items (leaf hashes and subtree roots) that one consistency
  proof reads, mean of 20 proofs from a random earlier size to the whole log of 1,000 / 64,000 entries in blocks
  of k = 100; ..._reads_ the store calls it makes (one batch get and up to three leaf queries); ..._ratio 64k / 1k.
  Reading every leaf hash, as consistency proofs did before, was n items.
- ledger_kms_calls_per_entry: KMS API calls (botocore after-call events, the enclave's and boto3's sessions)
  per recorded entry for k = 100 entries of 20 returning users on moto, one block cut and certified by the
  4 validators. ..._cold is the first block of a fresh container (public keys, the CA, new user keys).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import sys
import time
import types
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("CP_STAGE", "local")

from cryptography.hazmat.primitives.asymmetric.ec import ECDSA  # noqa: E402
from cryptography.hazmat.primitives.hashes import SHA256  # noqa: E402

from chalicelib.adapters.memory import LocalSigner, StaticKeys  # noqa: E402
from chalicelib.audit import Auditor  # noqa: E402
from chalicelib.domain.canonical import canonical_bytes  # noqa: E402
from chalicelib.domain.chain import extend, next_header, range_root  # noqa: E402
from chalicelib.domain.ledger import (  # noqa: E402
    SIGNING_CONTEXT,
    BlockHeader,
    Entry,
    entry_bytes,
    header_bytes,
    header_hash,
    signing_payload,
)
from chalicelib.domain.merkle import leaf_hash  # noqa: E402
from chalicelib.domain.quorum import Signature, validator_set_hash, validator_set_to_dict, verify_certificate  # noqa: E402
from chalicelib.services.ledger import SEALED_MEMBER, validator_set_of  # noqa: E402

K = 100
BLOCKS = 20
USERS = 20
LEDGER_ID = "carparker-bench"
FIELDS = ("OrderStartTime", "OrderCompleteTime", "CarEnterTime", "CarLeftTime", "VehiclePlateNum", "CarparkID",
          "ParkingLotNum", "Fees")


class _Sealer:
    """Seals as chalicelib.adapters.enclave.KmsEnclave.seal does, with the user keys already unwrapped (as its
    key cache holds them): an Encryption SDK message bound to user, purpose and entry member."""

    def __init__(self) -> None:
        import aws_encryption_sdk

        from chalicelib.adapters.enclave import COMMITMENT, SUITE, _user_context, _user_master_key

        self.sdk = aws_encryption_sdk.EncryptionSDKClient(commitment_policy=COMMITMENT, max_encrypted_data_keys=1)
        self.suite, self.context = SUITE, _user_context
        self.keys = {user: _user_master_key(user, os.urandom(8).hex(), os.urandom(32)) for user in _users()}

    def seal(self, user_id: str, seq: int, name: str, value: str) -> str:
        from chalicelib.services.ledger import SEAL_PURPOSE, object_id

        context = self.context(user_id, SEAL_PURPOSE, object_id("parent", seq, name))
        ciphertext, _ = self.sdk.encrypt(source=value.encode(), key_provider=self.keys[user_id], encryption_context=context,
                                         algorithm=self.suite)
        return base64.b64encode(ciphertext).decode("ascii")


def _users() -> list[str]:
    return [str(uuid.UUID(int=i + 1)) for i in range(USERS)]  # Cognito subs are UUIDs


def _fields(seq: int) -> dict[str, str]:
    """A paid order's sealed fields, as orders.ledger_fields writes them."""
    minute = seq % 60
    return {"OrderStartTime": f"2026-11-24T08:{minute:02d}:00Z", "OrderCompleteTime": f"2026-11-24T12:{minute:02d}:07.250Z",
            "CarEnterTime": f"2026-11-24T09:{minute:02d}:31Z", "CarLeftTime": f"2026-11-24T11:{minute:02d}:02Z",
            "VehiclePlateNum": f"AB-{seq % 1000:03d}-CD", "CarparkID": f"carpark-{seq % 50:04d}",
            "ParkingLotNum": f"B2-{seq % 300:03d}", "Fees": f"{450 + seq % 1000} EUR"}


def _entry(seq: int, sealer: _Sealer, per_field: bool) -> Entry:
    """A paid entry as LedgerService records it (the canonical JSON of its eight fields in one sealed message) or,
    with per_field, as it was recorded before (one sealed message per field)."""
    user = _users()[seq % USERS]
    if per_field:
        sealed = {name: sealer.seal(user, seq, name, value) for name, value in _fields(seq).items()}
    else:
        sealed = {SEALED_MEMBER: sealer.seal(user, seq, SEALED_MEMBER, canonical_bytes(_fields(seq)).decode())}
    return Entry(log="parent", seq=seq, action="paid", user_id=user, order_id=str(uuid.UUID(int=10**9 + seq)),
                 recorded_at=f"2026-11-24T12:{seq // 1000 % 60:02d}:{seq // 10 % 60:02d}.{seq % 1000:03d}Z", sealed=sealed)


def build_ledger(per_field: bool = False) -> tuple[Any, list[Any], list[Any]]:
    signers = [LocalSigner() for _ in range(4)]
    keys = StaticKeys([(f"validator-{i}", s.public_key_der()) for i, s in enumerate(signers)])
    vset = validator_set_of(keys)
    blocks: list[Any] = []
    items: list[Any] = []
    prev: BlockHeader | None = None
    frontier: list[bytes] = []
    sealer = _Sealer()
    for height in range(BLOCKS):
        entries = [_entry(height * K + i, sealer, per_field) for i in range(K)]
        prev, frontier = next_header(ledger_id=LEDGER_ID, log="parent", prev=prev, prev_frontier=frontier, entries=entries,
                                     cut_at="2026-11-24T12:00:01Z", validators_hash=validator_set_hash(vset))
        payload = signing_payload(prev)
        sigs = [{"validator_id": f"validator-{i}", "signature": base64.b64encode(signers[i].sign(payload)).decode()}
                for i in range(3)]
        blocks.append(types.SimpleNamespace(height=height, header=header_bytes(prev).decode(),
                                            certificate=canonical_bytes({"header_hash": header_hash(prev), "signatures": sigs}).decode(),
                                            validators=canonical_bytes(validator_set_to_dict(vset)).decode()))
        for e in entries:
            body = entry_bytes(e)
            items.append(types.SimpleNamespace(seq=e.seq, body=body.decode(), leaf=leaf_hash(body).hex(), user_id=e.user_id,
                                               order_id=e.order_id, recorded_at=e.recorded_at))
    assert prev is not None
    head = types.SimpleNamespace(height=prev.height, tree_size=prev.tree_size, header_hash=header_hash(prev))
    return (vset, head), blocks, items


def hash_chain_only(vset: Any, blocks: list[Any], items: list[Any]) -> None:
    """The cryptographic part of verification: stored bytes -> leaves -> compact range -> root, header, certificate."""
    frontier: list[bytes] = []
    size = 0
    for b in blocks:
        header = json.loads(b.header)
        leaves = (leaf_hash(i.body.encode()) for i in items[size:size + header["entry_count"]])
        frontier, size = extend(frontier, size, leaves)
        assert range_root(frontier, size).hex() == header["root"]
        cert = json.loads(b.certificate)
        assert hashlib.sha256(b.header.encode()).hexdigest() == cert["header_hash"]
        sigs = [Signature(s["validator_id"], s["signature"]) for s in cert["signatures"]]
        verify_certificate(vset, SIGNING_CONTEXT + b.header.encode(), sigs)


def crypto_floor(vset: Any, blocks: list[Any], items: list[Any]) -> Callable[[], object]:
    """The C calls no audit of these blocks can skip, with their inputs prepared beforehand: one SHA-256 over
    0x00 || each entry's bytes, one over 0x01 || 64 bytes for each of the n - 1 interior nodes, and the ECDSA
    P-256 verification of each certificate signature. No parsing, no checks, no Python beyond the loops."""
    sha256 = hashlib.sha256
    leaf_inputs = [b"\x00" + i.body.encode() for i in items]
    node_inputs = [b"\x01" + os.urandom(64) for _ in range(len(items) - 1)]
    checks = [(vset.public_key(s["validator_id"]), base64.b64decode(s["signature"]), SIGNING_CONTEXT + b.header.encode())
              for b in blocks for s in json.loads(b.certificate)["signatures"]]
    ecdsa = ECDSA(SHA256())

    def run() -> None:
        for x in leaf_inputs:
            sha256(x).digest()
        for x in node_inputs:
            sha256(x).digest()
        for key, signature, payload in checks:
            key.verify(signature, payload, ecdsa)
    return run


def best_of(runs: int, fn: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def _auditor(vset: Any, head: Any, blocks: list[Any], items: list[Any]) -> Auditor:
    empty = types.SimpleNamespace(height=-1, tree_size=0, header_hash="")
    return Auditor(vset, LEDGER_ID, blocks_of=lambda log: iter(blocks) if log == "parent" else iter(()),
                   entries_of=lambda log: iter(items) if log == "parent" else iter(()),
                   head_of=lambda log: head if log == "parent" else empty, progress=None)


def _sha256_64_s(calls: int) -> float:
    """Seconds for ``calls`` hashlib.sha256 calls over 64 bytes (best of 7, timed over ten times as many)."""
    inputs = [os.urandom(64) for _ in range(10 * calls)]
    sha = hashlib.sha256
    return best_of(7, lambda: [sha(x).digest() for x in inputs]) / 10


def verification_figures() -> dict[str, float]:
    (vset, head), blocks, items = build_ledger()
    n = len(items)
    audit_s = best_of(7, _auditor(vset, head, blocks, items).audit)
    chain_s = best_of(7, lambda: hash_chain_only(vset, blocks, items))
    floor_s = best_of(7, crypto_floor(vset, blocks, items))
    sha_s = _sha256_64_s(n)
    bodies = [b"\x00" + i.body.encode() for i in items]
    bytes_s = best_of(7, lambda: [hashlib.sha256(x).digest() for x in bodies])
    entry_bytes_mean = round(sum(map(len, bodies)) / n) - 1
    print(f"{n} entries of ~{entry_bytes_mean} bytes in blocks of {K}: audit {audit_s:.3f}s, hash chain {chain_s:.3f}s, "
          f"{n} sha256(64 B) {sha_s:.4f}s", file=sys.stderr)
    _per_field_comparison(sha_s / n)
    return {"ledger_verify_entries_per_s": round(n / audit_s), "ledger_verify_vs_sha256": round(audit_s / sha_s, 1),
            "ledger_hashchain_vs_sha256": round(chain_s / sha_s, 1),
            "ledger_verify_floor_vs_sha256": round(floor_s / sha_s, 1), "ledger_verify_vs_floor": round(audit_s / floor_s, 2),
            "ledger_hashchain_vs_hashing_entry_bytes": round(chain_s / bytes_s, 2), "ledger_entry_bytes": entry_bytes_mean}


def _per_field_comparison(sha_call_s: float) -> None:
    """Not a figure: the same audit on paid entries as they were recorded before (one sealed message per field)."""
    (vset, head), blocks, items = build_ledger(per_field=True)
    audit_s = best_of(7, _auditor(vset, head, blocks, items).audit)
    size = round(sum(len(i.body) for i in items) / len(items))
    print(f"entries sealed one message per field (before): ~{size} bytes, audit {audit_s / len(items) / sha_call_s:.1f}"
          " x sha256(64 B) per entry", file=sys.stderr)


def proof_figures() -> dict[str, float]:
    """Items a consistency proof reads (services.ledger_reads.range_roots), mean over 20 proofs from a random
    earlier size to the whole log, at two log sizes; reading every leaf hash, as before, was n items."""
    import random

    from chalicelib.domain.merkle import consistency_ranges
    from chalicelib.services.ledger_reads import range_roots
    from tests.ledger_helpers import CountingReads, as_store, store_of

    out: dict[str, float] = {}
    for label, n in (("1k", 1_000), ("64k", 64_000)):
        (store, _), rng = store_of(n, K), random.Random(n)
        counted = CountingReads(store)
        for _ in range(20):
            first = rng.randint(1, n)
            ranges = consistency_ranges(first, n)
            range_roots(as_store(counted), "parent", [(0, first), (0, n), *ranges])
        out[f"ledger_consistency_items_read_{label}"] = round(counted.items / 20, 1)
        out[f"ledger_consistency_reads_{label}"] = round(len(counted.calls) / 20, 1)
    out["ledger_consistency_items_read_ratio"] = round(out["ledger_consistency_items_read_64k"]
                                                       / out["ledger_consistency_items_read_1k"], 2)
    return out


def _kms_calls(counter: Any, enclave: Any) -> int:
    return int(counter.count("kms.")) + int(enclave.stats.calls)


def _record(ledger: Any, users: int, count: int, start: int) -> Iterator[Any]:
    for i in range(start, start + count):
        yield ledger.record(log="parent", action="paid", user_id=f"bench-user-{i % users}", order_id=f"bench-order-{i}",
                            sealed={name: f"value {i}" for name in FIELDS})


def kms_figures() -> dict[str, float]:
    from bench.awscount import AwsCallCounter
    from chalicelib import bootstrap
    from infra import localstack

    os.environ["CP_LEDGER_BLOCK_SIZE"] = str(K)
    stack = localstack.start(prefix="bench-ledger")
    try:
        counter = AwsCallCounter()
        counter.attach_default()
        deps = bootstrap.build()
        enclave = deps.enclave
        list(_record(deps.ledger, 20, K, 0))  # cold: keys, CA, certificates, 20 new user keys, first block
        cold = _kms_calls(counter, enclave)
        counter.reset()
        before = enclave.stats.calls  # type: ignore[attr-defined]
        list(_record(deps.ledger, 20, K, K))
        warm = int(counter.count("kms.")) + enclave.stats.calls - before  # type: ignore[attr-defined]
        blocks = deps.ledger.store.head("parent").height + 1
        print(f"moto: {blocks} blocks; KMS calls cold {cold} / {K} entries, warm {warm} / {K} entries "
              f"({dict(counter.calls)})", file=sys.stderr)
        return {"ledger_kms_calls_per_entry": round(warm / K, 4), "ledger_kms_calls_per_entry_cold": round(cold / K, 4)}
    finally:
        stack.stop()


def main() -> None:
    figures = verification_figures()
    figures.update(proof_figures())
    figures.update(kms_figures())
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
