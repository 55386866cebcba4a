"""Notification feeds: a user's, or a car park's."""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import PutError

from ..domain.timeutil import format_instant
from ..services.order_ports import Notification
from .dynamo import condition_failed, stored_instant
from .sealed_fields import ERASED, FieldSealer, SealingEnclave
from .tables import OperationsModels


class DynamoNotificationFeed:
    """The body (it may name a plate) sealed to the feed's owner: a user, or a car park's pseudo-owner."""

    PURPOSE = "notification"

    def __init__(self, models: OperationsModels, enclave: SealingEnclave) -> None:
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
        return Notification(i.feed_id, notification_id, i.kind, i.title, fields["body"], stored_instant(i.created_at), i.reservation_id)

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
