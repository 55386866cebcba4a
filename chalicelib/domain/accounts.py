"""People: one account can act as parker and sharer; admins come from a user-pool group. Who works at which car
park is a membership of its own (domain/staff.py), not a property of the account."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

PARKER, SHARER, STAFF, ADMIN = "parker", "sharer", "staff", "admin"
SELF_SERVICE_ROLES = frozenset({PARKER, SHARER})
ACTIVE, CLOSED = "active", "closed"
ERASED = "[erased]"  # what a closed account's personal fields read as, everywhere


def normalise_email(text: str) -> str:
    """One person, one account: addresses that differ only in case or surrounding space are the same address.
    Applied before every call to the user pool (sign-up, sign-in, confirmation) and every lookup by email."""
    return text.strip().lower()


@dataclass(frozen=True)
class User:
    user_id: str
    email: str
    display_name: str
    roles: tuple[str, ...]
    status: str
    created_at: datetime
    version: int = 1
    closed_at: datetime | None = None

    def closed(self, now: datetime) -> User:
        """Closed for good: the name and the address go too (the address may sign up again as a new account)."""
        return replace(self, status=CLOSED, closed_at=now, email=ERASED, display_name=ERASED, version=self.version + 1)


@dataclass(frozen=True)
class Principal:
    """Who is calling: the verified token's subject and groups, plus the stored profile's roles."""

    user_id: str
    email: str
    groups: frozenset[str]
    roles: frozenset[str]

    def has(self, role: str) -> bool:
        return role in self.roles or role in self.groups

    @property
    def is_admin(self) -> bool:
        return ADMIN in self.groups
