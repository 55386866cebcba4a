"""Settings, read from the environment at call time. A missing setting is an error, never a default
that would quietly point somewhere insecure."""

from __future__ import annotations

import os


class ConfigError(RuntimeError):
    """A required setting is missing or malformed."""


def _required(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ConfigError(f"environment variable {name} is required")
    return value


def stage() -> str:
    return _required("CP_STAGE")


def is_local() -> bool:
    return stage() == "local"


def region() -> str:
    return os.environ.get("AWS_REGION") or _required("AWS_DEFAULT_REGION")


def resource_prefix() -> str:
    """Every table and alias is named "<prefix>-<name>", as infra/template.json names them."""
    return _required("CP_RESOURCE_PREFIX")


def table_name(name: str) -> str:
    return f"{resource_prefix()}-{name}"


def user_pool_id() -> str:
    return _required("CP_USER_POOL_ID")


def user_pool_client_id() -> str:
    return _required("CP_USER_POOL_CLIENT_ID")


def jwt_issuer() -> str:
    return f"https://cognito-idp.{region()}.amazonaws.com/{user_pool_id()}"


def jwks_url() -> str:
    """Where the pool's signing keys are published (moto serves them at its own endpoint)."""
    return os.environ.get("CP_JWKS_URL") or f"{jwt_issuer()}/.well-known/jwks.json"


def blob_bucket() -> str:
    return _required("CP_BLOB_BUCKET")


def data_key_arn() -> str:
    """The KMS key S3 objects are encrypted under (SSE-KMS)."""
    arn = _required("CP_DATA_KEY_ARN")
    if not arn.startswith("arn:"):
        raise ConfigError("CP_DATA_KEY_ARN must be a full key ARN")
    return arn


def auto_confirm_signups() -> bool:
    """Locally there is no mailbox: new accounts are confirmed at once. Never on AWS stages."""
    return is_local() and os.environ.get("CP_AUTO_CONFIRM", "1") == "1"


def int_setting(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None


def currency() -> str:
    return os.environ.get("CP_CURRENCY", "EUR")


def billing_increment_min() -> int:
    return int_setting("CP_BILLING_INCREMENT_MIN", 15)


# ---------------------------------------------------------------- gate, billing, payments


def gate_grace_min() -> int:
    """How early before its start (and the gate opens for) a reservation."""
    return int_setting("CP_GATE_GRACE_MIN", 15)


def gate_max_skew_s() -> int:
    """Signed gate and payment webhooks older (or newer) than this are refused."""
    return int_setting("CP_WEBHOOK_MAX_SKEW_S", 300)


def plate_min_confidence_pct() -> int:
    """Below this camera confidence a read that is not an exact match is refused."""
    return int_setting("CP_PLATE_MIN_CONFIDENCE_PCT", 80)


def billing_grace_min() -> int:
    return int_setting("CP_BILLING_GRACE_MIN", 10)


def overstay_surcharge_bp() -> int:
    return int_setting("CP_OVERSTAY_SURCHARGE_BP", 5000)


def no_show_fee_bp() -> int:
    return int_setting("CP_NO_SHOW_FEE_BP", 10000)


def refund_early_exit() -> bool:
    return os.environ.get("CP_REFUND_EARLY_EXIT", "0") == "1"


def platform_fee_bp() -> int:
    return int_setting("CP_PLATFORM_FEE_BP", 1500)


def payment_provider() -> str:
    """Which payment provider adapter to build. Only "local" exists so far; AWS stages must name one."""
    return os.environ.get("CP_PAYMENT_PROVIDER") or ("local" if is_local() else _required("CP_PAYMENT_PROVIDER"))


def payment_webhook_secret() -> bytes:
    """The HMAC key the provider signs its webhooks with (shared with the provider, never defaulted)."""
    secret = _required("CP_PAYMENT_WEBHOOK_SECRET")
    if len(secret) < 16:
        raise ConfigError("CP_PAYMENT_WEBHOOK_SECRET must be at least 16 characters")
    return secret.encode()


def payment_webhook_url() -> str | None:
    """Where the local provider delivers its webhooks by itself (make run); unset: tests deliver them."""
    return os.environ.get("CP_PAYMENT_WEBHOOK_URL") or None


def local_payment_delay_s() -> float:
    return float(os.environ.get("CP_LOCAL_PAYMENT_DELAY_S", "1"))


def enclave_key_arn() -> str:
    """The KMS key that wraps every per-user key and the enclave's own private keys."""
    arn = _required("CP_ENCLAVE_KEY_ARN")
    if not arn.startswith("arn:") or ":key/" not in arn:
        raise ConfigError("CP_ENCLAVE_KEY_ARN must be a full key ARN (arn:aws:kms:<region>:<account>:key/<id>)")
    return arn


def user_key_cache_seconds() -> int:
    """How long a container keeps an unwrapped user key; also the bound on how late erasure reaches other containers."""
    value = int_setting("CP_USER_KEY_CACHE_S", 60)
    if not 0 <= value <= 300:
        raise ConfigError("CP_USER_KEY_CACHE_S must be between 0 and 300 seconds")
    return value


def require_verified_identity() -> bool:
    """Per stage: may only parkers with an approved identity case reserve?"""
    raw = os.environ.get("CP_REQUIRE_VERIFIED_ID", "0").strip()
    if raw not in ("0", "1"):
        raise ConfigError("CP_REQUIRE_VERIFIED_ID must be 0 or 1")
    return raw == "1"


def node_certificate_days() -> int:
    return int_setting("CP_NODE_CERT_DAYS", 365)


def ledger_id() -> str:
    return os.environ.get("CP_LEDGER_ID", "").strip() or f"carparker-{stage()}"


def ledger_block_size() -> int:
    """k: a block is cut as soon as this many entries wait (CP_LEDGER_BLOCK_SIZE)."""
    value = int_setting("CP_LEDGER_BLOCK_SIZE", 100)
    if not 1 <= value <= 1000:
        raise ConfigError("CP_LEDGER_BLOCK_SIZE must be between 1 and 1000")
    return value


def ledger_block_timeout_s() -> int:
    """The scheduled cutter cuts a smaller block once its oldest entry waited this long (CP_LEDGER_BLOCK_TIMEOUT_S)."""
    value = int_setting("CP_LEDGER_BLOCK_TIMEOUT_S", 60)
    if value < 0:
        raise ConfigError("CP_LEDGER_BLOCK_TIMEOUT_S must not be negative")
    return value


def validator_deadline_s() -> float:
    """How long the proposer waits for validators before it counts the missing ones as failed."""
    return int_setting("CP_VALIDATOR_DEADLINE_MS", 5000) / 1000


# How many validators there are: N = 3f+1 with f = 1. The one place: app.py defines one function per validator from
# it, validator_key_arns() wants one key per validator, infra/apply_local.py and stage_config.py wire that many, and
# tests/unit/test_validator_count.py fails if infra/template.json's keys and roles are not that many.
VALIDATORS = 4


def validator_key_arns() -> list[str]:
    """The validators' KMS signing keys (ECC_NIST_P256, SIGN_VERIFY), one per validator, N = 3f+1."""
    arns = [a.strip() for a in _required("CP_VALIDATOR_KEY_ARNS").split(",") if a.strip()]
    if any(not a.startswith("arn:") or ":key/" not in a for a in arns):
        raise ConfigError("CP_VALIDATOR_KEY_ARNS must be full KMS key ARNs, comma separated")
    if len(arns) != VALIDATORS:
        raise ConfigError(f"CP_VALIDATOR_KEY_ARNS must name one key per validator: {VALIDATORS} (config.VALIDATORS)")
    return arns


def validator_transport() -> str:
    """"inprocess" (local: Lambda invoke needs Docker on moto) or "lambda" (AWS stages)."""
    value = os.environ.get("CP_VALIDATOR_TRANSPORT", "").strip() or ("inprocess" if is_local() else "lambda")
    if value not in ("inprocess", "lambda"):
        raise ConfigError("CP_VALIDATOR_TRANSPORT must be inprocess or lambda")
    return value


def app_name() -> str:
    return os.environ.get("CP_APP_NAME", "carparker")


# ---------------------------------------------------------------- gate devices on MQTT (AWS IoT Core; the local broker)


def device_certificates() -> str:
    """Who issues MQTT devices' certificates: "iot" (AWS IoT, the default on AWS stages), "local-ca" (make run's CA,
    CP_LOCAL_CA_DIR) or "none" (this stage registers HTTPS devices only; the local default without a CA)."""
    default = ("local-ca" if os.environ.get("CP_LOCAL_CA_DIR") else "none") if is_local() else "iot"
    value = os.environ.get("CP_DEVICE_CERTIFICATES") or default
    if value not in ("iot", "local-ca", "none"):
        raise ConfigError("CP_DEVICE_CERTIFICATES must be iot, local-ca or none")
    return value


def local_ca_dir() -> str:
    return _required("CP_LOCAL_CA_DIR")


def gate_device_policy() -> str:
    """The IoT policy every device certificate gets (infra/template.json GateDevicePolicy)."""
    return f"{resource_prefix()}-gate-device"


def mqtt_endpoint() -> str | None:
    """host:port devices connect to; unset on AWS, where the account's iot:Data-ATS endpoint is asked for."""
    return os.environ.get("CP_MQTT_ENDPOINT") or None


def gate_commands() -> str:
    """How commands reach MQTT devices: "iot-data" (Publish; on moto it is recorded) or "mqtt" (the local broker, as
    the platform's TLS client CP_MQTT_CLIENT_CERT/KEY)."""
    value = os.environ.get("CP_GATE_COMMANDS") or "iot-data"
    if value not in ("iot-data", "mqtt"):
        raise ConfigError("CP_GATE_COMMANDS must be iot-data or mqtt")
    return value


def mqtt_client_identity() -> tuple[str, str]:
    """The platform's TLS client certificate and key on the local broker (make run writes them)."""
    return _required("CP_MQTT_CLIENT_CERT"), _required("CP_MQTT_CLIENT_KEY")


def device_quiet_s() -> int:
    """A device silent for longer than this is marked quiet in the device list."""
    return int_setting("CP_DEVICE_QUIET_S", 300)


def gate_command_ttl_s() -> int:
    """How long a gate command may wait for its device; an "open" must not lift a barrier long after it was meant to."""
    value = int_setting("CP_GATE_COMMAND_TTL_S", 120)
    if not 10 <= value <= 3600:
        raise ConfigError("CP_GATE_COMMAND_TTL_S must be 10 to 3600 seconds")
    return value
def web_origins() -> tuple[str, ...]:
    """The browser origins the web apps are served from (CP_WEB_ORIGINS, comma separated, e.g.
    "https://app.example.com,http://127.0.0.1:5173"). Only these may call the API from a browser; unset: none may."""
    origins = tuple(o.strip().removesuffix("/") for o in os.environ.get("CP_WEB_ORIGINS", "").split(",") if o.strip())
    for origin in origins:
        scheme, sep, host = origin.partition("://")
        if scheme not in ("http", "https") or not sep or not host or any(c in host for c in "/*?# "):
            raise ConfigError(f"CP_WEB_ORIGINS: {origin!r} is not an origin like https://app.example.com (no path, no wildcard)")
    return origins


def log_format() -> str:
    """CP_LOG_FORMAT: "json" (one object per line, what CloudWatch Logs Insights reads; the default) or "text" (one
    readable line per record with the same keys; `make run`'s local stage)."""
    value = os.environ.get("CP_LOG_FORMAT", "json").strip() or "json"
    if value not in ("json", "text"):
        raise ConfigError("CP_LOG_FORMAT must be json or text")
    return value


def tracing() -> bool:
    """CP_TRACING=1 traces every function with Powertools Tracer (X-Ray); the stage must also enable active tracing
    (docs/observability.md). Off by default: the X-Ray SDK is then never imported."""
    return os.environ.get("CP_TRACING", "0").strip().lower() in ("1", "true", "on")
