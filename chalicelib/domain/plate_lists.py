"""Allow and block lists of plates per car park, and how they change the gate's decision (pure).

- A **blocked** plate is refused at the entry even with a reservation or a membership (reason `blocked`); the parker
  whose reservation was refused is told why. Exits are not screened: a car inside can always leave and its stay is
  billed as usual.
- An **allowed** plate is let in when the gate would otherwise refuse it (reason `allowed`: a plate with no
  reservation or membership, a closed car park, a reservation not yet begun) and let out (`allowed_exit`).
- The read is matched as the gate matches plates (domain/gate.py): an exact match wins, a fold must be unique, and a
  folded match needs the camera's confidence; a read that exactly matches a reserved plate is that plate, even if it
  folds onto a listed one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from .errors import InvalidInputError
from .gate import DENY, OPEN, Decision, resolve_plate

ALLOW, BLOCK = "allow", "block"
LIST_KINDS = (ALLOW, BLOCK)
MAX_REASON = 200


@dataclass(frozen=True)
class ListedPlate:
    carpark_id: str
    entry_id: str
    kind: str
    plate: str
    reason: str
    added_by: str
    added_at: datetime
    valid_until: date | None = None  # inclusive, local day; None: until removed

    def __post_init__(self) -> None:
        if self.kind not in LIST_KINDS:
            raise InvalidInputError(f"kind must be one of {LIST_KINDS}", field="kind")
        if not 1 <= len(self.reason.strip()) <= MAX_REASON:
            raise InvalidInputError(f"reason must be 1 to {MAX_REASON} characters", field="reason")

    def active_on(self, day: date) -> bool:
        return self.valid_until is None or day <= self.valid_until


def _listed(read: str, confidence_pct: int, min_confidence_pct: int, listed: list[ListedPlate], known: set[str],
            today: date) -> ListedPlate | None:
    active = {e.plate: e for e in listed if e.active_on(today)}
    if not active:
        return None
    plate = resolve_plate(read, known | set(active))
    if not isinstance(plate, str) or plate not in active:
        return None
    if plate != read and confidence_pct < min_confidence_pct:
        return None
    return active[plate]


def screen_entry(decision: Decision, read: str, confidence_pct: int, min_confidence_pct: int, listed: list[ListedPlate],
                 known: set[str], today: date) -> Decision:
    entry = _listed(read, confidence_pct, min_confidence_pct, listed, known, today)
    if entry is None:
        return decision
    if entry.kind == BLOCK:
        return Decision(DENY, "blocked", reservation_id=decision.reservation_id, membership_id=decision.membership_id, plate=entry.plate)
    if decision.action == DENY:
        return Decision(OPEN, "allowed", plate=entry.plate)
    return decision


def screen_exit(decision: Decision, read: str, confidence_pct: int, min_confidence_pct: int, listed: list[ListedPlate],
                known: set[str], today: date) -> Decision:
    """Allowed plates leave even with no stay recorded; nothing else changes at the exit."""
    if decision.action == OPEN:
        return decision
    entry = _listed(read, confidence_pct, min_confidence_pct, [e for e in listed if e.kind == ALLOW], known, today)
    return Decision(OPEN, "allowed_exit", plate=entry.plate) if entry is not None else decision
