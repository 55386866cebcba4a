"""Car parks, their gate devices (and the KMS-sealed device secrets) and their members, on DynamoDB."""

from __future__ import annotations

import threading
from datetime import date
from typing import Any

import boto3
from botocore.exceptions import ClientError
from pynamodb.models import Model

from ..domain.carparks import CarPark, Device, Membership, OpeningRule
from ..domain.errors import ConcurrentUpdateError, ConflictError, UnavailableError
from ..domain.timeutil import format_instant
from .dynamo import conditional_save, get_or_not_found, stored_instant
from .sealed_fields import ERASED, PLATE, FieldSealer, SealingEnclave, carpark_owner
from .tables import OperationsModels


class DynamoCarParkRepository:
    def __init__(self, models: OperationsModels) -> None:
        self.model = models.carparks

    def add(self, cp: CarPark) -> None:
        item = self.model(
            cp.carpark_id, owner_id=cp.owner_id, name=cp.name, kind=cp.kind, address=cp.address, lots=list(cp.lots),
            timezone=cp.timezone, created_at=format_instant(cp.created_at), version=cp.version,
            opening=[{"days": list(r.days), "start_minute": r.start_minute, "end_minute": r.end_minute} for r in cp.opening],
        )
        conditional_save(item, self.model.carpark_id.does_not_exist(), ConflictError("car park already exists", field="carpark_id"))

    def get(self, carpark_id: str) -> CarPark:
        i = get_or_not_found(self.model, carpark_id, "car park", "carpark_id")
        return CarPark(
            i.carpark_id, i.owner_id, i.name, i.kind, i.address, tuple(i.lots), i.timezone,
            tuple(OpeningRule(tuple(r["days"]), r["start_minute"], r["end_minute"]) for r in i.opening),
            stored_instant(i.created_at), int(i.version),
        )


class DynamoDeviceRepository:
    def __init__(self, models: OperationsModels) -> None:
        self.model = models.devices

    def _item(self, d: Device) -> Model:
        return self.model(d.device_id, carpark_id=d.carpark_id, name=d.name, sealed_secret=d.sealed_secret,
                          secret_version=d.secret_version, status=d.status, created_at=format_instant(d.created_at), version=d.version,
                          thing_name=d.thing_name, certificate_id=d.certificate_id)

    def _device(self, i: Any) -> Device:
        return Device(i.device_id, i.carpark_id, i.name, bytes(i.sealed_secret), int(i.secret_version), i.status,
                      stored_instant(i.created_at), int(i.version), i.thing_name, i.certificate_id)

    def add(self, device: Device) -> None:
        conditional_save(self._item(device), self.model.device_id.does_not_exist(), ConflictError("device already exists", field="device_id"))

    def get(self, device_id: str) -> Device:
        return self._device(get_or_not_found(self.model, device_id, "device", "device_id"))

    def save(self, device: Device, expected_version: int) -> None:
        conditional_save(self._item(device), self.model.version == expected_version, ConcurrentUpdateError("device changed meanwhile", field="device_id"))

    def by_carpark(self, carpark_id: str) -> list[Device]:
        return [self._device(i) for i in self.model.by_carpark.query(carpark_id)]


class KmsSecretBox:
    """Device secrets sealed with KMS Encrypt under the data key, bound to the device by encryption context.

    HMAC verification needs the secret itself (a hash would not do), so it is kept encrypted and the
    decrypted value is cached per container, keyed by device and secret version.
    """

    _cache: dict[tuple[str, int], bytes] = {}
    _lock = threading.Lock()

    def __init__(self, key_arn: str, region: str) -> None:
        self.key_arn = key_arn
        self.client = boto3.client("kms", region_name=region)

    @staticmethod
    def _context(device_id: str) -> dict[str, str]:
        return {"purpose": "gate-device-secret", "device_id": device_id}

    def seal(self, device_id: str, secret: bytes) -> bytes:
        try:
            out = self.client.encrypt(KeyId=self.key_arn, Plaintext=secret, EncryptionContext=self._context(device_id))
        except ClientError as exc:
            raise UnavailableError("the key service refused to seal the device secret") from exc
        return bytes(out["CiphertextBlob"])

    def open(self, device_id: str, secret_version: int, sealed: bytes) -> bytes:
        key = (device_id, secret_version)
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        try:
            out = self.client.decrypt(CiphertextBlob=sealed, KeyId=self.key_arn, EncryptionContext=self._context(device_id))
        except ClientError as exc:
            raise UnavailableError("the key service could not open the device secret") from exc
        with self._lock:
            self._cache[key] = bytes(out["Plaintext"])
        return self._cache[key]


class DynamoMembershipRepository:
    """Plate and holder sealed to the car park's pseudo-owner (a holder need not be a user); found by the gate's blind index."""

    def __init__(self, models: OperationsModels, enclave: SealingEnclave) -> None:
        self.model = models.memberships
        self.sealer = FieldSealer(enclave)

    def item(self, m: Membership, **extra: Any) -> Any:
        """The stored item (the console's plans add their own attributes through `extra`)."""
        sealed = self.sealer.seal(carpark_owner(m.carpark_id), PLATE, m.membership_id, {"plate": m.plate, "holder": m.holder})
        return self.model(m.membership_id, carpark_id=m.carpark_id, sealed=sealed, plan=m.plan,
                          valid_from=m.valid_from.isoformat(), valid_until=m.valid_until.isoformat(),
                          gate_key=self.sealer.gate_tag(m.carpark_id, m.plate), created_at=format_instant(m.created_at), **extra)

    def add(self, m: Membership) -> None:
        conditional_save(self.item(m), self.model.membership_id.does_not_exist(), ConflictError("membership already exists", field="membership_id"))

    def membership(self, i: Any) -> Membership:
        fields = self.sealer.open(carpark_owner(i.carpark_id), PLATE, i.membership_id, i.sealed) or {"plate": ERASED, "holder": ERASED}
        return Membership(i.membership_id, i.carpark_id, fields["plate"], fields["holder"], i.plan, date.fromisoformat(i.valid_from),
                          date.fromisoformat(i.valid_until), stored_instant(i.created_at))

    def by_carpark(self, carpark_id: str, limit: int | None = None) -> list[Membership]:
        return [self.membership(i) for i in self.model.by_carpark.query(carpark_id, scan_index_forward=False, limit=limit)]

    def for_plate(self, carpark_id: str, plate: str) -> list[Membership]:
        return [self.membership(i) for i in self.model.by_gate_key.query(self.sealer.gate_tag(carpark_id, plate))]
