"""KMS calls and time per sealed value through the enclave adapter, on the embedded moto stack.

Prints one line of figures: the ledger's target is <= 0.05 KMS calls per entry. Not a test: run it with
`.venv/bin/python bench/bench_enclave.py [users] [entries_per_user] [fields_per_entry]`.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("CP_STAGE", "local")


def main(users: int, entries: int, fields: int) -> None:
    from chalicelib import bootstrap
    from infra import localstack

    stack = localstack.start(prefix="bench-enclave")
    try:
        writer = bootstrap.build_enclave(bootstrap.SystemClock())
        started = time.perf_counter()
        sealed = [(f"user-{u}", f"entry-{e}/f{f}", writer.seal(f"user-{u}", "ledger-field", f"entry-{e}/f{f}", b"AB123C"))
                  for u in range(users) for e in range(entries) for f in range(fields)]
        seal_s = time.perf_counter() - started
        reader = bootstrap.build_enclave(bootstrap.SystemClock())  # a cold container
        started = time.perf_counter()
        for user, obj, blob in sealed:
            reader.unseal(user, "ledger-field", obj, blob)
        unseal_s = time.perf_counter() - started
        n_entries = users * entries
        print(f"users={users} entries={n_entries} values={len(sealed)}", file=sys.stderr)
        # bench/run.py merges the last stdout line of every bench: one JSON object of figures.
        print(json.dumps({"enclave_kms_calls_per_entry_seal": round(writer.stats.calls / n_entries, 4),
                          "enclave_kms_calls_per_entry_unseal": round(reader.stats.calls / n_entries, 4),
                          "enclave_seal_ms_per_value": round(1000 * seal_s / len(sealed), 3),
                          "enclave_unseal_ms_per_value": round(1000 * unseal_s / len(sealed), 3)}))
    finally:
        stack.stop()


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:4]] + [10, 40, 6][len(sys.argv[1:4]):]
    main(*args)
