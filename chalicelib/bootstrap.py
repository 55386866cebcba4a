"""The composition root: builds the real adapters once, on first use, and hands them to services."""

from __future__ import annotations

import functools
import os
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import config
from .adapters import images
from .adapters.cognito import CognitoIdentityProvider
from .adapters.console_wiring import build_console
from .adapters.devices import DynamoDeviceState, IotCertificates, IotDataChannel, LocalCaIssuer, MqttChannel, iot_issuer
from .adapters.enclave import KmsEnclave
from .adapters.enclave_ca import EnclaveCA
from .adapters.enclave_tables import (
    DynamoIdentityCases,
    DynamoNodeCertificates,
    DynamoSecretStore,
    DynamoUserKeyStore,
    enclave_models,
)
from .adapters.evidence_store import DynamoClaimRepository, DynamoExportLog, DynamoPhotoSetRepository, evidence_models
from .adapters.gazetteer import GazetteerGeocoder
from .adapters.idempotency import DynamoIdempotencyStore
from .adapters.ledger_tables import DynamoLedgerStore, DynamoWatermarks, ledger_models
from .adapters.orders import (
    DynamoBalances,
    DynamoCarParkRepository,
    DynamoDeviceRepository,
    DynamoGateEventLog,
    DynamoMembershipRepository,
    DynamoNotificationFeed,
    KmsSecretBox,
    OrderReservationRepository,
)
from .adapters.payments import LocalPaymentProvider
from .adapters.repositories import DynamoSpaceRepository, DynamoUserRepository
from .adapters.s3blobs import S3BlobStore
from .adapters.sealed_fields import SealingEnclave
from .adapters.staff import DynamoStaffRepository
from .adapters.tables import device_state_model, models, order_models
from .adapters.validators import (
    InProcessValidators,
    KmsKeyDirectory,
    KmsSigner,
    LambdaValidatorInvoker,
    lambda_function_names,
    validator_id,
)
from .domain.billing import BillingPolicy
from .services import carparks
from .services.device_ports import CommandChannel, DeviceCertificates, DeviceRuntime
from .services.evidence import EvidenceStores
from .services.idempotency import IdempotencyStore
from .services.ledger import LedgerService, LedgerSettings, validator_set_of
from .services.ledger_ports import KeyDirectory, ValidatorTransport
from .services.ledger_reads import LedgerEvidence
from .services.order_ports import PaymentProvider
from .services.orders import Orders
from .services.ports import (
    BlobStore,
    CertificateAuthority,
    Clock,
    DeviceChannel,
    Enclave,
    Geocoder,
    IdentityCases,
    IdentityProvider,
    KeyEraser,
    ReservationRepository,
    SpaceRepository,
    UserRepository,
)
from .services.validator import ValidatorNode, validate_block


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC).replace(microsecond=0)


def new_id() -> str:
    return uuid.uuid4().hex


@dataclass
class Deps:
    users: UserRepository
    spaces: SpaceRepository
    reservations: ReservationRepository
    idempotency: IdempotencyStore
    idp: IdentityProvider
    blobs: BlobStore
    geocoder: Geocoder
    clock: Clock
    new_id: Callable[[], str]
    enclave: Enclave
    sealing: SealingEnclave  # the same enclave as the repositories use it: seal, unseal and blind indexes
    keys: KeyEraser
    device: DeviceChannel
    ca: CertificateAuthority
    identity_cases: IdentityCases
    ledger: LedgerService
    validators: ValidatorNodes


_lock = threading.Lock()
_deps: Deps | None = None
_validators: ValidatorNodes | None = None


def build_enclave(clock: Clock) -> KmsEnclave:
    em = enclave_models()
    return KmsEnclave(config.enclave_key_arn(), DynamoUserKeyStore(em), DynamoSecretStore(em), clock,
                      cache_ttl_s=config.user_key_cache_seconds())


def ledger_settings() -> LedgerSettings:
    return LedgerSettings(config.ledger_id(), config.ledger_block_size(), config.ledger_block_timeout_s(),
                          config.validator_deadline_s())


class ValidatorNodes:
    """This deployment's validator nodes, built on first use (reading their public keys is a KMS call)."""

    def __init__(self, keys: KeyDirectory) -> None:
        self.keys = keys
        self.lock = threading.Lock()
        self.nodes: list[ValidatorNode] = []

    def node(self, index: int) -> ValidatorNode:
        with self.lock:
            if not self.nodes:
                lm = ledger_models()
                store, marks = DynamoLedgerStore(lm), DynamoWatermarks(lm)
                vset = validator_set_of(self.keys)
                self.nodes = [ValidatorNode(validator_id(i), config.ledger_id(), store, marks, KmsSigner(arn, config.region()), vset)
                              for i, arn in enumerate(config.validator_key_arns())]
            return self.nodes[index]

    def handle(self, index: int, request: dict[str, Any]) -> dict[str, Any]:
        return validate_block(self.node(index), request)


def build_transport(nodes: ValidatorNodes) -> ValidatorTransport:
    count = len(config.validator_key_arns())
    if config.validator_transport() == "lambda":
        names = lambda_function_names(config.app_name(), config.stage(), count)
        return LambdaValidatorInvoker(names, config.region(), config.validator_deadline_s())
    return InProcessValidators({validator_id(i): functools.partial(nodes.handle, i) for i in range(count)})


def build() -> Deps:
    m = models()
    spaces = DynamoSpaceRepository(m)
    clock = SystemClock()
    enclave = build_enclave(clock)
    blobs = S3BlobStore(config.blob_bucket(), config.data_key_arn(), config.region())
    ca = EnclaveCA(enclave, DynamoNodeCertificates(enclave_models()), clock, node_days=config.node_certificate_days())
    keys = KmsKeyDirectory(config.validator_key_arns(), config.region())
    nodes = ValidatorNodes(keys)
    ledger = LedgerService(DynamoLedgerStore(ledger_models()), enclave, build_transport(nodes), keys, clock,
                           ledger_settings(), ca)
    return Deps(
        users=DynamoUserRepository(m),
        spaces=spaces,
        reservations=OrderReservationRepository(m, spaces, enclave),
        idempotency=DynamoIdempotencyStore(m, enclave),
        idp=CognitoIdentityProvider(
            config.user_pool_id(), config.user_pool_client_id(), config.jwt_issuer(), config.jwks_url(), config.region(),
            config.auto_confirm_signups(),
        ),
        blobs=blobs,
        geocoder=GazetteerGeocoder(),
        clock=clock,
        new_id=new_id,
        enclave=enclave,
        sealing=enclave,
        keys=enclave,
        device=enclave,
        ca=ca,
        identity_cases=DynamoIdentityCases(enclave_models()),
        ledger=ledger,
        validators=nodes,
    )


def deps() -> Deps:
    global _deps
    with _lock:
        if _deps is None:
            _deps = build()
        return _deps


def validator_nodes() -> ValidatorNodes:
    """What a validator function needs, and nothing more. On AWS each validator is its own function under its own
    role, which may sign with its own key and write its own watermark only (infra/template.json), so it builds
    these alone, not the whole graph; in a process that has the graph, they are the graph's."""
    global _validators
    with _lock:
        if _deps is not None:
            return _deps.validators
        if _validators is None:
            _validators = ValidatorNodes(KmsKeyDirectory(config.validator_key_arns(), config.region()))
        return _validators


def override(value: Deps | None) -> None:
    """Tests swap the whole graph (for example, to a fixed clock); None rebuilds on next use."""
    global _deps, _orders, _validators, _devices
    with _lock:
        _deps = value
        _orders = None
        _validators = None
        _devices = None


# ---------------------------------------------------------------- the order lifecycle


def billing_policy() -> BillingPolicy:
    return BillingPolicy(config.billing_grace_min(), config.overstay_surcharge_bp(), config.refund_early_exit(), config.no_show_fee_bp())


def payment_provider(d: Deps) -> PaymentProvider:
    if config.payment_provider() != "local":
        raise config.ConfigError(f"no adapter for payment provider {config.payment_provider()!r}")
    om = order_models()
    return LocalPaymentProvider(om, models().connection, secret=config.payment_webhook_secret(), clock=d.clock, new_id=d.new_id,
                                webhook_url=config.payment_webhook_url(), delay_s=config.local_payment_delay_s())


def build_orders(d: Deps) -> Orders:
    om = order_models()
    return Orders(
        reservations=d.reservations,  # type: ignore[arg-type]  # OrderReservationRepository, built above
        spaces=d.spaces,
        carparks=DynamoCarParkRepository(om),
        devices=DynamoDeviceRepository(om),
        memberships=DynamoMembershipRepository(om, d.sealing),
        gate_events=DynamoGateEventLog(om, d.sealing),
        secrets=KmsSecretBox(config.data_key_arn(), config.region()),
        notifications=DynamoNotificationFeed(om, d.sealing),
        balances=DynamoBalances(om, models().connection),
        payments=payment_provider(d),
        staff=DynamoStaffRepository(om),
        clock=d.clock,
        new_id=d.new_id,
        policy=billing_policy(),
        platform_fee_bp=config.platform_fee_bp(),
        ledger=d.ledger,
        console=build_console(om, d.sealing, d.blobs),
    )


_orders: Orders | None = None


def orders() -> Orders:
    global _orders
    d = deps()
    with _lock:
        if _orders is None:
            _orders = build_orders(d)
        return _orders


def override_orders(value: Orders | None) -> None:
    global _orders
    with _lock:
        _orders = value


# ---------------------------------------------------------------- accident evidence


def evidence_stores() -> EvidenceStores:
    d = deps()
    em = evidence_models()
    return EvidenceStores(
        reservations=d.reservations, spaces=d.spaces, photo_sets=DynamoPhotoSetRepository(em), claims=DynamoClaimRepository(em),
        blobs=d.blobs, enclave=d.enclave, ledger=d.ledger, evidence=LedgerEvidence(d.ledger), inspect=images.inspect,
        clock=d.clock, random_bytes=os.urandom, new_id=d.new_id, exports=DynamoExportLog(em), works_at=functools.partial(carparks.works_at, orders()),
    )


# ---------------------------------------------------------------- gate devices: heartbeats, commands, MQTT identities


def device_certificates() -> DeviceCertificates | None:
    kind = config.device_certificates()
    if kind == "none":
        return None
    if kind == "iot":
        return IotCertificates(config.gate_device_policy(), config.region(), iot_issuer, config.mqtt_endpoint())
    issuer = LocalCaIssuer(Path(config.local_ca_dir()))
    return IotCertificates(config.gate_device_policy(), config.region(), issuer, config.mqtt_endpoint(), issuer.trust())


def command_channel() -> CommandChannel:
    if config.gate_commands() == "iot-data":
        return IotDataChannel(config.region(), config.mqtt_endpoint())
    client_cert, client_key = config.mqtt_client_identity()
    return MqttChannel(config.mqtt_endpoint() or "", Path(config.local_ca_dir()) / "ca.pem", Path(client_cert), Path(client_key),
                       f"{config.resource_prefix()}-platform-{os.getpid()}")


def build_devices() -> DeviceRuntime:
    return DeviceRuntime(DynamoDeviceState(device_state_model()), device_certificates(), command_channel(), config.resource_prefix(),
                         config.device_quiet_s(), config.gate_command_ttl_s())


_devices: DeviceRuntime | None = None


def devices() -> DeviceRuntime:
    global _devices
    with _lock:
        if _devices is None:
            _devices = build_devices()
        return _devices


def override_devices(value: DeviceRuntime | None) -> None:
    global _devices
    with _lock:
        _devices = value
