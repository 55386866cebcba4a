"""The console's tables (infra/template.json ConsoleTable, ConsoleAuditTable), bound to their names at call time.

`<prefix>-console` is one table of many item families, each under its own partition key prefix (docs/console-api.md
"Storage"): aggregates `agg#`, book rows `book#`, cars inside `in#` (their counter `occ#`), movements `mv#`, plate lists
`pl#` and their guards `plg#`, member calendars `mcal#`, alerts `al#` and their guards `alg#`, overrides `ovr#`,
exports `exp#`. Two sparse indexes: `gsi1` (families that need a second order: cars inside by entry time, plate
lists by blind index, open alerts, exports by expiry) and `by_ptag` (every item holding a plate, by the plate's
gate blind index, so account closure finds them). `<prefix>-console-audit` holds the audit trail alone: the app may
put there, never update or delete.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import BinaryAttribute, JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from .. import config
from .tables import _index, _meta


@dataclass(frozen=True)
class ConsoleModels:
    items: Any
    audit: Any


@functools.lru_cache(maxsize=8)
def _build(prefix: str, region: str) -> ConsoleModels:
    del prefix  # part of the cache key: config.table_name reads it

    class ConsoleItem(Model):
        Meta = _meta("console", region)
        pk = UnicodeAttribute(hash_key=True)
        sk = UnicodeAttribute(range_key=True)
        data = JSONAttribute(null=True)
        sealed = BinaryAttribute(null=True, legacy_encoding=False)  # plates (and alert bodies), sealed to the car park
        version = NumberAttribute(null=True)
        gsi1pk = UnicodeAttribute(null=True)
        gsi1sk = UnicodeAttribute(null=True)
        ptag = UnicodeAttribute(null=True)
        expires_at = NumberAttribute(null=True)  # DynamoDB TTL (epoch seconds) where an item may go by itself
        gsi1 = _index("gsi1", "gsi1pk", "gsi1sk")()
        by_ptag = _index("by_ptag", "ptag", "sk")()

    class AuditItem(Model):
        Meta = _meta("console-audit", region)
        carpark_id = UnicodeAttribute(hash_key=True)
        sk = UnicodeAttribute(range_key=True)  # "<at>#<entry id>"
        data = JSONAttribute()

    return ConsoleModels(ConsoleItem, AuditItem)


def console_models() -> ConsoleModels:
    return _build(config.resource_prefix(), config.region())
