"""The processes `make run` starts beside its embedded moto: each is stopped by its own PID, and each dies with the
launcher even when the launcher is killed with SIGKILL (so no orphaned `chalice local` keeps the port).

Run as a script, this file is the trampoline that makes that so: it asks Linux to kill it when its parent dies
(PR_SET_PDEATHSIG, which survives exec), checks the parent is still there, and execs the real command.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PR_SET_PDEATHSIG = 1


class Children:
    def __init__(self) -> None:
        self.started: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(self, name: str, argv: list[str], env: Mapping[str, str], cwd: Path = ROOT, **popen: Any) -> subprocess.Popen[bytes]:
        trampoline = [sys.executable, str(Path(__file__).resolve()), str(os.getpid())]
        proc = subprocess.Popen([*trampoline, *argv], cwd=cwd, env=dict(env), **popen)
        self.started.append((name, proc))
        return proc

    def exited(self) -> str | None:
        """The first child that has stopped by itself, named with its exit status; None while all run."""
        for name, proc in self.started:
            if proc.poll() is not None:
                return f"{name} exited with {proc.returncode}"
        return None

    def stop(self, grace_s: float = 5) -> None:
        """All at once, so the stop takes one grace period, not one per child: SIGINT (chalice local ignores SIGTERM),
        then SIGTERM, then SIGKILL, each to those still running."""
        running = [proc for _, proc in reversed(self.started)]
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
            running = [proc for proc in running if proc.poll() is None]
            for proc in running:
                proc.send_signal(sig)
            deadline = time.monotonic() + grace_s
            for proc in running:
                try:
                    proc.wait(timeout=max(0.0, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    continue


def _exec(parent: int, argv: list[str]) -> None:
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the launcher died before the request above took effect
        sys.exit(1)
    os.execvp(argv[0], argv)


if __name__ == "__main__":
    _exec(int(sys.argv[1]), sys.argv[2:])
