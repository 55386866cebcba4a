"""The capacity and cost models: AWS limits and prices (docs/capacity.md gives the source and date of each), and the
arithmetic that turns what one order was measured to use (bench/bench_capacity.py) into ceilings and a cost.

Every figure here was taken from the AWS pages named in docs/capacity.md as the author knew them (AWS documentation
and price pages as of 2025; no network was available when this was written). They must be checked against those
pages before anyone relies on them; the model is arithmetic over this table, so a corrected figure is a one-line edit.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Limit:
    name: str
    per_second: float
    adjustable: bool  # an account quota AWS raises on request, or a hard limit of the service
    source: str


# Region: eu-west-1 (Ireland), the local stack's region; the quotas below are its defaults.
LIMITS = {
    "apigw_rps": Limit("API Gateway requests per second per account and region", 10_000, True,
                       "https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html"),
    "lambda_concurrency": Limit("Lambda concurrent executions per account and region", 1_000, True,
                                "https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html"),
    "kms_symmetric_rps": Limit("KMS cryptographic operations (symmetric) per second, shared", 50_000, True,
                               "https://docs.aws.amazon.com/kms/latest/developerguide/requests-per-second.html"),
    "kms_ecc_rps": Limit("KMS cryptographic operations (ECC: Sign, Verify) per second, shared", 300, True,
                         "https://docs.aws.amazon.com/kms/latest/developerguide/requests-per-second.html"),
    "kms_other_rps": Limit("KMS GetPublicKey/DescribeKey and other API requests per second (each)", 2_000, True,
                           "https://docs.aws.amazon.com/kms/latest/developerguide/requests-per-second.html"),
    "cognito_auth_rps": Limit("Cognito UserAuthentication (InitiateAuth, RespondToAuthChallenge) per second", 120, True,
                              "https://docs.aws.amazon.com/cognito/latest/developerguide/limits.html"),
    "cognito_create_rps": Limit("Cognito UserCreation (SignUp, AdminCreateUser) per second", 50, True,
                                "https://docs.aws.amazon.com/cognito/latest/developerguide/limits.html"),
    "cognito_read_rps": Limit("Cognito UserRead (GetUser, AdminGetUser) per second", 120, True,
                              "https://docs.aws.amazon.com/cognito/latest/developerguide/limits.html"),
    "ddb_table_wru": Limit("DynamoDB on-demand write request units per second per table", 40_000, True,
                           "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html"),
    "ddb_table_rru": Limit("DynamoDB on-demand read request units per second per table", 40_000, True,
                           "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html"),
    "ddb_partition_wcu": Limit("DynamoDB write units per second per partition (one partition key value)", 1_000, False,
                               "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html"),
    "ddb_partition_rcu": Limit("DynamoDB read units per second per partition (one partition key value)", 3_000, False,
                               "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html"),
}
HARD_SIZES = {  # not rates, but they bound the design: a block's sequencing and an entry's size live inside them
    "ddb_item_bytes": (400 * 1024, "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html"),
    "ddb_transaction_items": (100, "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html"),
    "ddb_transaction_bytes": (4 * 1024 * 1024, "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html"),
    "apigw_payload_bytes": (10 * 1024 * 1024, "https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html"),
}

# Prices in USD, us-east-1 list prices (eu-west-1 is within about 10 % of them), first pricing tier.
PRICES = {
    "apigw_rest_per_request": 3.50 / 1e6,          # https://aws.amazon.com/api-gateway/pricing/ (REST, first 333 M)
    "lambda_per_request": 0.20 / 1e6,              # https://aws.amazon.com/lambda/pricing/
    "lambda_per_gb_s": 0.0000166667,               # https://aws.amazon.com/lambda/pricing/ (x86)
    "ddb_per_wru": 0.625 / 1e6,                    # https://aws.amazon.com/dynamodb/pricing/on-demand/ (since 2024-11)
    "ddb_per_rru": 0.125 / 1e6,                    # https://aws.amazon.com/dynamodb/pricing/on-demand/ (since 2024-11)
    "kms_symmetric_per_request": 0.03 / 1e4,       # https://aws.amazon.com/kms/pricing/
    "kms_ecc_sign_per_request": 0.15 / 1e4,        # https://aws.amazon.com/kms/pricing/ (asymmetric requests)
    "s3_put_per_request": 0.005 / 1e3,             # https://aws.amazon.com/s3/pricing/ (Standard PUT, COPY, POST, LIST)
    "s3_get_per_request": 0.0004 / 1e3,            # https://aws.amazon.com/s3/pricing/ (Standard GET)
    "s3_per_gb_month": 0.023,                      # https://aws.amazon.com/s3/pricing/ (Standard, first 50 TB)
    "logs_per_gb_ingested": 0.50,                  # https://aws.amazon.com/cloudwatch/pricing/ (standard logs)
    "logs_per_gb_month": 0.03,                     # https://aws.amazon.com/cloudwatch/pricing/
    "cognito_per_mau": 0.015,                      # https://aws.amazon.com/cognito/pricing/ (Essentials, beyond free tier)
}

# Assumptions the run cannot measure (docs/capacity.md, "Assumptions"): typical same-region latencies of one call,
# a phone photo's size, how long photos and logs are kept, Lambda's per-invocation log lines.
LATENCY_S = {"dynamodb": 0.006, "dynamodb:TransactWriteItems": 0.015, "dynamodb:TransactGetItems": 0.010,
             "dynamodb:Query": 0.008, "kms": 0.008, "kms:Sign": 0.015, "s3": 0.020, "cognito-idp": 0.050,
             "lambda:Invoke": 0.015}
PHOTO_BYTES = 3 * 1024 * 1024
PHOTO_MONTHS = 12
LOG_MONTHS = 1
LAMBDA_PLATFORM_LOG_BYTES = 350  # START, END and REPORT lines of each invocation
LAMBDA_FULL_VCPU_MB = 1769       # Lambda gives one vCPU at 1,769 MB, proportionally less below
SYMMETRIC_KMS = ("Encrypt", "Decrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "ReEncrypt", "GenerateRandom",
                 "via-encryption-sdk", "GenerateMac", "VerifyMac")
ECC_KMS = ("Sign", "Verify")
COGNITO = {"cognito_auth_rps": ("InitiateAuth", "RespondToAuthChallenge", "AdminInitiateAuth", "AdminRespondToAuthChallenge"),
           "cognito_create_rps": ("SignUp", "AdminCreateUser", "ConfirmSignUp", "AdminConfirmSignUp"),
           "cognito_read_rps": ("GetUser", "AdminGetUser")}


def latency(name: str) -> float:
    """Modelled seconds one AWS call takes (``name`` is service:operation)."""
    return LATENCY_S.get(name, LATENCY_S.get(name.split(":")[0], 0.010))


@dataclass
class Demand:
    """What one order asks of each limit (per order; ``per_second`` of a limit divided by it is a ceiling)."""

    units: dict[str, float] = field(default_factory=dict)
    hot: dict[str, float] = field(default_factory=dict)   # "table[/index] key (w|r)" -> units per order
    design: dict[str, float] = field(default_factory=dict)  # our own ceilings in orders per second, by name

    def add(self, limit: str, amount: float) -> None:
        if amount:
            self.units[limit] = self.units.get(limit, 0.0) + amount


@dataclass(frozen=True)
class Ceiling:
    orders_per_s: float
    binding: str
    adjustable: bool


def ceilings(demand: Demand, *, raised: bool) -> list[Ceiling]:
    """Orders per second each limit allows, lowest first; with ``raised``, adjustable quotas do not bind."""
    out = [Ceiling(LIMITS[name].per_second / amount, name, LIMITS[name].adjustable)
           for name, amount in demand.units.items() if amount > 0 and not (raised and LIMITS[name].adjustable)]
    for key, amount in demand.hot.items():
        limit = LIMITS["ddb_partition_wcu" if key.endswith("(w)") else "ddb_partition_rcu"]
        out.append(Ceiling(limit.per_second / amount, f"hot partition key {key}", False))
    out += [Ceiling(value, name, False) for name, value in demand.design.items()]
    return sorted(out, key=lambda c: c.orders_per_s) or [Ceiling(math.inf, "none", False)]


@dataclass
class Cost:
    lines: dict[str, float] = field(default_factory=dict)  # USD per order, by item

    def add(self, item: str, usd: float) -> None:
        self.lines[item] = self.lines.get(item, 0.0) + usd

    @property
    def per_million(self) -> float:
        return 1e6 * sum(self.lines.values())


def lambda_seconds(own_s: float, call_names: Iterable[str], memory_mb: int) -> float:
    """Modelled billed duration of an invocation: its own CPU time on this machine, stretched by the share of a vCPU
    its memory buys (one core of this machine taken as one Lambda vCPU), plus the modelled latency of its AWS calls."""
    return own_s * max(1.0, LAMBDA_FULL_VCPU_MB / memory_mb) + sum(latency(n) for n in call_names)
