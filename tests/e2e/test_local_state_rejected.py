"""A state file this code cannot use (here: written by another moto) is not loaded by the real launcher: the stack
starts fresh, says why, and keeps the old file aside."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.launcher import Launcher, banner_value

PAT = "pat.parker@carparker.test"
STATE = "local-state.pickle"


def test_a_state_file_from_another_moto_starts_fresh_and_is_kept_aside(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    stale = json.dumps({"format": "carparker-local-state", "schema": 1, "moto": "4.0.0", "python": "3.11"}).encode() + b"\nbody"
    (run / STATE).write_bytes(stale)
    (run / STATE).chmod(0o600)
    launcher = Launcher(run, PERSIST="1").start()
    try:
        out = launcher.output()
        assert f"Local state in {run / STATE} is not used: it was written by moto 4.0.0" in out
        assert banner_value(out, "local state").startswith("new, kept in")
        assert launcher.sign_in(PAT)
    finally:
        assert launcher.stop() == 0
    assert (run / "local-state.rejected").read_bytes() == stale
    assert json.loads((run / STATE).read_bytes().partition(b"\n")[0])["moto"] != "4.0.0"
