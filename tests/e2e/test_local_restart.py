"""Local data survives a restart of the real `make run` launcher (infra/run_local.py), stopped mid-use, and a kill -9.

First run: a reservation, a paid order and a certified block, and the bundle of that block exported. SIGTERM. Second
run on new ports: the reservation is there, sign-in works with the same password, verify-ledger passes (after a new order), the earlier
bundle verifies against the validator set published now (the same KMS keys), a new order completes and is certified
under those keys. Then a change, a snapshot that has seen it, and kill -9: the third run has it, and the file loads."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.e2e.launcher import ROOT, Launcher, banner_value, poll

PAT, ADMIN = "pat.parker@carparker.test", "admin@carparker.test"
STATE = "local-state.pickle"


def reserve_tomorrow(launcher: Launcher, token: str, space_id: str) -> dict[str, Any]:
    start = (datetime.now(UTC) + timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)
    body = {"space_id": space_id, "plate": "RS-001-T", "start": start.isoformat().replace("+00:00", "Z"),
            "end": (start + timedelta(hours=2)).isoformat().replace("+00:00", "Z")}
    return dict(launcher.call("POST", "/reservations", token, body, expect=201))


def certified_bundle(launcher: Launcher, admin: str, token: str, entry: str) -> dict[str, Any]:
    def cut() -> dict[str, Any] | None:
        launcher.request("POST", "/admin/ledger/cut", admin)  # a cut that missed its quorum is tried again
        return launcher.bundle(token, entry)

    return poll("the entry's block is certified", cut)


def verify_bundle(tmp_path: Path, bundle: dict[str, Any], validators: dict[str, Any]) -> str:
    (tmp_path / "bundle.json").write_text(json.dumps(bundle))
    (tmp_path / "validators.json").write_text(json.dumps(validators))
    done = subprocess.run([sys.executable, "-m", "chalicelib.cli", "verify-bundle", str(tmp_path / "bundle.json"), "--validators",
                           str(tmp_path / "validators.json")], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def header(run: Path) -> dict[str, Any]:
    return dict(json.loads((run / STATE).read_bytes().partition(b"\n")[0]))


def test_local_state_survives_a_restart_and_a_kill(tmp_path: Path) -> None:
    run = tmp_path / "run"
    first = Launcher(run, PERSIST="1", SNAPSHOT_S="3600").start()  # no periodic snapshot: only the one at SIGTERM
    try:
        assert banner_value(first.output(), "local state").startswith("new, kept in")
        pat, admin = first.sign_in(PAT), first.sign_in(ADMIN)
        booked = reserve_tomorrow(first, pat, "demo-0001")
        order = first.paid_order(pat, "demo-cp-A1", "AB-123-C")
        before = certified_bundle(first, admin, pat, order["ledger_entry"])
        carpark = first.call("GET", "/reservations/" + order["reservation_id"], pat)["carpark_id"]
    finally:
        assert first.stop() == 0
    assert "Local state saved to" in first.output()
    assert stat.S_IMODE((run / STATE).stat().st_mode) == 0o600

    settings = {"PERSIST": "1", "SNAPSHOT_S": "1"}
    second = Launcher(run, **settings).start()
    try:
        out = second.output()
        assert banner_value(out, "local state").startswith(f"restored from {run / STATE}")
        assert "Demo car park " + carpark in out  # the demo data is not seeded again
        other = subprocess.run([sys.executable, "infra/run_local.py"], cwd=ROOT, env={**os.environ, "RUN_DIR": str(run), "PERSIST": "1"},
                               capture_output=True, text=True, timeout=120, check=False)
        assert other.returncode != 0 and f"another `make run` keeps its state in {run}" in other.stderr  # one per state file
        pat, admin = second.sign_in(PAT), second.sign_in(ADMIN)  # the same password
        assert second.call("GET", f"/reservations/{booked['reservation_id']}", pat)["state"] == "reserved"
        assert "OK: 1 entry verified" in verify_bundle(tmp_path, before, second.call("GET", "/ledger/validators"))
        again = second.paid_order(pat, "demo-cp-A2", "CD-456-E")
        after = certified_bundle(second, admin, pat, again["ledger_entry"])
        assert after["items"][0]["block"]["height"] > before["items"][0]["block"]["height"]
        assert "OK: ledger" in second.verify_ledger()

        late = reserve_tomorrow(second, pat, "demo-0002")
        made = datetime.now(UTC)
        poll("a snapshot has seen the last change", lambda: datetime.fromisoformat(header(run)["saved_at"]) > made)
        second.kill()
    finally:
        second._close()
    assert "Local state saved" not in second.output() and "Local state up to date" not in second.output()  # no last one

    third = Launcher(run, **settings).start()
    try:
        assert banner_value(third.output(), "local state").startswith("restored from")
        pat = third.sign_in(PAT)
        assert third.call("GET", f"/reservations/{late['reservation_id']}", pat)["state"] == "reserved"
        assert "OK: ledger" in third.verify_ledger()
    finally:
        assert third.stop() == 0
