"""The composition root: `build(...)` wires this deployment's adapters and services once and returns them all.

Its keyword parameters are the seams (cosmicpython's bootstrap): a test passes its clock, its ledger, a validator
transport or a payment provider, and everything that needs one gets that one — the enclave, the CA, the ledger and
every service alike. Nothing is patched into a graph after it is built. `deps()` is the graph this process serves
with, built on first use; `override()` installs another (a test's) or, with None, has the next use build afresh.
"""

from __future__ import annotations

import functools
import os
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from . import config
from .adapters import images
from .adapters.balances import DynamoBalances
from .adapters.carparks import DynamoCarParkRepository, DynamoDeviceRepository, DynamoMembershipRepository, KmsSecretBox
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
from .adapters.gate_events import DynamoGateEventLog
from .adapters.gazetteer import GazetteerGeocoder
from .adapters.idempotency import DynamoIdempotencyStore
from .adapters.ledger_tables import DynamoLedgerStore, ledger_models
from .adapters.notifications import DynamoNotificationFeed
from .adapters.payments import LocalPaymentProvider
from .adapters.reservations import DynamoReservationRepository
from .adapters.s3blobs import S3BlobStore
from .adapters.spaces import DynamoSpaceRepository
from .adapters.staff import DynamoStaffRepository
from .adapters.tables import device_state_model, models, operations_models
from .adapters.users import DynamoUserRepository
from .adapters.validators import (
    InProcessValidators,
    KmsKeyDirectory,
    LambdaValidatorInvoker,
    ValidatorNodes,
    lambda_function_names,
    validator_id,
)
from .domain.billing import BillingPolicy
from .services import carparks
from .services.carparks import CarParks
from .services.closure import Closure
from .services.device_ports import CommandChannel, DeviceCertificates, DeviceRuntime
from .services.evidence import EvidenceStores
from .services.gate import Gate
from .services.idempotency import Claims, KeyedRequest, Reply
from .services.ledger import LedgerService, LedgerSettings
from .services.ledger_ports import ValidatorTransport
from .services.ledger_reads import LedgerEvidence
from .services.order_ports import Balances, NotificationFeed, PaymentProvider
from .services.orders import OrderLifecycle
from .services.ports import (
    BlobStore,
    CertificateAuthority,
    Clock,
    Geocoder,
    IdentityCases,
    IdentityProvider,
    Ledger,
    SpaceRepository,
    UserRepository,
)


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC).replace(microsecond=0)


def new_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True)
class Deps:
    """Everything wired: the ports the routes hand to services, and the services' contexts built over them."""

    clock: Clock
    new_id: Callable[[], str]
    users: UserRepository
    spaces: SpaceRepository
    reservations: DynamoReservationRepository
    idempotency: Claims[KeyedRequest, Reply]
    idp: IdentityProvider
    blobs: BlobStore
    geocoder: Geocoder
    enclave: KmsEnclave  # seal and unseal, blind indexes, key erasure and the device channel: one enclave
    ca: CertificateAuthority
    identity_cases: IdentityCases
    ledger: LedgerService  # the certified ledger: reads, cuts, admissions
    recorder: Ledger  # where services record entries: the certified ledger, unless build() was given another
    validators: ValidatorNodes
    payments: PaymentProvider
    notifications: NotificationFeed
    balances: Balances
    orders: OrderLifecycle
    carparks: CarParks
    gate: Gate
    evidence: EvidenceStores
    closure: Closure


def build_enclave(clock: Clock) -> KmsEnclave:
    em = enclave_models()
    return KmsEnclave(config.enclave_key_arn(), DynamoUserKeyStore(em), DynamoSecretStore(em), clock,
                      cache_ttl_s=config.user_key_cache_seconds())


def ledger_settings() -> LedgerSettings:
    return LedgerSettings(config.ledger_id(), config.ledger_block_size(), config.ledger_block_timeout_s(),
                          config.validator_deadline_s())


def build_transport(nodes: ValidatorNodes) -> ValidatorTransport:
    count = len(config.validator_key_arns())
    if config.validator_transport() == "lambda":
        names = lambda_function_names(config.app_name(), config.stage(), count)
        return LambdaValidatorInvoker(names, config.region(), config.validator_deadline_s())
    return InProcessValidators({validator_id(i): functools.partial(nodes.handle, i) for i in range(count)})


def billing_policy() -> BillingPolicy:
    return BillingPolicy(config.billing_grace_min(), config.overstay_surcharge_bp(), config.refund_early_exit(), config.no_show_fee_bp())


def local_payments(clock: Clock, ids: Callable[[], str] = new_id) -> LocalPaymentProvider:
    """The payment provider this deployment talks to (only the local one exists so far)."""
    if config.payment_provider() != "local":
        raise config.ConfigError(f"no adapter for payment provider {config.payment_provider()!r}")
    return LocalPaymentProvider(operations_models(), models().connection, secret=config.payment_webhook_secret(), clock=clock,
                                new_id=ids, webhook_url=config.payment_webhook_url(), delay_s=config.local_payment_delay_s())


def build(*, clock: Clock | None = None, new_id: Callable[[], str] = new_id, enclave: KmsEnclave | None = None,
          ledger: Ledger | None = None, ledger_transport: ValidatorTransport | None = None,
          payments: PaymentProvider | None = None) -> Deps:
    """The whole graph. Every parameter left out is this deployment's real one: the system clock, the KMS enclave,
    the certified ledger (`ledger` replaces only where services record entries), validators in-process or on
    Lambda (config.validator_transport), the configured payment provider."""
    clock = clock or SystemClock()
    m, om = models(), operations_models()
    enclave = enclave or build_enclave(clock)
    spaces = DynamoSpaceRepository(m)
    reservations = DynamoReservationRepository(m, spaces, enclave)
    ca = EnclaveCA(enclave, DynamoNodeCertificates(enclave_models()), clock, node_days=config.node_certificate_days())
    keys = KmsKeyDirectory(config.validator_key_arns(), config.region())
    validators = ValidatorNodes(keys)
    certified = LedgerService(DynamoLedgerStore(ledger_models()), enclave, ledger_transport or build_transport(validators), keys,
                              clock, ledger_settings(), ca)
    recorder = ledger if ledger is not None else certified
    payments = payments or local_payments(clock, new_id)
    notifications, balances = DynamoNotificationFeed(om, enclave), DynamoBalances(om, m.connection)
    blobs = S3BlobStore(config.blob_bucket(), config.data_key_arn(), config.region())
    lots, staff = DynamoCarParkRepository(om), DynamoStaffRepository(om)
    console = build_console(om, enclave, blobs, carparks=lots, staff=staff, reservations=reservations, notifications=notifications,
                            clock=clock)
    orders = OrderLifecycle(reservations, spaces, payments, balances, notifications, clock, billing_policy(), config.platform_fee_bp(),
                            recorder, console)
    desk = CarParks(lots, staff, DynamoDeviceRepository(om),
                    KmsSecretBox(config.data_key_arn(), config.region()), DynamoMembershipRepository(om, enclave), spaces,
                    reservations, DynamoGateEventLog(om, enclave), notifications, clock, new_id, console)
    users = DynamoUserRepository(m)
    idp = CognitoIdentityProvider(config.user_pool_id(), config.user_pool_client_id(), config.jwt_issuer(), config.jwks_url(),
                                  config.region(), config.auto_confirm_signups())
    em = evidence_models()
    evidence = EvidenceStores(
        reservations=reservations, spaces=spaces, photo_sets=DynamoPhotoSetRepository(em), claims=DynamoClaimRepository(em),
        blobs=blobs, enclave=enclave, ledger=recorder, evidence=LedgerEvidence(certified), inspect=images.inspect, clock=clock,
        random_bytes=os.urandom, new_id=new_id, exports=DynamoExportLog(em), works_at=functools.partial(carparks.works_at, desk),
    )
    return Deps(
        clock=clock, new_id=new_id, users=users, spaces=spaces, reservations=reservations,
        idempotency=DynamoIdempotencyStore(m, enclave), idp=idp, blobs=blobs, geocoder=GazetteerGeocoder(), enclave=enclave, ca=ca,
        identity_cases=DynamoIdentityCases(enclave_models()), ledger=certified, recorder=recorder, validators=validators,
        payments=payments, notifications=notifications, balances=balances, orders=orders, carparks=desk,
        gate=Gate(desk.devices, desk.secrets, desk.gate_events, desk.carparks, reservations, desk.memberships, clock, orders, console),
        evidence=evidence,
        closure=Closure(users=users, keys=enclave, idp=idp, orders=orders, gate_events=desk.gate_events, staff=desk.staff,
                        evidence=evidence),
    )


_lock = threading.Lock()
_deps: Deps | None = None
_validators: ValidatorNodes | None = None


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
    """Serve with this graph from now on (a test's, built by build() with its fakes); None: build afresh on next use."""
    global _deps, _validators, _devices
    with _lock:
        _deps = value
        _validators = None
        _devices = None


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
