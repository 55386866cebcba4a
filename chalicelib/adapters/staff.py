"""Car-park memberships in DynamoDB: (carpark_id, user_id) items, a by_user index, conditional writes only."""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import DoesNotExist

from ..domain.errors import ConcurrentUpdateError
from ..domain.staff import StaffMembership
from ..domain.timeutil import format_instant, parse_instant
from .dynamo import conditional_save
from .tables import OperationsModels


def _when(text: str | None) -> Any:
    return parse_instant(text, field="stored") if text else None


class DynamoStaffRepository:
    def __init__(self, models: OperationsModels) -> None:
        self.model = models.staff

    def _item(self, m: StaffMembership) -> Any:
        return self.model(m.carpark_id, m.user_id, role=m.role, state=m.state, invited_by=m.invited_by,
                          invited_at=format_instant(m.invited_at), decided_at=format_instant(m.decided_at) if m.decided_at else None,
                          ended_by=m.ended_by, version=m.version)

    @staticmethod
    def _membership(i: Any) -> StaffMembership:
        return StaffMembership(i.carpark_id, i.user_id, i.role, i.state, i.invited_by, _when(i.invited_at), _when(i.decided_at),
                               i.ended_by, int(i.version))

    def add(self, m: StaffMembership) -> None:
        # Lost a race with another invitation: the caller re-reads and decides again (retry.on_conflict).
        conditional_save(self._item(m), self.model.user_id.does_not_exist(),
                         ConcurrentUpdateError("the membership changed meanwhile", field="user_id"))

    def save(self, m: StaffMembership, expected_version: int) -> None:
        conditional_save(self._item(m), self.model.version == expected_version,
                         ConcurrentUpdateError("the membership changed meanwhile", field="user_id"))

    def find(self, carpark_id: str, user_id: str) -> StaffMembership | None:
        try:
            return self._membership(self.model.get(carpark_id, user_id, consistent_read=True))
        except DoesNotExist:
            return None

    def by_carpark(self, carpark_id: str, limit: int) -> list[StaffMembership]:
        return [self._membership(i) for i in self.model.query(carpark_id, limit=limit)]

    def by_user(self, user_id: str, limit: int) -> list[StaffMembership]:
        return [self._membership(i) for i in self.model.by_user.query(user_id, limit=limit)]
