"""Capacity and cost of an order, from what the code was measured to do in this run (docs/capacity.md).

    .venv/bin/python bench/bench_capacity.py        # prints one JSON object; the model's tables on stderr

On the embedded moto stack, M orders run through the API one after the other, each with its own parker, sharer, car
park, gate and space, and each operation metered apart: sign-in, reserve, gate entry, arrival photos, departure
photos, gate exit, payment (the provider settles, its webhook completes the order and records the paid entry). Then
one block of K queued entries is cut and certified by the four validators. Metered per operation (bench/meter.py):
the API requests (one API Gateway request and one Lambda invocation each), every AWS call with the time spent in it,
DynamoDB request units by item size and the partition key each lands on, log bytes, photo bytes sent to S3.

bench/capacity_model.py turns that into what one order asks of each AWS limit, the ceilings (orders per second)
under default quotas and with adjustable quotas raised, and a cost per million orders. Nothing in the model is a
constant of the code: change the append path or the number of calls and the figures follow.
"""

from __future__ import annotations

import collections
import functools
import json
import logging
import os
import re
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("CP_STAGE", "local")
os.environ.setdefault("CP_PAYMENT_WEBHOOK_SECRET", "local-only-payment-webhook-secret")
os.environ["CP_LEDGER_BLOCK_SIZE"] = "1000"  # no block is cut inside an order; the block is measured on its own
os.environ["CP_VALIDATOR_DEADLINE_MS"] = "120000"  # the meter reads every written item back: slower than 5 s on moto

from bench import capacity_model as cm  # noqa: E402
from bench.meter import AwsMeter, CallRecord, Touch  # noqa: E402

ORDERS = int(os.environ.get("BENCH_ORDERS", "8"))
K = 100  # entries per block: CP_LEDGER_BLOCK_SIZE's default (chalicelib/config.py)
PHOTO_OPS = ("photos_arrival", "photos_departure")
PROVIDER_TABLE = "-payments"
QUIET_LOGGERS = ("botocore", "boto3", "urllib3", "werkzeug", "moto", "pynamodb", "s3transfer", "aws_encryption_sdk")


@dataclass
class Op:
    """One operation of one order, as metered."""

    name: str
    api_requests: int = 0
    wall_s: float = 0.0
    records: list[CallRecord] = field(default_factory=list)
    log_bytes: int = 0
    sdk_kms: int = 0
    client_s3_puts: int = 0
    client_s3_bytes: int = 0
    overhead_s: float = 0.0
    provider_calls: int = 0  # the payment provider's own calls (its table): a real provider runs them, not AWS for us

    def call_names(self) -> list[str]:
        return [r.name for r in self.records] + ["kms:via-encryption-sdk"] * self.sdk_kms

    @property
    def own_s(self) -> float:
        """Time in our code: wall time less the time inside AWS calls and the meter's own work."""
        return max(0.0, self.wall_s - sum(r.seconds for r in self.records) - self.overhead_s)


def _provider(record: CallRecord) -> bool:
    """A call of the local payment provider on its own table (adapters/payments.py): in production the provider is
    another company's service, so its calls are neither our AWS limits nor our AWS bill (bench_order counts them apart
    the same way)."""
    return bool(record.touches) and all(t.table.endswith(PROVIDER_TABLE) for t in record.touches)


class CountingHttp:
    """The chalice test client's http, counting requests (each is one API Gateway request, one Lambda invocation)."""

    def __init__(self, http: Any) -> None:
        self.http = http
        self.requests = 0

    def __getattr__(self, method: str) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            self.requests += 1
            return getattr(self.http, method)(*args, **kwargs)
        return call


class CountingClient:
    def __init__(self, client: Any) -> None:
        self.http = CountingHttp(client.http)


class LogBytes(logging.Handler):
    """Bytes our code logs at INFO and above, each record as one JSON line of about 120 bytes beside its message."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.bytes = 0

    def emit(self, record: logging.LogRecord) -> None:
        if not record.name.startswith(QUIET_LOGGERS):
            self.bytes += len(record.getMessage().encode("utf-8")) + 120


class CountingTransport:
    """The ledger's validator transport, counting the requests (on AWS: one Lambda invocation each)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.requests = 0

    def request(self, validator: str, request: dict[str, Any]) -> dict[str, Any]:
        self.requests += 1
        return dict(self.inner.request(validator, request))


class Bench:
    def __init__(self, meter: AwsMeter, http: CountingHttp, logs: LogBytes, enclave: Any) -> None:
        self.meter, self.http, self.logs, self.enclave = meter, http, logs, enclave

    def measure(self, name: str, action: Callable[[], Any]) -> tuple[Op, Any]:
        op = Op(name)
        requests, logged, sdk = self.http.requests, self.logs.bytes, self.enclave.stats.calls
        self.meter.overhead_s.clear()
        self.meter.on = True
        start = time.perf_counter()
        try:
            result = action()
        finally:
            op.wall_s = time.perf_counter() - start
            self.meter.on = False
        records = self.meter.take()
        op.records = [r for r in records if not _provider(r)]
        op.provider_calls = len(records) - len(op.records)
        op.overhead_s = sum(self.meter.overhead_s.values()) + sum(r.seconds for r in records if _provider(r))
        op.api_requests, op.log_bytes = self.http.requests - requests, self.logs.bytes - logged
        op.sdk_kms = self.enclave.stats.calls - sdk
        return op, result


# ---------------------------------------------------------------------------------------------- the run


def _photos(world: Any) -> dict[str, bytes]:
    from tests.photos import jpeg

    return {v: jpeg(world.clock.now(), colour=(30 * i, 80, 120)) for i, v in enumerate(("front", "rear", "left", "right"))}


def _photo_set(world: Any, parker: Any, order: str, phase: str, photos: dict[str, bytes], client_s: list[float]) -> Any:
    """The app's photo set: tickets from the API, the PUTs straight to S3 (timed apart: the phone's time, not ours)."""
    import hashlib

    import requests

    declared = [{"view": v, "sha256": hashlib.sha256(d).hexdigest(), "size": len(d)} for v, d in photos.items()]
    tickets = world.api.post(f"/orders/{order}/photos/{phase}", parker, {"photos": declared})
    assert tickets.status == 201, tickets.body
    start = time.perf_counter()
    for upload in tickets.body["uploads"]:
        put = requests.put(upload["url"], data=photos[upload["view"]], headers=upload["headers"], timeout=10)
        assert put.status_code == 200, put.text
    client_s.append(time.perf_counter() - start)
    done = world.api.post(f"/orders/{order}/photos/{phase}/complete", parker)
    assert done.status == 200, done.body
    return done


def one_order(bench: Bench, world: Any, i: int) -> tuple[list[Op], str]:
    """Setup (not metered), then the order's operations, each metered."""
    from tests.helpers import PASSWORD, at

    api = world.api
    sharer, parker = api.sign_up(), api.sign_up(roles=("parker",))
    cp = world.carpark(sharer)
    gate = world.gate(sharer, cp["carpark_id"])
    space = api.approved_space(sharer, world.admin, carpark_id=cp["carpark_id"], lot="A1", lat=51.0 + 0.1 * i, lng=4.0 + 0.1 * i)
    api.call("PUT", "/me/payment-method", parker, {"token": "tok_visa"})
    world.send(gate, gate.event("entry", "WARMUP1"))  # the device secret is opened (and cached) once per container
    plate, hours = f"BEN-{i:02d}-CH", 6 * i
    ops: list[Op] = []

    def step(name: str, action: Callable[[], Any]) -> Any:
        op, result = bench.measure(name, action)
        ops.append(op)
        return result

    signed = step("sign_in", lambda: api.post("/auth/signin", body={"email": parker.email, "password": PASSWORD}))
    assert signed.status == 200, signed.body
    r = step("reserve", lambda: api.post("/reservations", parker, {"space_id": space["space_id"], "plate": plate,
                                                                    "start": at(hours + 1), "end": at(hours + 3)}))
    assert r.status == 201, r.body
    rid = r.body["reservation_id"]
    world.clock.set(world.at(hours + 1) + timedelta(minutes=3))
    assert step("gate_entry", lambda: world.send(gate, gate.event("entry", plate.replace("-", "")))).body["decision"] == "open"
    for phase, minutes in (("arrival", 2), ("departure", 110)):
        world.clock.advance(minutes=minutes)
        photos, client_s = _photos(world), list[float]()
        step(f"photos_{phase}", functools.partial(_photo_set, world, parker, rid, phase, photos, client_s))
        ops[-1].client_s3_puts, ops[-1].client_s3_bytes = len(photos), sum(map(len, photos.values()))
        ops[-1].overhead_s += sum(client_s)
    world.clock.set(world.at(hours + 3) + timedelta(minutes=20))
    assert step("gate_exit", lambda: world.send(gate, gate.event("exit", plate.replace("-", "")))).body["decision"] == "open"
    world.clock.advance(seconds=5)
    replies = step("payment", world.settle_payments)
    mine = [x for x in replies if x.body.get("reservation_id") == rid]
    assert mine and mine[-1].body["state"] == "completed", [x.body for x in replies]
    return ops, rid


def entries_of(world: Any, order_ids: list[str]) -> collections.Counter[str]:  # by log
    """Ledger entries the orders recorded, by log (read through the API as an admin, not metered)."""
    logs: collections.Counter[str] = collections.Counter()
    for rid in order_ids:
        r = world.api.get(f"/ledger/orders/{rid}/history", world.admin)
        assert r.status == 200, r.body
        for item in r.body["entries"]:
            logs[item["entry"]["log"]] += 1
    return logs


def _fill(ledger: Any, count: int) -> Iterator[Any]:
    for i in range(count):
        yield ledger.record(log="parent", action="paid", user_id=f"bench-user-{i % 20}", order_id=f"bench-block-{i}",
                            sealed={"Fees": f"{450 + i} EUR", "VehiclePlateNum": f"AB-{i:03d}-CD"})


def one_block(bench: Bench, ledger: Any) -> tuple[Op, int]:
    """A block of K queued entries cut and certified, metered; the queue is emptied first (not metered)."""
    ledger.cut_due(force=True)
    list(_fill(ledger, K))
    transport = CountingTransport(ledger.transport)
    ledger.transport = transport
    try:
        op, block = bench.measure("block", lambda: ledger.cut("parent", force=True))
    finally:
        ledger.transport = transport.inner
    assert block is not None and block.header.entry_count == K, block
    return op, transport.requests


def run() -> tuple[list[list[Op]], Op, int, collections.Counter[str]]:
    import botocore.session
    from chalice.test import Client

    from bench.bench_order import hook_everything
    from infra import localstack

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    stack = localstack.start()  # the local stage's prefix: chalice.test.Client applies its environment
    try:
        meter = AwsMeter(botocore.session.Session().create_client("dynamodb", region_name=localstack.REGION))
        hook_everything(meter)  # type: ignore[arg-type]  # registers like bench_order's counter
        import app as app_module
        from chalicelib import bootstrap
        from tests.helpers import ApiClient
        from tests.order_helpers import make_world

        logs = LogBytes()
        logging.getLogger().addHandler(logs)
        errors = logging.StreamHandler(sys.stderr)
        errors.setLevel(logging.ERROR)
        logging.getLogger().addHandler(errors)
        logging.getLogger().setLevel(logging.INFO)
        with Client(app_module.app, stage_name="local") as client:
            counting = CountingClient(client)
            world = make_world(ApiClient(counting), real_ledger=True)
            meter.register(world.deps.carparks.secrets.client.meta.events)  # type: ignore[attr-defined]
            for service in ("idp", "blobs"):
                meter.register(getattr(bootstrap.deps(), service).client.meta.events)
            bench = Bench(meter, counting.http, logs, bootstrap.deps().enclave)
            orders = [one_order(bench, world, i) for i in range(ORDERS)]
            entries = entries_of(world, [rid for _, rid in orders])
            block, invocations = one_block(bench, bootstrap.deps().ledger)
    finally:
        stack.stop()
    return [ops for ops, _ in orders], block, invocations, entries


# ---------------------------------------------------------------------------------------------- the model


def memory_mb(function: str) -> int:
    """The prod stage's memory for a function (.chalice/config.json), Chalice's default 128 MB if unset."""
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    prod = config.get("stages", {}).get("prod", {})
    scoped = prod.get("lambda_functions", {}).get(function, {})
    return int(scoped.get("lambda_memory_size") or prod.get("lambda_memory_size") or config.get("lambda_memory_size") or 128)


def _shape(key: str) -> str:
    return re.sub(r"[0-9a-f]{8,}|\d+", "#", key)


def hot_keys(orders: list[list[Op]], names: set[str]) -> dict[str, float]:
    """Request units per order on partition keys that more than one order touched. A key shared by every order takes
    each order's units; keys of one shape in one table that orders spread over (shards) share them evenly between the
    distinct keys seen (fewer than really exist, in a short run: the estimate errs high)."""
    per_key: dict[tuple[str, str, bool], collections.Counter[int]] = collections.defaultdict(collections.Counter)
    units: dict[tuple[str, str, bool], float] = collections.defaultdict(float)
    for i, ops in enumerate(orders):
        for t in _touches(ops, names):
            k = (f"{t.table}{'/' + t.index if t.index else ''}", t.key, t.write)
            per_key[k][i] += 1
            units[k] += t.units
    shared = [k for k, seen in per_key.items() if len(seen) > 1]
    groups = collections.Counter((t, _shape(key), w) for t, key, w in per_key)
    hot: dict[str, float] = {}
    for table, key, write in shared:
        spread = groups[(table, _shape(key), write)]
        label = f"{table} {key[:40]} ({'w' if write else 'r'})"
        hot[label] = sum(units[g] for g in per_key if (g[0], _shape(g[1]), g[2]) == (table, _shape(key), write)) / len(orders) / spread
    return hot


def _touches(ops: list[Op], names: set[str]) -> Iterator[Touch]:
    return (t for op in ops if op.name in names for r in op.records for t in r.touches)


@dataclass
class Order:
    """The mean order over the run, for the operations in ``names``."""

    ops: list[list[Op]]
    names: set[str]

    def mean(self, value: Callable[[Op], float]) -> float:
        return sum(value(op) for ops in self.ops for op in ops if op.name in self.names) / len(self.ops)

    def calls(self) -> dict[str, float]:
        out: collections.Counter[str] = collections.Counter()
        for ops in self.ops:
            out.update(n for op in ops if op.name in self.names for n in op.call_names())
        return {k: v / len(self.ops) for k, v in out.items()}


def block_seconds(block: Op, invocations: int) -> tuple[float, float, float]:
    """Modelled seconds of one cut on AWS (the cutter's calls one after the other, then the validators in parallel,
    each an invocation plus its own calls), the cutter's and one validator's billed duration."""
    cutter = [r.name for r in block.records if not r.thread.startswith("validator")]
    validators = [r.name for r in block.records if r.thread.startswith("validator")]
    per_validator = len(validators) / max(1, invocations)
    validator_s = cm.lambda_seconds(0.0, [], memory_mb("validator_0")) + sum(cm.latency(n) for n in validators) / max(1, invocations)
    own = block.own_s
    cutter_s = cm.lambda_seconds(own, cutter, memory_mb("ledger_cutter"))
    print(f"block of {K}: cutter {len(cutter)} calls, {per_validator:.1f} calls per validator, own time {own * 1e3:.0f} ms "
          f"on this machine", file=sys.stderr)
    return cutter_s + cm.latency("lambda:Invoke") + validator_s, cutter_s, validator_s


def demand_and_cost(order: Order, block: Op, invocations: int, entries: dict[str, float],
                    orders: list[list[Op]]) -> tuple[cm.Demand, cm.Cost]:
    d, cost = cm.Demand(), cm.Cost()
    api = order.mean(lambda op: op.api_requests)
    api_memory = memory_mb("api_handler")
    api_s = order.mean(lambda op: cm.lambda_seconds(op.own_s / max(1, op.api_requests), [], api_memory) * op.api_requests
                       + sum(cm.latency(n) for n in op.call_names()))
    cut_s, cutter_s, validator_s = block_seconds(block, invocations)
    blocks = sum(entries.values()) / K
    d.add("apigw_rps", api)
    d.add("lambda_concurrency", api_s + blocks * (cutter_s + invocations * validator_s))
    calls = order.calls()
    every = dict(calls)
    for n, c in collections.Counter(block.call_names()).items():
        every[n] = every.get(n, 0.0) + c * blocks
    _kms_and_cognito(d, every)
    _dynamodb(d, cost, order, block, blocks)
    d.hot = hot_keys(orders, order.names)
    for t in block.records:
        for touch in t.touches:
            label = f"{touch.table}{'/' + touch.index if touch.index else ''} {touch.key[:40]} ({'w' if touch.write else 'r'})"
            d.hot[label] = d.hot.get(label, 0.0) + touch.units * blocks
    for log, count in entries.items():
        d.design[f"ledger {log} log: one cut at a time, {K} entries per {cut_s * 1e3:.0f} ms"] = K / cut_s / count
    cost.add("API Gateway (REST)", api * cm.PRICES["apigw_rest_per_request"])
    invocations_per_order = api + blocks * (1 + invocations)
    gb_s = (api_s * api_memory + blocks * (cutter_s * memory_mb("ledger_cutter") + invocations * validator_s * memory_mb("validator_0"))) / 1024
    cost.add("Lambda requests", invocations_per_order * cm.PRICES["lambda_per_request"])
    cost.add("Lambda GB-s", gb_s * cm.PRICES["lambda_per_gb_s"])
    _kms_s3_logs_cost(cost, order, every, invocations_per_order, block, blocks)
    return d, cost


def _kms_and_cognito(d: cm.Demand, calls: dict[str, float]) -> None:
    for name, count in calls.items():
        service, op = name.split(":", 1)
        if service == "kms":
            d.add("kms_ecc_rps" if op in cm.ECC_KMS else "kms_symmetric_rps" if op in cm.SYMMETRIC_KMS else "kms_other_rps", count)
        elif service == "cognito-idp":
            d.add(next((limit for limit, ops in cm.COGNITO.items() if op in ops), "cognito_read_rps"), count)


def _dynamodb(d: cm.Demand, cost: cm.Cost, order: Order, block: Op, blocks: float) -> None:
    tables: dict[tuple[str, bool], float] = collections.defaultdict(float)
    for ops in order.ops:
        for t in _touches(ops, order.names):
            tables[(t.table, t.write)] += t.units / len(order.ops)
    for r in block.records:
        for t in r.touches:
            tables[(t.table, t.write)] += t.units * blocks
    for (_table, write), units in tables.items():
        d.units[f"ddb_table_{'wru' if write else 'rru'}"] = max(d.units.get(f"ddb_table_{'wru' if write else 'rru'}", 0.0), units)
    wru = sum(u for (_, w), u in tables.items() if w)
    rru = sum(u for (_, w), u in tables.items() if not w)
    cost.add("DynamoDB writes", wru * cm.PRICES["ddb_per_wru"])
    cost.add("DynamoDB reads", rru * cm.PRICES["ddb_per_rru"])


def _kms_s3_logs_cost(cost: cm.Cost, order: Order, calls: dict[str, float], invocations: float, block: Op,
                      blocks: float) -> None:
    kms_sym = sum(c for n, c in calls.items() if n.startswith("kms:") and n.split(":")[1] not in cm.ECC_KMS)
    cost.add("KMS symmetric", kms_sym * cm.PRICES["kms_symmetric_per_request"])
    cost.add("KMS ECC Sign", sum(c for n, c in calls.items() if n in ("kms:Sign", "kms:Verify")) * cm.PRICES["kms_ecc_sign_per_request"])
    puts = order.mean(lambda op: op.client_s3_puts) + sum(c for n, c in calls.items() if n in ("s3:PutObject", "s3:CopyObject",
                                                                                                  "s3:ListObjectsV2", "s3:CreateMultipartUpload"))
    gets = sum(c for n, c in calls.items() if n.startswith("s3:") and n.split(":")[1] in ("GetObject", "HeadObject"))
    cost.add("S3 requests", puts * cm.PRICES["s3_put_per_request"] + gets * cm.PRICES["s3_get_per_request"])
    photos = order.mean(lambda op: op.client_s3_puts)
    cost.add("S3 storage (photos)", photos * cm.PHOTO_BYTES / 1e9 * cm.PHOTO_MONTHS * cm.PRICES["s3_per_gb_month"])
    logged = order.mean(lambda op: op.log_bytes) + blocks * block.log_bytes + invocations * cm.LAMBDA_PLATFORM_LOG_BYTES
    cost.add("CloudWatch Logs", logged / 1e9 * (cm.PRICES["logs_per_gb_ingested"] + cm.LOG_MONTHS * cm.PRICES["logs_per_gb_month"]))


def figures(orders: list[list[Op]], block: Op, invocations: int, entries: collections.Counter[str]) -> dict[str, Any]:
    every = {op.name for op in orders[0]}
    out: dict[str, Any] = {}
    for suffix, names in (("", every - set(PHOTO_OPS)), ("_with_photos", every)):
        logs = {log: n / len(orders) for log, n in entries.items() if suffix or log == "parent"}
        order = Order(orders, names)
        demand, cost = demand_and_cost(order, block, invocations, logs, orders)
        report(suffix or "_without_photos", order, demand, cost, logs)
        default, raised = cm.ceilings(demand, raised=False), cm.ceilings(demand, raised=True)
        out[f"orders_per_s_ceiling_default{suffix}"] = round(default[0].orders_per_s)
        out[f"orders_per_s_ceiling_default{suffix}_limit"] = default[0].binding
        out[f"orders_per_s_ceiling_default{suffix}_limit_adjustable"] = default[0].adjustable
        out[f"orders_per_s_ceiling_raised{suffix}"] = round(raised[0].orders_per_s)
        out[f"orders_per_s_ceiling_raised{suffix}_limit"] = raised[0].binding
        out[f"order_cost_usd_per_1m{suffix}"] = round(cost.per_million, 2)
        out[f"order_api_requests{suffix}"] = round(order.mean(lambda op: op.api_requests), 2)
        out[f"order_dynamodb_wru{suffix}"] = round(sum(t.units for ops in orders for t in _touches(ops, names) if t.write)
                                                   / len(orders), 1)
    out["ledger_block_validator_invocations"] = invocations
    return out


def report(label: str, order: Order, demand: cm.Demand, cost: cm.Cost, entries: dict[str, float]) -> None:
    err = sys.stderr
    print(f"\n== order{label}: {dict(sorted(order.calls().items()))}", file=err)
    print(f"   ledger entries per order {entries}, API requests {order.mean(lambda op: op.api_requests):.1f}", file=err)
    print("   demand per order: " + ", ".join(f"{k} {v:.3f}" for k, v in sorted(demand.units.items())), file=err)
    for c in cm.ceilings(demand, raised=False)[:6]:
        print(f"   default: {c.orders_per_s:>12,.0f} orders/s  {c.binding}{' (adjustable)' if c.adjustable else ''}", file=err)
    for c in cm.ceilings(demand, raised=True)[:4]:
        print(f"   raised:  {c.orders_per_s:>12,.0f} orders/s  {c.binding}", file=err)
    units: dict[str, float] = collections.defaultdict(float)
    for ops in order.ops:
        for op in ops:
            for t in (t for r in op.records for t in r.touches) if op.name in order.names else ():
                units[f"{op.name} {t.table.split('-', 2)[-1]}{'/' + t.index if t.index else ''} {'WRU' if t.write else 'RRU'}"] += t.units
    print("   request units per order: " + ", ".join(f"{k} {v / len(order.ops):g}" for k, v in sorted(units.items(), key=lambda x: -x[1])[:14]), file=err)
    for item, usd in sorted(cost.lines.items(), key=lambda x: -x[1]):
        print(f"   cost {item:<22} {usd * 1e6:>10.2f} USD per 1M orders", file=err)


if __name__ == "__main__":
    measured = run()
    print(json.dumps(figures(*measured), sort_keys=True))
