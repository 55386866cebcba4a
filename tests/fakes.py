"""In-memory fakes of our own ports. Contract tests (tests/integration/test_repository_contract.py)
run the same assertions against these and against the DynamoDB adapters, so the fakes stay honest."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime

from chalicelib.domain import geo
from chalicelib.domain.accounts import User
from chalicelib.domain.errors import ConcurrentUpdateError, ConflictError, NotFoundError
from chalicelib.domain.reservations import Reservation
from chalicelib.domain.spaces import Space


@dataclass
class FixedClock:
    moment: datetime

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

    def by_owner(self, owner_id: str) -> list[Space]:
        return sorted((s for s in self.items.values() if s.owner_id == owner_id), key=lambda s: s.created_at)

    def pending(self, limit: int) -> list[Space]:
        return sorted((s for s in self.items.values() if s.status == "pending"), key=lambda s: s.created_at)[:limit]

    def in_cells(self, cells: list[str]) -> tuple[list[Space], int]:
        found = [
            s for s in self.items.values()
            if s.status == "approved" and any(geo.encode(s.location.lat, s.location.lng).startswith(c) for c in cells)
        ]
        return found, len(found)


@dataclass
class FakeReservationRepository:
    spaces: FakeSpaceRepository
    items: dict[str, Reservation] = field(default_factory=dict)

    def get(self, reservation_id: str) -> Reservation:
        if reservation_id not in self.items:
            raise NotFoundError("no such reservation", field="reservation_id")
        return self.items[reservation_id]

    def _newest_first(self, pred: object) -> list[Reservation]:
        return sorted((r for r in self.items.values() if pred(r)), key=lambda r: r.start, reverse=True)  # type: ignore[operator]

    def by_parker(self, parker_id: str) -> list[Reservation]:
        return self._newest_first(lambda r: r.parker_id == parker_id)

    def by_sharer(self, sharer_id: str) -> list[Reservation]:
        return self._newest_first(lambda r: r.sharer_id == sharer_id)

    def by_space(self, space_id: str) -> list[Reservation]:
        return self._newest_first(lambda r: r.space_id == space_id)

    def book(self, reservation: Reservation, space: Space, expected_space_version: int) -> None:
        with self.spaces.lock:
            if reservation.reservation_id in self.items:
                raise ConflictError("reservation already exists", field="reservation_id", code="duplicate_reservation")
            self.spaces.check_version(space.space_id, expected_space_version)
            self.items[reservation.reservation_id] = reservation
            self.spaces.items[space.space_id] = space

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
