"""Photo sets and claims in DynamoDB; every write is conditional."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist
from pynamodb.models import Model

from .. import config
from ..domain.errors import ConcurrentUpdateError, ConflictError, NotFoundError
from ..domain.photos import Claim, EvidenceExport, Photo, PhotoSet
from ..domain.timeutil import format_instant, parse_instant
from .dynamo import conditional_save
from .tables import _index, _meta


@dataclass(frozen=True)
class EvidenceModels:
    photo_sets: Any
    claims: Any
    exports: Any


@functools.lru_cache(maxsize=8)
def _build(prefix: str, region: str) -> EvidenceModels:
    del prefix

    class PhotoSetItem(Model):
        Meta = _meta("photo-sets", region)
        order_id = UnicodeAttribute(hash_key=True)
        phase = UnicodeAttribute(range_key=True)
        parker_id = UnicodeAttribute()
        status = UnicodeAttribute()
        photos = JSONAttribute()
        requested_at = UnicodeAttribute()
        sealed_meta = UnicodeAttribute(null=True)
        version = NumberAttribute()

    class ClaimItem(Model):
        Meta = _meta("claims", region)
        claim_id = UnicodeAttribute(hash_key=True)
        order_id = UnicodeAttribute()
        body = UnicodeAttribute()  # the claim as JSON; only ids and times, never evidence
        version = NumberAttribute()
        by_order = _index("by_order", "order_id", None)()

    class ExportItem(Model):
        Meta = _meta("evidence-exports", region)
        export_id = UnicodeAttribute(hash_key=True)
        object_key = UnicodeAttribute()
        parker_id = UnicodeAttribute()
        viewer_id = UnicodeAttribute()
        order_id = UnicodeAttribute()
        created_at = UnicodeAttribute()
        expires_at = UnicodeAttribute()
        live = UnicodeAttribute()  # one constant partition: the sweep reads the due ones in expiry order
        purge_after = NumberAttribute()  # DynamoDB TTL, a backstop for the record only (the sweep deletes both)
        by_due = _index("by_due", "live", "expires_at")()
        by_parker = _index("by_parker", "parker_id", "expires_at")()
        by_viewer = _index("by_viewer", "viewer_id", "expires_at")()

    return EvidenceModels(PhotoSetItem, ClaimItem, ExportItem)


def evidence_models() -> EvidenceModels:
    return _build(config.resource_prefix(), config.region())


def _photo_set(item: Any) -> PhotoSet:
    return PhotoSet(item.order_id, item.phase, item.parker_id, item.status, tuple(Photo(**p) for p in item.photos),
                    parse_instant(item.requested_at, field="requested_at"), int(item.version), item.sealed_meta)


class DynamoPhotoSetRepository:
    def __init__(self, models: EvidenceModels) -> None:
        self.model = models.photo_sets

    def _item(self, s: PhotoSet) -> Any:
        return self.model(s.order_id, s.phase, parker_id=s.parker_id, status=s.status, photos=[p.__dict__ for p in s.photos],
                          requested_at=format_instant(s.requested_at), sealed_meta=s.sealed_meta, version=s.version)

    def put_requested(self, s: PhotoSet) -> None:
        """A new request replaces an earlier one for the same phase only while nothing is recorded."""
        condition = self.model.order_id.does_not_exist() | (self.model.status == "requested")
        conditional_save(self._item(s), condition, ConflictError(f"the {s.phase} set is already recorded", field="phase", code="set_exists"))

    def get(self, order_id: str, phase: str) -> PhotoSet:
        try:
            return _photo_set(self.model.get(order_id, phase, consistent_read=True))
        except DoesNotExist:
            raise NotFoundError(f"no {phase} photo set requested for this order", field="phase") from None

    def save(self, s: PhotoSet, expected_version: int) -> None:
        conditional_save(self._item(s), self.model.version == expected_version, ConcurrentUpdateError("photo set changed meanwhile", field="phase"))

    def for_order(self, order_id: str) -> list[PhotoSet]:
        return [_photo_set(i) for i in self.model.query(order_id, consistent_read=True)]

    def forget(self, order_id: str, phase: str) -> None:
        """Delete a set's record (its digests identify the photos); the ledger keeps only salted commitments."""
        self.model(order_id, phase).delete()


def claim_to_json(c: Claim) -> str:
    return json.dumps({**c.__dict__, "opened_at": format_instant(c.opened_at), "expires_at": format_instant(c.expires_at),
                       "closed_at": format_instant(c.closed_at) if c.closed_at else None})


def claim_from_json(text: str) -> Claim:
    d = json.loads(text)
    return Claim(**{**d, "share_with": tuple(d["share_with"]), "access_log": tuple(tuple(a) for a in d["access_log"]),
                    "opened_at": parse_instant(d["opened_at"], field="opened_at"),
                    "expires_at": parse_instant(d["expires_at"], field="expires_at"),
                    "closed_at": parse_instant(d["closed_at"], field="closed_at") if d["closed_at"] else None})


class DynamoClaimRepository:
    def __init__(self, models: EvidenceModels) -> None:
        self.model = models.claims

    def _save(self, c: Claim, condition: Any, error: Exception) -> None:
        conditional_save(self.model(c.claim_id, order_id=c.order_id, body=claim_to_json(c), version=c.version), condition, error)

    def add(self, c: Claim) -> None:
        self._save(c, self.model.claim_id.does_not_exist(), ConflictError("claim exists", field="claim_id"))

    def save(self, c: Claim, expected_version: int) -> None:
        self._save(c, self.model.version == expected_version, ConcurrentUpdateError("claim changed meanwhile", field="claim_id"))

    def get(self, claim_id: str) -> Claim:
        try:
            return claim_from_json(self.model.get(claim_id, consistent_read=True).body)
        except DoesNotExist:
            raise NotFoundError("no such claim", field="claim_id") from None

    def for_order(self, order_id: str) -> list[Claim]:
        return [claim_from_json(i.body) for i in self.model.by_order.query(order_id)]


LIVE = "live"
PURGE_AFTER_S = 24 * 3600


class DynamoExportLog:
    def __init__(self, models: EvidenceModels) -> None:
        self.model = models.exports

    @staticmethod
    def _export(i: Any) -> EvidenceExport:
        return EvidenceExport(i.export_id, i.object_key, i.parker_id, i.viewer_id, i.order_id,
                              parse_instant(i.created_at, field="created_at"), parse_instant(i.expires_at, field="expires_at"))

    def add(self, e: EvidenceExport) -> None:
        item = self.model(e.export_id, object_key=e.object_key, parker_id=e.parker_id, viewer_id=e.viewer_id, order_id=e.order_id,
                          created_at=format_instant(e.created_at), expires_at=format_instant(e.expires_at), live=LIVE,
                          purge_after=int(e.expires_at.timestamp()) + PURGE_AFTER_S)
        conditional_save(item, self.model.export_id.does_not_exist(), ConflictError("export exists", field="export_id"))

    def due(self, now: datetime, limit: int) -> list[EvidenceExport]:
        found = self.model.by_due.query(LIVE, range_key_condition=self.model.expires_at <= format_instant(now), limit=limit)
        return [self._export(i) for i in found]

    def of_user(self, user_id: str, limit: int) -> list[EvidenceExport]:
        seen = {}
        for index in (self.model.by_parker, self.model.by_viewer):
            for i in index.query(user_id, limit=limit):
                seen[i.export_id] = self._export(i)
        return list(seen.values())

    def remove(self, export_id: str) -> None:
        self.model(export_id).delete()
