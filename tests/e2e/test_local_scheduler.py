"""Scheduled work runs under the real `make run` launcher as it does on AWS, with nobody calling /admin/ledger/cut.

The schedules are scaled (SCHEDULE_SCALE=0.01: the cutter every 0.6 s, the no-show sweep every 9 s) and the cutter's
timeout set to 1 s, through settings; the test polls for the end states with a generous bound."""

from __future__ import annotations

import re
from pathlib import Path

from tests.e2e.launcher import Launcher, poll

PAT = "pat.parker@carparker.test"


def test_scheduler_certifies_a_queued_entry_and_expires_a_no_show(tmp_path: Path) -> None:
    launcher = Launcher(tmp_path / "run", PERSIST="0", SCHEDULE_SCALE="0.01", CP_LEDGER_BLOCK_TIMEOUT_S="1").start()
    try:
        pat = launcher.sign_in(PAT)
        booked = launcher.reserve_ended(pat, "demo-cp-A3", "NS-404-X")  # two hours ago, for 30 minutes; nobody came
        ended = booked["reservation_id"]
        assert booked["state"] == "reserved"
        order = launcher.paid_order(pat, "demo-cp-A1", "AB-123-C")  # its `paid` entry waits in the parent log's queue

        bundle = poll("the queued paid entry is certified by the scheduled cutter", lambda: launcher.bundle(pat, order["ledger_entry"]))
        assert [item["entry"]["order_id"] for item in bundle["items"]] == [order["reservation_id"]]
        gone = poll("the ended reservation becomes a no-show",
                    lambda: (r := launcher.call("GET", f"/reservations/{ended}", pat))["state"] == "no_show" and r)
        assert gone["fee_minor"] > 0
    finally:
        assert launcher.stop() == 0
    out = launcher.output()
    assert "/admin/ledger/cut" not in out  # chalice local logs every request: nobody cut by hand
    assert re.search(r'ledger_cutter ran in [\d.]+ s: \{"blocks":\["parent:\d+"', out), out[-3000:]
    assert re.search(rf'expire_no_shows ran in [\d.]+ s: \{{"expired":\["{ended}"', out), out[-3000:]
