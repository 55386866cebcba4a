"""The composition root: builds the real adapters once, on first use, and hands them to services."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from . import config
from .adapters.cognito import CognitoIdentityProvider
from .adapters.enclave import KmsEnclave
from .adapters.enclave_ca import EnclaveCA
from .adapters.enclave_tables import (
    DynamoIdentityCases,
    DynamoNodeCertificates,
    DynamoSecretStore,
    DynamoUserKeyStore,
    enclave_models,
)
from .adapters.gazetteer import GazetteerGeocoder
from .adapters.idempotency import DynamoIdempotencyStore
from .adapters.repositories import DynamoReservationRepository, DynamoSpaceRepository, DynamoUserRepository
from .adapters.s3blobs import S3BlobStore
from .adapters.tables import models
from .services.idempotency import IdempotencyStore
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
    ObjectStore,
    ReservationRepository,
    SpaceRepository,
    UserRepository,
)


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
    keys: KeyEraser
    device: DeviceChannel
    ca: CertificateAuthority
    identity_cases: IdentityCases
    documents: ObjectStore


_lock = threading.Lock()
_deps: Deps | None = None


def build_enclave(clock: Clock) -> KmsEnclave:
    em = enclave_models()
    return KmsEnclave(config.enclave_key_arn(), DynamoUserKeyStore(em), DynamoSecretStore(em), clock,
                      cache_ttl_s=config.user_key_cache_seconds())


def build() -> Deps:
    m = models()
    spaces = DynamoSpaceRepository(m)
    clock = SystemClock()
    enclave = build_enclave(clock)
    blobs = S3BlobStore(config.blob_bucket(), config.data_key_arn(), config.region())
    return Deps(
        users=DynamoUserRepository(m),
        spaces=spaces,
        reservations=DynamoReservationRepository(m, spaces),
        idempotency=DynamoIdempotencyStore(m),
        idp=CognitoIdentityProvider(
            config.user_pool_id(), config.user_pool_client_id(), config.jwt_issuer(), config.jwks_url(), config.region(),
            config.auto_confirm_signups(),
        ),
        blobs=blobs,
        geocoder=GazetteerGeocoder(),
        clock=clock,
        new_id=new_id,
        enclave=enclave,
        keys=enclave,
        device=enclave,
        ca=EnclaveCA(enclave, DynamoNodeCertificates(enclave_models()), clock, node_days=config.node_certificate_days()),
        identity_cases=DynamoIdentityCases(enclave_models()),
        documents=blobs,
    )


def deps() -> Deps:
    global _deps
    with _lock:
        if _deps is None:
            _deps = build()
        return _deps


def override(value: Deps | None) -> None:
    """Tests swap the whole graph (for example, to a fixed clock); None rebuilds on next use."""
    global _deps
    with _lock:
        _deps = value
