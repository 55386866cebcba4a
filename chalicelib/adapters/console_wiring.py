"""The console's stores on DynamoDB and S3, built for the composition root (bootstrap.build)."""

from __future__ import annotations

from .. import config
from ..services.carpark_ports import CarParkRepository, StaffRepository
from ..services.console_ports import Console
from ..services.order_ports import NotificationFeed
from ..services.ports import BlobStore, Clock, ReservationRepository
from .console_audit import DynamoAuditLog
from .console_books import DynamoBooks
from .console_members import DynamoCarParkSettings, DynamoMemberPlans, DynamoPlateLists, DynamoStayLookup
from .console_store import DynamoAlerts, DynamoExports, DynamoFeed, DynamoOverrides, DynamoPlateEraser, DynamoPresence
from .console_tables import console_models
from .sealed_fields import SealingEnclave
from .tables import OperationsModels, models


def build_console(om: OperationsModels, sealing: SealingEnclave, blobs: BlobStore, *, carparks: CarParkRepository, staff: StaffRepository,
                  reservations: ReservationRepository, notifications: NotificationFeed, clock: Clock) -> Console:
    item = console_models().items
    return Console(books=DynamoBooks(item, sealing), presence=DynamoPresence(item, sealing), feed=DynamoFeed(item, sealing),
                   lists=DynamoPlateLists(item, sealing), plans=DynamoMemberPlans(item, om, sealing), alerts=DynamoAlerts(item, sealing),
                   overrides=DynamoOverrides(item, sealing), audit=DynamoAuditLog(console_models().audit),
                   settings=DynamoCarParkSettings(om.carparks), exports=DynamoExports(item), stays=DynamoStayLookup(models().reservations),
                   eraser=DynamoPlateEraser(item, sealing), blobs=blobs, carparks=carparks, staff=staff, reservations=reservations,
                   notifications=notifications, clock=clock, currency=config.currency(), quiet_after_s=config.device_quiet_s())
