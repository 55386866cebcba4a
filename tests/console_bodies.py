"""A valid body for each console route that takes one (the route-by-route authorization tests send them, so that
what they see is the authorization check, not a 400 for a missing field)."""

from __future__ import annotations

from typing import Any

CONSOLE_BODIES: dict[str, Any] = {
    "createOverride": {"action": "mark_left", "plate": "ST4FF", "reason": "left on foot"},
    "acknowledgeAlert": {"alert_id": "none"},
    "addMember": {"plate": "ST4FG", "holder": "Member", "plan": "monthly"},
    "renewMember": {},
    "createExport": {"dataset": "series"},
    "addListedPlate": {"kind": "allow", "plate": "ST4FH", "reason": "the florist"},
    "saveCarParkSettings": {"version": 1, "currency": "EUR", "tariff": {}, "lots": [], "unassigned_capacity": 0, "opening": []},
}
CONSOLE_IDS = {"membership_id": "no-such-member", "entry_id": "allow-none"}
