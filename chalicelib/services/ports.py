"""The ports services depend on. Adapters implement them on AWS; tests/fakes.py in memory."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from ..domain.photos import EvidenceExport, ImageFacts

from ..domain.accounts import User
from ..domain.geo import Point
from ..domain.identity import IdentityCase
from ..domain.reservations import Reservation
from ..domain.spaces import Space


class Clock(Protocol):
    def now(self) -> datetime: ...


class UserRepository(Protocol):
    def add(self, user: User) -> None: ...
    def get(self, user_id: str) -> User: ...
    def save(self, user: User, expected_version: int) -> None: ...


class SpaceRepository(Protocol):
    def add(self, space: Space) -> None: ...
    def get(self, space_id: str) -> Space: ...
    def save(self, space: Space, expected_version: int) -> None: ...
    def by_owner(self, owner_id: str, limit: int | None = None) -> list[Space]: ...
    def pending(self, limit: int) -> list[Space]: ...
    def linked_to(self, carpark_id: str, link_state: str, limit: int) -> list[Space]: ...
    def in_cells(self, cells: list[str]) -> tuple[list[Space], int]: ...


class ReservationRepository(Protocol):
    def get(self, reservation_id: str) -> Reservation: ...
    # Newest first; `limit` bounds what a listing reads (None: all of them, for account closure).
    def by_parker(self, parker_id: str, limit: int | None = None) -> list[Reservation]: ...
    def by_sharer(self, sharer_id: str, limit: int | None = None) -> list[Reservation]: ...
    def by_space(self, space_id: str, limit: int | None = None) -> list[Reservation]: ...
    def book(self, reservation: Reservation, space: Space, expected_space_version: int) -> None: ...
    def change(
        self,
        reservation: Reservation,
        expected_version: int,
        space: Space | None = None,
        expected_space_version: int | None = None,
    ) -> None: ...
    def unchanged(self, seen: Reservation) -> Reservation | None:
        """`seen` if it is still the stored version (read consistently, without unsealing anything), else None."""
        ...

    # The gate's, the no-show sweep's and the staff dashboard's queries.
    def for_plate(self, carpark_id: str, plate: str) -> list[Reservation]:
        """Every reservation whose plate a camera could confuse with this one (the gate's blind index)."""
        ...

    def at_carpark(self, carpark_id: str, limit: int) -> list[Reservation]: ...
    def paid_at_carpark(self, carpark_id: str, since: datetime, until: datetime) -> list[Reservation]:
        """Paid in [since, until): half-open, so consecutive days never count a stay twice."""
        ...

    def expired(self, before: datetime, limit: int) -> list[Reservation]: ...
    def uncharged(self, limit: int) -> list[Reservation]:
        """Money due (a bill or a fee) that no charge covers yet: a charge attempt failed midway."""
        ...


@dataclass(frozen=True)
class Place:
    name: str
    point: Point
    kind: str


class Geocoder(Protocol):
    def lookup(self, text: str) -> Place | None: ...
    def suggest(self, text: str, limit: int = 5) -> list[str]: ...


@dataclass(frozen=True)
class UploadTicket:
    url: str
    method: str
    headers: dict[str, str]
    key: str
    expires_in: int


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    content_type: str
    sse: str | None
    kms_key_id: str | None


class ObjectStore(Protocol):
    """Whole objects written by the API itself (sealed documents), encrypted at rest under our KMS key."""

    def put(self, key: str, data: bytes, content_type: str) -> None: ...
    def get(self, key: str) -> bytes: ...


class BlobStore(ObjectStore, Protocol):
    """ObjectStore plus what clients upload themselves (presigned PUTs) and download (presigned GETs)."""

    def upload_ticket(self, key: str, content_type: str, max_bytes: int, sha256_hex: str | None = None) -> UploadTicket: ...
    def head(self, key: str) -> StoredObject | None: ...
    def read(self, key: str, max_bytes: int) -> bytes | None: ...
    def delete(self, key: str) -> None: ...
    def download_url(self, key: str, filename: str, ttl_s: int) -> str: ...


@dataclass(frozen=True)
class Tokens:
    id_token: str
    access_token: str
    refresh_token: str | None
    expires_in: int


class IdentityProvider(Protocol):
    def sign_up(self, email: str, password: str) -> str: ...
    def confirm(self, email: str, code: str) -> None: ...
    def sign_in(self, email: str, password: str) -> Tokens: ...
    def verify(self, token: str) -> dict[str, object]: ...
    def sign_out_everywhere(self, user_id: str) -> None: ...
    def add_to_group(self, user_id: str, group: str) -> None: ...
    def find_user_id(self, email: str) -> str | None: ...
    def delete_user(self, user_id: str) -> None: ...


class Enclave(Protocol):
    """Seals data so that only its owner (through an authorised, logged unseal) can read it.

    Every ciphertext is bound to (user_id, purpose, object_id) by its encryption context; unseal
    with any other triple fails. Implemented on KMS + the AWS Encryption SDK in adapters/enclave.py.
    """

    def seal(self, user_id: str, purpose: str, object_id: str, plaintext: bytes) -> bytes: ...
    def unseal(self, user_id: str, purpose: str, object_id: str, ciphertext: bytes) -> bytes: ...


class IdentityGate(Protocol):
    """Answers "may this user act as someone whose identity was checked?"."""

    def is_verified(self, user_id: str) -> bool: ...


class IdentityCases(IdentityGate, Protocol):
    def get(self, user_id: str) -> IdentityCase | None: ...
    def save(self, case: IdentityCase, expected_version: int | None) -> None: ...
    def open_cases(self, limit: int) -> list[IdentityCase]: ...


class KeyEraser(Protocol):
    """Destroys a user's key (crypto-shredding): afterwards nothing sealed to them can be unsealed."""

    def erase_user(self, user_id: str) -> None: ...


class BlindIndex(Protocol):
    """Deterministic keyed tags for looking things up by a value that is only stored sealed (plates)."""

    def blind_index(self, purpose: str, value: str) -> str: ...


class DeviceChannel(Protocol):
    """Key establishment with a user's device (ECDH P-256 + HKDF + AES-GCM, see domain/envelope.py).
    The device's plaintext is opened and re-sealed to the user inside the enclave; callers only see sealed bytes."""

    def device_public_key_pem(self) -> str: ...
    def reseal_from_device(self, user_id: str, purpose: str, label: str, object_id: str, envelope: bytes) -> bytes:
        """Open an envelope the device made for (user_id, purpose, label); seal its content to (user_id, purpose, object_id)."""
        ...


class CertificateAuthority(Protocol):
    """The enclave's CA for ledger validator nodes; its private key never leaves the adapter."""

    def ca_certificate_pem(self) -> str: ...
    def issue_node_certificate(self, node_id: str, public_key_pem: str) -> str: ...
    def renew_node_certificate(self, node_id: str) -> str: ...  # same key, valid from now; the old one kept
    def superseded_node_certificates(self) -> dict[str, tuple[str, ...]]: ...
    def revoke_node_certificate(self, node_id: str) -> None: ...
    def revocation_list_pem(self) -> str: ...
    def node_certificates(self) -> dict[str, str]: ...
    def revoked_nodes(self) -> set[str]: ...


@dataclass(frozen=True)
class LedgerReceipt:
    log: str  # "parent" (orders) or "side" (photos, access)
    seq: int  # the entry's index in its log
    entry_id: str  # "<log>:<seq>"


class Ledger(Protocol):
    """Append-only evidence log. `sealed` values are plaintext here; the ledger seals them to `user_id`
    through the Enclave before they are stored. `digests` are plaintext SHA-256 hex values."""

    def record(
        self,
        *,
        log: str,
        action: str,
        user_id: str,
        order_id: str,
        sealed: dict[str, str],
        digests: dict[str, str] | None = None,
    ) -> LedgerReceipt: ...


class EvidenceSource(Protocol):
    """Evidence bundles (carparker.evidence/v1, docs/ledger-format.md) for certified ledger entries."""

    def bundle(self, entry_ids: list[str]) -> dict[str, object]: ...


class ExportLog(Protocol):
    """Every evidence zip written to the bucket, with its expiry, until it is deleted."""

    def add(self, export: EvidenceExport) -> None: ...
    def due(self, now: datetime, limit: int) -> list[EvidenceExport]: ...
    def of_user(self, user_id: str, limit: int) -> list[EvidenceExport]:
        """Exports holding this user's photos or asked for by them."""
        ...

    def remove(self, export_id: str) -> None: ...


class ImageInspector(Protocol):
    def __call__(self, data: bytes, local_tz: ZoneInfo) -> ImageFacts: ...
