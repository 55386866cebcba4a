"""In-memory fakes of our own ports. Contract tests (tests/integration/test_repository_contract.py)
run the same assertions against these and against the DynamoDB adapters, so the fakes stay honest."""

from __future__ import annotations

import base64
import hashlib
import itertools
import os
import threading
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from chalicelib.domain import envelope, geo
from chalicelib.domain.accounts import User
from chalicelib.domain.carparks import CarPark, Device, Membership
from chalicelib.domain.errors import (
    ConcurrentUpdateError,
    ConflictError,
    KeyErasedError,
    NotFoundError,
    SealError,
    UnavailableError,
)
from chalicelib.domain.gate import gate_key
from chalicelib.domain.identity import APPROVED, OPEN, IdentityCase
from chalicelib.domain.ledger import header_from_dict, signing_payload
from chalicelib.domain.photos import Claim, EvidenceExport, PhotoSet
from chalicelib.domain.reservations import RESERVED, Reservation
from chalicelib.domain.spaces import Space
from chalicelib.domain.staff import StaffMembership
from chalicelib.services.carpark_ports import GateEventRecord
from chalicelib.services.idempotency import Claimed
from chalicelib.services.order_ports import Charge, Notification, PaymentMethod, Payout
from chalicelib.services.ports import LedgerReceipt, StoredObject, Tokens, UploadTicket


@dataclass
class FixedClock:
    moment: datetime = field(default_factory=lambda: datetime(2026, 11, 24, 12, 0, tzinfo=UTC))

    def now(self) -> datetime:
        return self.moment


@dataclass
class FakeUserRepository:
    items: dict[str, User] = field(default_factory=dict)

    def add(self, user: User) -> None:
        if user.user_id in self.items:
            raise ConflictError("account already exists", field="email", code="account_exists")
        self.items[user.user_id] = user

    def get(self, user_id: str) -> User:
        if user_id not in self.items:
            raise NotFoundError("no such user", field="user_id")
        return self.items[user_id]

    def save(self, user: User, expected_version: int) -> None:
        if self.items.get(user.user_id) is None or self.items[user.user_id].version != expected_version:
            raise ConcurrentUpdateError("account changed meanwhile")
        self.items[user.user_id] = user


@dataclass
class FakeSpaceRepository:
    items: dict[str, Space] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, space: Space) -> None:
        with self.lock:
            if space.space_id in self.items:
                raise ConflictError("space already exists", field="space_id")
            self.items[space.space_id] = space

    def get(self, space_id: str) -> Space:
        if space_id not in self.items:
            raise NotFoundError("no such space", field="space_id")
        return self.items[space_id]

    def check_version(self, space_id: str, expected: int) -> None:
        current = self.items.get(space_id)
        if current is None or current.version != expected:
            raise ConcurrentUpdateError("space changed meanwhile", field="space_id")

    def save(self, space: Space, expected_version: int) -> None:
        with self.lock:
            self.check_version(space.space_id, expected_version)
            self.items[space.space_id] = space

    def by_owner(self, owner_id: str, limit: int | None = None) -> list[Space]:
        return sorted((s for s in self.items.values() if s.owner_id == owner_id), key=lambda s: s.created_at, reverse=True)[:limit]

    def pending(self, limit: int) -> list[Space]:
        return sorted((s for s in self.items.values() if s.status == "pending"), key=lambda s: s.created_at)[:limit]

    def linked_to(self, carpark_id: str, link_state: str, limit: int) -> list[Space]:
        found = (s for s in self.items.values() if s.carpark_id == carpark_id and s.link_state == link_state)
        return sorted(found, key=lambda s: s.created_at)[:limit]

    def in_cells(self, cells: list[str]) -> tuple[list[Space], int]:
        found = [
            s for s in self.items.values()
            if s.status == "approved" and any(geo.encode(s.location.lat, s.location.lng).startswith(c) for c in cells)
        ]
        return found, len(found)


@dataclass
class FakeReservationRepository:
    """The one reservations port in memory (services/ports.py), with the gate's, the sweeps' and the dashboard's
    queries; counts its writes."""

    spaces: FakeSpaceRepository
    items: dict[str, Reservation] = field(default_factory=dict)
    writes: int = 0

    def get(self, reservation_id: str) -> Reservation:
        if reservation_id not in self.items:
            raise NotFoundError("no such reservation", field="reservation_id")
        return self.items[reservation_id]

    def unchanged(self, seen: Reservation) -> Reservation | None:
        stored = self.items.get(seen.reservation_id)
        return seen if stored is not None and stored.version == seen.version else None

    def _newest_first(self, pred: object) -> list[Reservation]:
        return sorted((r for r in self.items.values() if pred(r)), key=lambda r: r.start, reverse=True)  # type: ignore[operator]

    def by_parker(self, parker_id: str, limit: int | None = None) -> list[Reservation]:
        return self._newest_first(lambda r: r.parker_id == parker_id)[:limit]

    def by_sharer(self, sharer_id: str, limit: int | None = None) -> list[Reservation]:
        return self._newest_first(lambda r: r.sharer_id == sharer_id)[:limit]

    def by_space(self, space_id: str, limit: int | None = None) -> list[Reservation]:
        return self._newest_first(lambda r: r.space_id == space_id)[:limit]

    def book(self, reservation: Reservation, space: Space, expected_space_version: int) -> None:
        with self.spaces.lock:
            if reservation.reservation_id in self.items:
                raise ConflictError("reservation already exists", field="reservation_id", code="duplicate_reservation")
            self.spaces.check_version(space.space_id, expected_space_version)
            self.items[reservation.reservation_id] = reservation
            self.spaces.items[space.space_id] = space
            self.writes += 1

    def change(self, reservation: Reservation, expected_version: int, space: Space | None = None,
               expected_space_version: int | None = None) -> None:
        with self.spaces.lock:
            current = self.items.get(reservation.reservation_id)
            if current is None or current.version != expected_version:
                raise ConcurrentUpdateError("reservation changed meanwhile", field="reservation_id")
            if space is not None:
                self.spaces.check_version(space.space_id, expected_space_version or -1)
                self.spaces.items[space.space_id] = space
            self.items[reservation.reservation_id] = reservation
            self.writes += 1

    def for_plate(self, carpark_id: str, plate: str) -> list[Reservation]:
        key = gate_key(carpark_id, plate)
        return [r for r in self.items.values() if r.carpark_id and gate_key(r.carpark_id, r.plate) == key]

    def at_carpark(self, carpark_id: str, limit: int) -> list[Reservation]:
        return self._newest_first(lambda r: r.carpark_id == carpark_id)[:limit]

    def paid_at_carpark(self, carpark_id: str, since: datetime, until: datetime) -> list[Reservation]:
        return [r for r in self.items.values() if r.carpark_id == carpark_id and r.paid_at and since <= r.paid_at < until]

    def expired(self, before: datetime, limit: int) -> list[Reservation]:
        return [r for r in self.items.values() if r.state == RESERVED and r.end <= before][:limit]

    def uncharged(self, limit: int) -> list[Reservation]:
        due = ("billed", "cancelled", "no_show")
        return [r for r in self.items.values() if r.state in due and r.amount_due_minor > 0 and r.charge_id is None][:limit]


@dataclass
class FakeIdentityProvider:
    signed_out: list[str] = field(default_factory=list)
    groups: dict[str, set[str]] = field(default_factory=dict)
    accounts: set[str] = field(default_factory=set)  # user ids are the addresses here
    deleted: list[str] = field(default_factory=list)

    def sign_up(self, email: str, password: str) -> str:
        if email in self.accounts:
            raise ConflictError("an account with this email already exists", field="email", code="account_exists")
        self.accounts.add(email)
        return email

    def find_user_id(self, email: str) -> str | None:
        return email if email in self.accounts else None

    def delete_user(self, user_id: str) -> None:
        self.accounts.discard(user_id)
        self.deleted.append(user_id)

    def confirm(self, email: str, code: str) -> None:
        return None

    def sign_in(self, email: str, password: str) -> Tokens:
        return Tokens(email, email, None, 3600)

    def verify(self, token: str) -> dict[str, object]:
        return {"sub": token}

    def sign_out_everywhere(self, user_id: str) -> None:
        self.signed_out.append(user_id)

    def add_to_group(self, user_id: str, group: str) -> None:
        self.groups.setdefault(user_id, set()).add(group)


class FakeEnclave:
    """Real AES-GCM with one key per user and the (user, purpose, object) triple as associated data,
    so a test that relies on the fake for refusals still sees real refusals."""

    def __init__(self) -> None:
        self.keys: dict[str, bytes] = {}
        self.erased: set[str] = set()
        self.unsealed: list[tuple[str, str, str]] = []
        self.device_key = ec.generate_private_key(ec.SECP256R1())

    def device_public_key_pem(self) -> str:
        return self.device_key.public_key().public_bytes(serialization.Encoding.PEM,
                                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()

    def reseal_from_device(self, user_id: str, purpose: str, label: str, object_id: str, data: bytes) -> bytes:
        return self.seal(user_id, purpose, object_id, envelope.open_in_enclave(self.device_key, user_id, purpose, label, data))

    def _key(self, user_id: str) -> bytes:
        if user_id in self.erased:
            raise KeyErasedError("erased")
        return self.keys.setdefault(user_id, AESGCM.generate_key(256))

    def seal(self, user_id: str, purpose: str, object_id: str, plaintext: bytes) -> bytes:
        nonce = os.urandom(12)
        return nonce + AESGCM(self._key(user_id)).encrypt(nonce, plaintext, f"{user_id}|{purpose}|{object_id}".encode())

    def unseal(self, user_id: str, purpose: str, object_id: str, ciphertext: bytes) -> bytes:
        key = self._key(user_id)
        try:
            plaintext = AESGCM(key).decrypt(ciphertext[:12], ciphertext[12:], f"{user_id}|{purpose}|{object_id}".encode())
        except Exception as exc:  # noqa: BLE001 - any failure is a refusal, as in the real adapter
            raise SealError("refused") from exc
        self.unsealed.append((user_id, purpose, object_id))
        return plaintext

    def erase_user(self, user_id: str) -> None:
        self.erased.add(user_id)
        self.keys.pop(user_id, None)


@dataclass(frozen=True)
class RecordedEntry:
    log: str
    action: str
    user_id: str
    order_id: str
    sealed: dict[str, str]
    digests: dict[str, str] | None


class InMemoryLedger:
    """The Ledger port, append-only, in memory."""

    def __init__(self) -> None:
        self.entries: list[RecordedEntry] = []

    def record(self, *, log: str, action: str, user_id: str, order_id: str, sealed: dict[str, str],
               digests: dict[str, str] | None = None) -> LedgerReceipt:
        seq = sum(1 for e in self.entries if e.log == log)
        self.entries.append(RecordedEntry(log, action, user_id, order_id, dict(sealed), dict(digests) if digests else None))
        return LedgerReceipt(log, seq, f"{log}:{seq}")


NOON = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def user(user_id: str = "u1", status: str = "active") -> User:
    return User(user_id, f"{user_id}@example.com", user_id, ("parker",), status, datetime(2026, 1, 1, tzinfo=UTC))


class FakeIdentityCases:
    def __init__(self) -> None:
        self.items: dict[str, IdentityCase] = {}

    def get(self, user_id: str) -> IdentityCase | None:
        return self.items.get(user_id)

    def save(self, case: IdentityCase, expected_version: int | None) -> None:
        current = self.items.get(case.user_id)
        if (current.version if current else None) != expected_version:
            raise ConcurrentUpdateError("the identity case changed meanwhile")
        self.items[case.user_id] = case

    def open_cases(self, limit: int) -> list[IdentityCase]:
        return [c for c in self.items.values() if c.status == OPEN][:limit]

    def is_verified(self, user_id: str) -> bool:
        case = self.items.get(user_id)
        return case is not None and case.status == APPROVED


class Ids:
    def __init__(self, prefix: str = "id") -> None:
        self.prefix, self.n = prefix, 0

    def __call__(self) -> str:
        self.n += 1
        return f"{self.prefix}{self.n}"


@dataclass
class FakeClock:
    current: datetime = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0))

    def now(self) -> datetime:
        return self.current

    def set(self, moment: datetime) -> None:
        self.current = moment.replace(microsecond=0)

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


class FakeLedger(InMemoryLedger):
    """The ledger fake of the order tests: sealed values must be strings, entries found by order."""

    def record(self, *, log: str, action: str, user_id: str, order_id: str, sealed: dict[str, str],
               digests: dict[str, str] | None = None) -> LedgerReceipt:
        if not all(isinstance(v, str) for v in sealed.values()):
            raise TypeError("sealed values must be strings")
        return super().record(log=log, action=action, user_id=user_id, order_id=order_id, sealed=sealed, digests=digests)

    def for_order(self, order_id: str) -> list[RecordedEntry]:
        return [e for e in self.entries if e.order_id == order_id]


# ---------------------------------------------------------------- the order lifecycle's ports, in memory


FakeSpaces = FakeSpaceRepository


FakeReservations = FakeReservationRepository


class FakeCarParks:
    def __init__(self) -> None:
        self.items: dict[str, CarPark] = {}

    def add(self, carpark: CarPark) -> None:
        self.items[carpark.carpark_id] = carpark

    def get(self, carpark_id: str) -> CarPark:
        if carpark_id not in self.items:
            raise NotFoundError("no such car park", field="carpark_id")
        return self.items[carpark_id]


class FakeStaff:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], StaffMembership] = {}

    def add(self, m: StaffMembership) -> None:
        if (m.carpark_id, m.user_id) in self.items:
            raise ConcurrentUpdateError("the membership changed meanwhile", field="user_id")
        self.items[(m.carpark_id, m.user_id)] = m

    def save(self, m: StaffMembership, expected_version: int) -> None:
        current = self.items.get((m.carpark_id, m.user_id))
        if current is None or current.version != expected_version:
            raise ConcurrentUpdateError("the membership changed meanwhile", field="user_id")
        self.items[(m.carpark_id, m.user_id)] = m

    def find(self, carpark_id: str, user_id: str) -> StaffMembership | None:
        return self.items.get((carpark_id, user_id))

    def by_carpark(self, carpark_id: str, limit: int) -> list[StaffMembership]:
        return sorted((m for (c, _), m in self.items.items() if c == carpark_id), key=lambda m: m.user_id)[:limit]

    def by_user(self, user_id: str, limit: int) -> list[StaffMembership]:
        return sorted((m for (_, u), m in self.items.items() if u == user_id), key=lambda m: m.carpark_id)[:limit]


class FakeDevices:
    def __init__(self) -> None:
        self.items: dict[str, Device] = {}

    def add(self, device: Device) -> None:
        self.items[device.device_id] = device

    def get(self, device_id: str) -> Device:
        if device_id not in self.items:
            raise NotFoundError("no such device", field="device_id")
        return self.items[device_id]

    def save(self, device: Device, expected_version: int) -> None:
        if self.get(device.device_id).version != expected_version:
            raise ConcurrentUpdateError("device changed meanwhile", field="device_id")
        self.items[device.device_id] = device

    def by_carpark(self, carpark_id: str) -> list[Device]:
        return [d for d in self.items.values() if d.carpark_id == carpark_id]


class FakeMemberships:
    def __init__(self) -> None:
        self.items: list[Membership] = []

    def add(self, membership: Membership) -> None:
        self.items.append(membership)

    def by_carpark(self, carpark_id: str, limit: int | None = None) -> list[Membership]:
        return [m for m in self.items if m.carpark_id == carpark_id][:limit]

    def for_plate(self, carpark_id: str, plate: str) -> list[Membership]:
        return [m for m in self.items if gate_key(m.carpark_id, m.plate) == gate_key(carpark_id, plate)]


class FakeSecretBox:
    """Not encryption: a reversible wrapping bound to the device id, enough to show the binding is checked."""

    def seal(self, device_id: str, secret: bytes) -> bytes:
        return device_id.encode() + b"|" + secret

    def open(self, device_id: str, secret_version: int, sealed: bytes) -> bytes:
        owner, _, secret = sealed.partition(b"|")
        if owner != device_id.encode():
            raise ValueError("sealed for another device")
        return secret


class FakeGateEvents:
    def __init__(self) -> None:
        self.items: dict[str, GateEventRecord] = {}

    def claim(self, record: GateEventRecord) -> Claimed[dict[str, object]] | None:
        if record.event_key in self.items:
            found = self.items[record.event_key]
            return Claimed(found.request_hash, dict(found.response) if found.state == "done" and found.response else None)
        self.items[record.event_key] = replace(record, state="in_progress", direction=None, plate=None, response=None)
        return None

    def finish(self, record: GateEventRecord, response: dict[str, object]) -> None:
        assert self.items[record.event_key].state == "in_progress"
        self.items[record.event_key] = replace(record, state="done", response=response)

    def release(self, record: GateEventRecord) -> None:
        if self.items.get(record.event_key) and self.items[record.event_key].state == "in_progress":
            del self.items[record.event_key]

    def by_carpark(self, carpark_id: str, since: datetime, until: datetime, limit: int | None = None) -> list[GateEventRecord]:
        found = [e for e in self.items.values() if e.carpark_id == carpark_id and since <= e.occurred_at < until]
        return sorted(found, key=lambda e: e.occurred_at, reverse=True)[:limit]

    def by_plate(self, carpark_id: str, plate: str, limit: int) -> list[GateEventRecord]:
        key = gate_key(carpark_id, plate)
        found = [e for e in self.items.values() if e.plate and e.plate != "[erased]" and gate_key(e.carpark_id, e.plate) == key]
        return sorted(found, key=lambda e: e.occurred_at)[:limit]

    def erase(self, record: GateEventRecord) -> None:
        reply = {**record.response, "plate": "[erased]"} if record.response is not None else None
        self.items[record.event_key] = replace(record, plate="[erased]", response=reply)


class FakeNotifications:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], Notification] = {}

    def add(self, n: Notification) -> None:
        self.items.setdefault((n.feed_id, f"{n.created_at.isoformat()}#{n.notification_id}"), n)

    def feed(self, feed_id: str, limit: int) -> list[Notification]:
        mine = sorted(((k, n) for k, n in self.items.items() if k[0] == feed_id), key=lambda kn: kn[0][1], reverse=True)
        return [n for _, n in mine][:limit]

    def about(self, reservation_id: str, limit: int) -> list[Notification]:
        return sorted((n for n in self.items.values() if n.reservation_id == reservation_id), key=lambda n: n.feed_id)[:limit]

    def rewrite(self, n: Notification) -> None:
        key = (n.feed_id, f"{n.created_at.isoformat()}#{n.notification_id}")
        assert key in self.items
        self.items[key] = n


class FakeBalances:
    def __init__(self) -> None:
        self.payouts_by_id: dict[str, Payout] = {}
        self.balances: dict[str, tuple[int, str]] = {}

    def credit(self, payout: Payout) -> bool:
        if payout.payout_id in self.payouts_by_id:
            return False
        self.payouts_by_id[payout.payout_id] = payout
        amount, _ = self.balances.get(payout.account_id, (0, payout.currency))
        self.balances[payout.account_id] = (amount + payout.amount_minor, payout.currency)
        return True

    def balance(self, account_id: str) -> tuple[int, str | None]:
        amount, currency = self.balances.get(account_id, (0, None))
        return amount, currency

    def payouts(self, payout_ids: list[str]) -> list[Payout]:
        return [self.payouts_by_id[i] for i in dict.fromkeys(payout_ids) if i in self.payouts_by_id]


class FakePayments:
    """Charges keyed by idempotency key; settlement is the test's explicit call."""

    def __init__(self) -> None:
        self.methods: dict[str, PaymentMethod] = {}
        self.by_key: dict[str, tuple[str, Charge]] = {}
        self.ids = itertools.count(1)
        self.outage = False  # while True the provider cannot be reached

    def save_method(self, customer_id: str, token: str) -> PaymentMethod:
        self.methods[customer_id] = PaymentMethod(customer_id, f"pm_{token}", "visa", "4242")
        return self.methods[customer_id]

    def method(self, customer_id: str) -> PaymentMethod | None:
        return self.methods.get(customer_id)

    def _once(self, key: str, charge: Charge) -> Charge:
        fingerprint = hashlib.sha256(repr((charge.kind, charge.customer_id, charge.amount_minor, charge.reference)).encode()).hexdigest()
        if key in self.by_key:
            if self.by_key[key][0] != fingerprint:
                raise ConflictError("idempotency key reused", code="idempotency_key_reused")
            return self.by_key[key][1]
        self.by_key[key] = (fingerprint, charge)
        return charge

    def create_charge(self, *, customer_id: str, amount_minor: int, currency: str, reference: str, idempotency_key: str) -> Charge:
        if self.outage:
            raise UnavailableError("payment provider unreachable")
        return self._once(idempotency_key, Charge(f"ch_{next(self.ids)}", customer_id, amount_minor, currency, reference, "pending"))

    def refund(self, *, charge_id: str, amount_minor: int, reference: str, idempotency_key: str) -> Charge:
        return self._once(idempotency_key, Charge(f"re_{next(self.ids)}", "", amount_minor, "EUR", reference, "pending", "refund"))

    def charges(self) -> list[Charge]:
        return [c for _, c in self.by_key.values()]


def fake_reservation(**fields: object) -> Reservation:
    base = Reservation("r1", "s1", "parker", "sharer", "AB123C", datetime(2026, 12, 1, 9, tzinfo=UTC),
                       datetime(2026, 12, 1, 11, tzinfo=UTC), 400, "EUR", RESERVED, 1, datetime(2026, 11, 30, tzinfo=UTC), "w1",
                       carpark_id="cp1", lot="A1")
    return replace(base, **fields)  # type: ignore[arg-type]


class Fault:
    """What a faulty validator does instead of answering honestly (tests/service/test_ledger_faults.py)."""

    CRASH, TIMEOUT, GARBAGE, OTHER_BLOCK, EQUIVOCATE = "crash", "timeout", "garbage", "other_block", "equivocate"


class FaultyValidators:
    """The validator transport with up to N validators misbehaving; `release` ends every pending timeout."""

    def __init__(self, honest: Any, signers: dict[str, Any], watermarks: Any) -> None:
        self.honest, self.signers, self.watermarks = honest, signers, watermarks
        self.faults: dict[str, str] = {}
        self.released = threading.Event()
        self.calls: list[str] = []

    def request(self, validator_id: str, request: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(validator_id)
        fault = self.faults.get(validator_id)
        if fault == Fault.CRASH:
            raise RuntimeError(f"{validator_id} crashed")
        if fault == Fault.TIMEOUT:
            self.released.wait(5)
        if fault == Fault.GARBAGE:
            return {"validator_id": validator_id, "signature": base64.b64encode(os.urandom(70)).decode()}
        if fault == Fault.OTHER_BLOCK:
            other = {**request["header"], "root": "ab" * 32}
            payload = signing_payload(header_from_dict(other))
            return {"validator_id": validator_id, "signature": base64.b64encode(self.signers[validator_id].sign(payload)).decode()}
        if fault == Fault.EQUIVOCATE:
            # It already signed a conflicting block at this height: its own watermark must make it refuse.
            self.watermarks.raise_to(validator_id, request["log"], request["height"], "cd" * 32)
        reply: dict[str, Any] = self.honest.request(validator_id, request)
        return reply

# ---------------------------------------------------------------- accident evidence (issue 6)


@dataclass
class FakeBlobStore:
    objects: dict[str, bytes] = field(default_factory=dict)

    def upload_ticket(self, key: str, content_type: str, max_bytes: int, sha256_hex: str | None = None) -> UploadTicket:
        return UploadTicket(f"memory://{key}", "PUT", {"Content-Type": content_type}, key, 900)

    def head(self, key: str) -> StoredObject | None:
        data = self.objects.get(key)
        return None if data is None else StoredObject(key, len(data), "application/octet-stream", "aws:kms", None)

    def read(self, key: str, max_bytes: int) -> bytes | None:
        data = self.objects.get(key)
        return data if data is not None and len(data) <= max_bytes else None

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.objects[key] = data

    def get(self, key: str) -> bytes:
        if key not in self.objects:
            raise NotFoundError("no such document", field="key")
        return self.objects[key]

    def delete(self, key: str) -> None:
        self.objects.pop(key, None)

    def download_url(self, key: str, filename: str, ttl_s: int) -> str:
        return f"memory://{key}"


@dataclass
class FakePhotoSetRepository:
    items: dict[tuple[str, str], PhotoSet] = field(default_factory=dict)

    def put_requested(self, s: PhotoSet) -> None:
        existing = self.items.get((s.order_id, s.phase))
        if existing is not None and existing.status != "requested":
            raise ConflictError("already recorded", field="phase", code="set_exists")
        self.items[(s.order_id, s.phase)] = s

    def get(self, order_id: str, phase: str) -> PhotoSet:
        if (order_id, phase) not in self.items:
            raise NotFoundError("no such set", field="phase")
        return self.items[(order_id, phase)]

    def save(self, s: PhotoSet, expected_version: int) -> None:
        if self.items[(s.order_id, s.phase)].version != expected_version:
            raise ConcurrentUpdateError("photo set changed meanwhile")
        self.items[(s.order_id, s.phase)] = s

    def for_order(self, order_id: str) -> list[PhotoSet]:
        return [s for (o, _), s in self.items.items() if o == order_id]

    def forget(self, order_id: str, phase: str) -> None:
        self.items.pop((order_id, phase), None)


@dataclass
class FakeClaimRepository:
    items: dict[str, Claim] = field(default_factory=dict)

    def add(self, c: Claim) -> None:
        if c.claim_id in self.items:
            raise ConflictError("claim exists", field="claim_id")
        self.items[c.claim_id] = c

    def save(self, c: Claim, expected_version: int) -> None:
        if self.items[c.claim_id].version != expected_version:
            raise ConcurrentUpdateError("claim changed meanwhile")
        self.items[c.claim_id] = c

    def get(self, claim_id: str) -> Claim:
        if claim_id not in self.items:
            raise NotFoundError("no such claim", field="claim_id")
        return self.items[claim_id]

    def for_order(self, order_id: str) -> list[Claim]:
        return [c for c in self.items.values() if c.order_id == order_id]


@dataclass
class FakeEvidenceSource:
    """Certifies everything the FakeLedger recorded in one block per log, signed by test validator keys,
    and returns a real carparker.evidence/v1 bundle that chalicelib.verify accepts."""

    ledger: FakeLedger

    def bundle(self, entry_ids: list[str]) -> dict[str, object]:
        from chalicelib.domain.ledger import Entry
        from tests.unit import bundle_factory as bf

        certified = bf.Ledger()
        for log in ("parent", "side"):
            recorded = [e for e in self.ledger.entries if e.log == log]
            entries = [Entry(log=log, seq=seq, action=e.action, user_id=e.user_id, order_id=e.order_id,
                             recorded_at="2026-11-24T12:00:00Z",
                             sealed={k: base64.b64encode(v.encode()).decode() for k, v in e.sealed.items()},
                             digests=dict(e.digests or {}))
                       for seq, e in enumerate(recorded)]
            if entries:
                certified.append_block(log, entries, "2026-11-24T12:00:01Z")
        items = [bf._item(certified, log, int(seq), 0, (0, 1, 2)) for log, seq in (i.split(":") for i in entry_ids)]
        for item in items:
            item.pop("attachments", None)
        return {"format": "carparker.evidence/v1", "ledger_id": bf.LEDGER_ID, "validator_set": bf.validator_set(), "items": items}


@dataclass
class FakeExportLog:
    items: dict[str, EvidenceExport] = field(default_factory=dict)

    def add(self, e: EvidenceExport) -> None:
        if e.export_id in self.items:
            raise ConflictError("export exists", field="export_id")
        self.items[e.export_id] = e

    def due(self, now: datetime, limit: int) -> list[EvidenceExport]:
        return sorted((e for e in self.items.values() if e.expires_at <= now), key=lambda e: e.expires_at)[:limit]

    def of_user(self, user_id: str, limit: int) -> list[EvidenceExport]:
        return [e for e in self.items.values() if user_id in (e.parker_id, e.viewer_id)][:limit]

    def remove(self, export_id: str) -> None:
        self.items.pop(export_id, None)
