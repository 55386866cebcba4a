"""User accounts on DynamoDB. Every write is conditional: on the item's absence or on its version."""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist
from pynamodb.models import Model

from ..domain.accounts import User
from ..domain.errors import ConcurrentUpdateError, ConflictError, NotFoundError
from ..domain.timeutil import format_instant, parse_instant
from .dynamo import conditional_save
from .tables import Models


class DynamoUserRepository:
    def __init__(self, models: Models) -> None:
        self.model = models.users

    def _item(self, user: User) -> Model:
        return self.model(
            user.user_id,
            email=user.email,
            display_name=user.display_name,
            roles=list(user.roles),
            status=user.status,
            created_at=format_instant(user.created_at),
            closed_at=format_instant(user.closed_at) if user.closed_at else None,
            version=user.version,
        )

    def add(self, user: User) -> None:
        conditional_save(self._item(user), self.model.user_id.does_not_exist(), ConflictError("account already exists", field="email", code="account_exists"))

    def get(self, user_id: str) -> User:
        try:
            item = self.model.get(user_id, consistent_read=True)
        except DoesNotExist:
            raise NotFoundError("no such user", field="user_id") from None
        return User(
            user_id=item.user_id,
            email=item.email,
            display_name=item.display_name,
            roles=tuple(item.roles),
            status=item.status,
            created_at=parse_instant(item.created_at, field="created_at"),
            version=int(item.version),
            closed_at=parse_instant(item.closed_at, field="closed_at") if item.closed_at else None,
        )

    def save(self, user: User, expected_version: int) -> None:
        conditional_save(self._item(user), self.model.version == expected_version, ConcurrentUpdateError("account changed meanwhile"))
