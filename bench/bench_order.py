"""AWS calls for one complete order, from reservation to payout, on the embedded moto stack.

    .venv/bin/python bench/bench_order.py            # prints one JSON object

Counted with a botocore `before-parameter-build` event hook (one per API call, before retries), registered on boto3's default session (KMS,
Cognito, S3 clients) and on the botocore client of every pynamodb connection (tables and
transactions). Setup (accounts, car park, device, space) is not counted; the order is: reserve →
gate entry → gate exit (bill, release, charge) → the provider settles → its webhook (paid, payout,
notifications, the paid entry sealed and recorded on the real ledger, completed). Block certification
(validators signing) is shared by the block's k entries (amortised) over the block's k entries and reported apart, as
`ledger_block_aws_calls`. Figures are call counts, not timings (moto's speed says nothing about
DynamoDB's).
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("CP_STAGE", "local")
os.environ.setdefault("CP_PAYMENT_WEBHOOK_SECRET", "local-only-payment-webhook-secret")

WRITES = {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}


class CallCounter:
    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.write_items = 0
        self.provider_calls = 0
        self.on = False

    def __call__(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        if not self.on:
            return
        name = f"{model.service_model.service_name}:{model.name}"
        self.calls[name] += 1
        tables = [params.get("TableName", "")] + [next(iter(i.values())).get("TableName", "") for i in params.get("TransactItems", [])]
        if any(str(t).endswith("-payments") for t in tables):
            self.provider_calls += 1
        if model.name in WRITES:
            self.write_items += len(params.get("TransactItems", [])) or 1

    def register(self, emitter: Any) -> None:
        emitter.register("before-parameter-build.*.*", self)  # sees the API parameters (TableName, TransactItems)


def hook_everything(counter: CallCounter) -> None:
    import boto3
    from pynamodb.models import Model

    from chalicelib.adapters.enclave_tables import enclave_models
    from chalicelib.adapters.evidence_store import evidence_models
    from chalicelib.adapters.ledger_tables import ledger_models
    from chalicelib.adapters.tables import models, operations_models

    boto3.setup_default_session()
    counter.register(boto3.DEFAULT_SESSION.events)  # clients created from now on inherit it
    m, om = models(), operations_models()
    conns = {id(m.connection): m.connection}
    groups = (m, om, ledger_models(), enclave_models(), evidence_models())
    for model in [value for group in groups for value in vars(group).values()]:
        if isinstance(model, type) and issubclass(model, Model):
            conn = model._get_connection().connection
            conns[id(conn)] = conn
    for conn in conns.values():
        counter.register(conn.client.meta.events)


def run() -> dict[str, Any]:
    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    from chalice.test import Client

    from infra import localstack

    stack = localstack.start(prefix="carparker-bench")
    try:
        counter = CallCounter()
        hook_everything(counter)
        import app as app_module
        from chalicelib import bootstrap
        from chalicelib.adapters.enclave import KmsEnclave
        from tests.helpers import ApiClient, at
        from tests.order_helpers import make_world

        with Client(app_module.app, stage_name="local") as client:
            world = make_world(ApiClient(client), real_ledger=True)
            counter.register(world.deps.carparks.secrets.client.meta.events)  # type: ignore[attr-defined]
            for service in ("idp", "blobs"):
                counter.register(getattr(bootstrap.deps(), service).client.meta.events)
            api = world.api
            sharer, parker = api.sign_up(), api.sign_up(roles=("parker",))
            cp = world.carpark(sharer)
            gate = world.gate(sharer, cp["carpark_id"])
            space = api.approved_space(sharer, world.admin, carpark_id=cp["carpark_id"], lot="A1")
            api.call("PUT", "/me/payment-method", parker, {"token": "tok_visa"})
            world.send(gate, gate.event("entry", "WARMUP1"))  # the device secret is opened (and cached) once per container

            enclave = bootstrap.deps().enclave
            assert isinstance(enclave, KmsEnclave)
            enclave_before = enclave.stats.calls  # the Encryption SDK's KMS client has its own botocore session
            counter.on = True
            r = api.post("/reservations", parker, {"space_id": space["space_id"], "plate": "BEN-01-CH", "start": at(1), "end": at(3)})
            rid = r.body["reservation_id"]
            world.clock.set(world.at(1) + timedelta(minutes=3))
            assert world.send(gate, gate.event("entry", "BEN01CH")).body["decision"] == "open"
            world.clock.set(world.at(3) + timedelta(minutes=20))
            assert world.send(gate, gate.event("exit", "BEN01CH")).body["decision"] == "open"
            world.clock.advance(seconds=5)
            replies = [x for x in world.settle_payments() if x.body.get("reservation_id") == rid]
            counter.on = False
            if enclave.stats.calls > enclave_before:
                counter.calls["kms:via-encryption-sdk"] += enclave.stats.calls - enclave_before
            order_calls, order_write_items = dict(counter.calls), counter.write_items
            counter.calls.clear()
            counter.on = True  # certifying the block that holds the paid entry (shared by up to k entries)
            block = bootstrap.deps().ledger.cut("parent", force=True)
            counter.on = False
            assert block is not None
            block_calls = sum(counter.calls.values())
            counter.calls, counter.write_items = Counter(order_calls), order_write_items
            assert replies and replies[-1].body["state"] == "completed", [x.body for x in replies]
    finally:
        stack.stop()
    ddb = {k: v for k, v in counter.calls.items() if k.startswith("dynamodb:")}
    print(json.dumps({"order_calls_by_operation": dict(sorted(counter.calls.items()))}), file=sys.stderr)
    return {
        "order_aws_calls": sum(counter.calls.values()),
        "order_aws_calls_platform": sum(counter.calls.values()) - counter.provider_calls,
        "order_dynamodb_writes": sum(v for k, v in ddb.items() if k.split(":")[1] in WRITES),
        "order_dynamodb_write_items": counter.write_items,
        "ledger_block_aws_calls": block_calls,
        "order_enclave_kms_calls": counter.calls.get("kms:via-encryption-sdk", 0),
    }


if __name__ == "__main__":
    # One line of numeric figures on stdout (bench/run.py merges the last line); details on stderr.
    print(json.dumps(run(), sort_keys=True))
