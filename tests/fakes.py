"""In-memory doubles of our own ports (fakes, not mocks): they keep state that tests assert on."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from chalicelib.services.ports import LedgerReceipt


@dataclass
class FakeClock:
    current: datetime = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0))

    def now(self) -> datetime:
        return self.current

    def set(self, moment: datetime) -> None:
        self.current = moment.replace(microsecond=0)

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


@dataclass(frozen=True)
class LedgerEntry:
    log: str
    action: str
    user_id: str
    order_id: str
    sealed: dict[str, str]
    digests: dict[str, str] | None
    receipt: LedgerReceipt


@dataclass
class FakeLedger:
    """The Ledger port in memory: an append-only list per log."""

    entries: list[LedgerEntry] = field(default_factory=list)

    def record(self, *, log: str, action: str, user_id: str, order_id: str, sealed: dict[str, str],
               digests: dict[str, str] | None = None) -> LedgerReceipt:
        if not all(isinstance(v, str) for v in sealed.values()):
            raise TypeError("sealed values must be strings")
        seq = sum(1 for e in self.entries if e.log == log)
        receipt = LedgerReceipt(log, seq, f"{log}:{seq}")
        self.entries.append(LedgerEntry(log, action, user_id, order_id, dict(sealed), digests, receipt))
        return receipt

    def for_order(self, order_id: str) -> list[LedgerEntry]:
        return [e for e in self.entries if e.order_id == order_id]
