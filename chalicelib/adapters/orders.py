"""DynamoDB and KMS adapters for car parks, gate devices and events, members, notifications and balances."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta
from typing import Any

import boto3
from botocore.exceptions import ClientError
from pynamodb.exceptions import DeleteError, DoesNotExist, PutError, TransactWriteError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from ..domain.carparks import CarPark, Device, Membership, OpeningRule
from ..domain.errors import ConcurrentUpdateError, ConflictError, NotFoundError, UnavailableError
from ..domain.reservations import RESERVED, Reservation
from ..domain.timeutil import format_instant, parse_instant
from ..services.order_ports import GateEventRecord, Notification, Payout
from . import codec
from .dynamo import condition_failed, conditional_save
from .repositories import DynamoReservationRepository
from .sealed_fields import ERASED, PLATE, FieldSealer, SealingEnclave, carpark_owner
from .tables import OrderModels


def _when(text: str) -> datetime:
    return parse_instant(text, field="stored")


def _before(until: datetime) -> str:
    """The last stored instant before `until`: ranges are half-open, so an event at midnight is in one day, not two
    (instants are stored to the second)."""
    return format_instant(until - timedelta(seconds=1))


def _get(model: type[Model], key: str, what: str, field: str) -> Any:
    if not key or len(key) > 1024:  # DynamoDB refuses such keys with a ValidationException: nothing is stored under them
        raise NotFoundError(f"no such {what}", field=field)
    try:
        return model.get(key, consistent_read=True)
    except DoesNotExist:
        raise NotFoundError(f"no such {what}", field=field) from None


class DynamoCarParkRepository:
    def __init__(self, models: OrderModels) -> None:
        self.model = models.carparks

    def add(self, cp: CarPark) -> None:
        item = self.model(
            cp.carpark_id, owner_id=cp.owner_id, name=cp.name, kind=cp.kind, address=cp.address, lots=list(cp.lots),
            timezone=cp.timezone, created_at=format_instant(cp.created_at), version=cp.version,
            opening=[{"days": list(r.days), "start_minute": r.start_minute, "end_minute": r.end_minute} for r in cp.opening],
        )
        conditional_save(item, self.model.carpark_id.does_not_exist(), ConflictError("car park already exists", field="carpark_id"))

    def get(self, carpark_id: str) -> CarPark:
        i = _get(self.model, carpark_id, "car park", "carpark_id")
        return CarPark(
            i.carpark_id, i.owner_id, i.name, i.kind, i.address, tuple(i.lots), i.timezone,
            tuple(OpeningRule(tuple(r["days"]), r["start_minute"], r["end_minute"]) for r in i.opening),
            _when(i.created_at), int(i.version),
        )


class DynamoDeviceRepository:
    def __init__(self, models: OrderModels) -> None:
        self.model = models.devices

    def _item(self, d: Device) -> Model:
        return self.model(d.device_id, carpark_id=d.carpark_id, name=d.name, sealed_secret=d.sealed_secret,
                          secret_version=d.secret_version, status=d.status, created_at=format_instant(d.created_at), version=d.version,
                          thing_name=d.thing_name, certificate_id=d.certificate_id)

    def _device(self, i: Any) -> Device:
        return Device(i.device_id, i.carpark_id, i.name, bytes(i.sealed_secret), int(i.secret_version), i.status,
                      _when(i.created_at), int(i.version), i.thing_name, i.certificate_id)

    def add(self, device: Device) -> None:
        conditional_save(self._item(device), self.model.device_id.does_not_exist(), ConflictError("device already exists", field="device_id"))

    def get(self, device_id: str) -> Device:
        return self._device(_get(self.model, device_id, "device", "device_id"))

    def save(self, device: Device, expected_version: int) -> None:
        conditional_save(self._item(device), self.model.version == expected_version, ConcurrentUpdateError("device changed meanwhile", field="device_id"))

    def by_carpark(self, carpark_id: str) -> list[Device]:
        return [self._device(i) for i in self.model.by_carpark.query(carpark_id)]


class DynamoMembershipRepository:
    """Plate and holder sealed to the car park's pseudo-owner (a holder need not be a user); found by the gate's blind index."""

    def __init__(self, models: OrderModels, enclave: SealingEnclave) -> None:
        self.model = models.memberships
        self.sealer = FieldSealer(enclave)

    def item(self, m: Membership, **extra: Any) -> Model:
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
                          date.fromisoformat(i.valid_until), _when(i.created_at))

    def by_carpark(self, carpark_id: str, limit: int | None = None) -> list[Membership]:
        return [self.membership(i) for i in self.model.by_carpark.query(carpark_id, scan_index_forward=False, limit=limit)]

    def for_plate(self, carpark_id: str, plate: str) -> list[Membership]:
        return [self.membership(i) for i in self.model.by_gate_key.query(self.sealer.gate_tag(carpark_id, plate))]


class OrderReservationRepository(DynamoReservationRepository):
    """The foundation's reservation repository plus the gate's, the sweep's and the dashboard's queries."""

    def for_plate(self, carpark_id: str, plate: str) -> list[Reservation]:
        """Every reservation whose plate a camera could confuse with this one: one query on the blind index."""
        return self._query(self.model.by_gate_key.query(self.sealer.gate_tag(carpark_id, plate)))

    def at_carpark(self, carpark_id: str, limit: int) -> list[Reservation]:
        return self._query(self.model.by_carpark.query(carpark_id, scan_index_forward=False, limit=limit))

    def paid_at_carpark(self, carpark_id: str, since: datetime, until: datetime) -> list[Reservation]:
        cond = self.model.paid_at.between(format_instant(since), _before(until))
        return self._query(self.model.by_carpark_paid.query(carpark_id, range_key_condition=cond))

    def expired(self, before: datetime, limit: int) -> list[Reservation]:
        cond = self.model.end <= format_instant(before)
        return self._query(self.model.by_expiry.query(RESERVED, range_key_condition=cond, limit=limit))

    def uncharged(self, limit: int) -> list[Reservation]:
        return self._query(self.model.by_expiry.query(codec.UNCHARGED, limit=limit))


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


class DynamoGateEventLog:
    """The plate read and the reply (which names it) sealed to the car park's pseudo-owner; the request
    fingerprint, a hash over a body with the plate in it, stored as a blind index."""

    FINGERPRINT = "gate-event-request"
    PURPOSE = "gate-event"

    def __init__(self, models: OrderModels, enclave: SealingEnclave) -> None:
        self.model = models.gate_events
        self.sealer = FieldSealer(enclave)

    def _record(self, i: Any, asked: str | None = None) -> GateEventRecord:
        fields = self.sealer.open(carpark_owner(i.carpark_id), self.PURPOSE, i.event_key, i.sealed)
        if fields is None and i.sealed is not None:
            fields = {"plate": ERASED, "response": None}
        request_hash = self.sealer.fingerprint_as_stored(self.FINGERPRINT, asked, i.request_hash) if asked else i.request_hash
        return GateEventRecord(i.event_key, i.device_id, i.carpark_id, request_hash, i.state, _when(i.occurred_at),
                               i.direction, (fields or {}).get("plate"), (fields or {}).get("response"))

    def claim(self, record: GateEventRecord) -> GateEventRecord | None:
        item = self.model(record.event_key, device_id=record.device_id, carpark_id=record.carpark_id,
                          request_hash=self.sealer.tag(self.FINGERPRINT, record.request_hash), state="in_progress",
                          occurred_at=format_instant(record.occurred_at))
        try:
            item.save(condition=self.model.event_key.does_not_exist())
            return None
        except PutError as exc:
            if not condition_failed(exc):
                raise
        return self._record(self.model.get(record.event_key, consistent_read=True), record.request_hash)

    def finish(self, record: GateEventRecord) -> None:
        sealed = self.sealer.seal(carpark_owner(record.carpark_id), self.PURPOSE, record.event_key,
                                  {"plate": record.plate, "response": record.response})
        actions = [self.model.state.set("done"), self.model.direction.set(record.direction)]
        if sealed is not None:  # None only if the car park's key were erased
            actions.append(self.model.sealed.set(sealed))
        if record.plate:  # the same blind index as reservations: what account closure finds a plate's movements by
            actions.append(self.model.gate_key.set(self.sealer.gate_tag(record.carpark_id, record.plate)))
        self.model(record.event_key).update(actions=actions, condition=self.model.state == "in_progress")

    def by_plate(self, carpark_id: str, plate: str, limit: int) -> list[GateEventRecord]:
        """Finished events at this car park whose read a camera could confuse with this plate."""
        found = self.model.by_gate_key.query(self.sealer.gate_tag(carpark_id, plate), limit=limit)
        return [self._record(i) for i in found]

    def erase(self, record: GateEventRecord) -> None:
        """Re-seal the event with its plate (and its reply's) as ERASED and drop its blind index: the movement stays,
        whose car it was does not."""
        reply = {**(record.response or {}), "plate": ERASED} if record.response is not None else None
        sealed = self.sealer.seal(carpark_owner(record.carpark_id), self.PURPOSE, record.event_key, {"plate": ERASED, "response": reply})
        actions = [self.model.gate_key.remove()] + ([self.model.sealed.set(sealed)] if sealed is not None else [])
        self.model(record.event_key).update(actions=actions, condition=self.model.state == "done")

    def release(self, event_key: str) -> None:
        try:
            self.model(event_key).delete(condition=self.model.state == "in_progress")
        except DeleteError as exc:
            if not condition_failed(exc):  # already done: a finished event is never released
                raise

    def by_carpark(self, carpark_id: str, since: datetime, until: datetime, limit: int | None = None) -> list[GateEventRecord]:
        cond = self.model.occurred_at.between(format_instant(since), _before(until))
        found = self.model.by_carpark.query(carpark_id, range_key_condition=cond, scan_index_forward=False, limit=limit)
        return [self._record(i) for i in found]


class DynamoNotificationFeed:
    """The body (it may name a plate) sealed to the feed's owner: a user, or a car park's pseudo-owner."""

    PURPOSE = "notification"

    def __init__(self, models: OrderModels, enclave: SealingEnclave) -> None:
        self.model = models.notifications
        self.sealer = FieldSealer(enclave)

    def add(self, n: Notification) -> None:
        sealed = self.sealer.seal(n.feed_id, self.PURPOSE, n.notification_id, {"body": n.body})
        item = self.model(n.feed_id, f"{format_instant(n.created_at)}#{n.notification_id}", kind=n.kind, title=n.title, sealed=sealed,
                          reservation_id=n.reservation_id, created_at=format_instant(n.created_at))
        try:
            item.save(condition=self.model.sort_key.does_not_exist())
        except PutError as exc:
            if not condition_failed(exc):
                raise

    def _notification(self, i: Any) -> Notification:
        notification_id = i.sort_key.split("#", 1)[1]
        fields = self.sealer.open(i.feed_id, self.PURPOSE, notification_id, i.sealed) or {"body": ERASED}
        return Notification(i.feed_id, notification_id, i.kind, i.title, fields["body"], _when(i.created_at), i.reservation_id)

    def feed(self, feed_id: str, limit: int) -> list[Notification]:
        return [self._notification(i) for i in self.model.query(feed_id, scan_index_forward=False, limit=limit)]

    def about(self, reservation_id: str, limit: int) -> list[Notification]:
        """Every feed's notifications about one reservation (the parker's, the sharer's, the car park's)."""
        return [self._notification(i) for i in self.model.by_reservation.query(reservation_id, limit=limit)]

    def rewrite(self, n: Notification) -> None:
        """Replace a stored notification's body (sealed again to its feed's owner), keeping its place in the feed."""
        sealed = self.sealer.seal(n.feed_id, self.PURPOSE, n.notification_id, {"body": n.body})
        sort_key = f"{format_instant(n.created_at)}#{n.notification_id}"
        actions = [self.model.sealed.set(sealed)] if sealed is not None else [self.model.sealed.remove()]
        self.model(n.feed_id, sort_key).update(actions=actions, condition=self.model.sort_key.exists())


class DynamoBalances:
    """Balance rows ("balance#<user>") and payout rows ("payout#<order>") in one table, written in one transaction."""

    def __init__(self, models: OrderModels, connection: Any) -> None:
        self.model = models.balances
        self.connection = connection

    def credit(self, p: Payout) -> bool:
        record = self.model(f"payout#{p.payout_id}", account_id=p.account_id, amount_minor=p.amount_minor, fee_minor=p.fee_minor,
                            currency=p.currency, created_at=format_instant(p.created_at))
        balance = self.model(f"balance#{p.account_id}")
        try:
            with TransactWrite(connection=self.connection) as tx:
                tx.save(record, condition=self.model.pk.does_not_exist())
                tx.update(balance, actions=[self.model.balance_minor.add(p.amount_minor), self.model.currency.set(p.currency)],
                          condition=self.model.currency.does_not_exist() | (self.model.currency == p.currency))
        except TransactWriteError as exc:
            codes = [getattr(r, "code", None) for r in (exc.cancellation_reasons or [])]
            if codes and codes[0] == "ConditionalCheckFailed":
                return False
            raise
        return True

    def balance(self, account_id: str) -> tuple[int, str | None]:
        try:
            item = self.model.get(f"balance#{account_id}", consistent_read=True)
        except DoesNotExist:
            return 0, None
        return int(item.balance_minor or 0), item.currency

    def payouts(self, payout_ids: list[str]) -> list[Payout]:
        keys = [f"payout#{i}" for i in dict.fromkeys(payout_ids)]
        return [Payout(i.pk.split("#", 1)[1], i.account_id, int(i.amount_minor or 0), int(i.fee_minor or 0), i.currency,
                       parse_instant(i.created_at, field="created_at"))
                for i in self.model.batch_get(keys, consistent_read=True)]

