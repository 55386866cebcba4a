"""The console's stores on DynamoDB and S3, built for the composition root (bootstrap.build_orders)."""

from __future__ import annotations

from .. import config
from ..services.console_ports import Console
from ..services.ports import BlobStore
from .console_audit import DynamoAuditLog
from .console_books import DynamoBooks
from .console_members import DynamoCarParkSettings, DynamoMemberPlans, DynamoPlateLists, DynamoStayLookup
from .console_store import DynamoAlerts, DynamoExports, DynamoFeed, DynamoOverrides, DynamoPlateEraser, DynamoPresence
from .console_tables import console_models
from .sealed_fields import SealingEnclave
from .tables import OrderModels, models


def build_console(om: OrderModels, sealing: SealingEnclave, blobs: BlobStore) -> Console:
    cm = console_models()
    item = cm.items
    return Console(books=DynamoBooks(item, sealing), presence=DynamoPresence(item, sealing), feed=DynamoFeed(item, sealing),
                   lists=DynamoPlateLists(item, sealing), plans=DynamoMemberPlans(item, om, sealing), alerts=DynamoAlerts(item, sealing),
                   overrides=DynamoOverrides(item, sealing), audit=DynamoAuditLog(cm.audit), settings=DynamoCarParkSettings(om.carparks),
                   exports=DynamoExports(item), stays=DynamoStayLookup(models().reservations), eraser=DynamoPlateEraser(item, sealing),
                   blobs=blobs, currency=config.currency(), quiet_after_s=config.device_quiet_s())
