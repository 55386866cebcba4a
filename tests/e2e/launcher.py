"""Drives the real `make run` launcher (infra/run_local.py) for the e2e tests: free ports, a run directory of the
test's own, the launcher's output in a file, and the HTTP and device calls a person would make against it.

Run as a module it also books, straight through the reservation service, a reservation as it was made two hours ago
(`python -m tests.e2e.launcher reserve-ended ENV_FILE SPACE PLATE USER_ID EMAIL`): the API rightly refuses a start in
the past, and a test cannot wait a quarter of an hour for a real one to end.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any, TypeVar

ROOT = Path(__file__).resolve().parents[2]
START_BOUND_S = 180  # a real process starting on a busy shared machine: generous, only an upper bound
HTTP_BOUND_S = 120  # one request to it, on that machine: also only an upper bound
# The launcher's settings for every test: the validators' deadline is an upper bound too (a busy machine must not turn
# a slow signature into a failed block).
SETTINGS = {"CP_VALIDATOR_DEADLINE_MS": "60000"}
T = TypeVar("T")


def poll(what: str, check: Callable[[], T | None], bound_s: float = 120, every_s: float = 0.5) -> T:
    """The first truthy value of check(), polled until `bound_s` passes (an upper bound for a real process, never a
    duration the test relies on)."""
    deadline = time.monotonic() + bound_s
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {bound_s:.0f} s")
        time.sleep(every_s)


def read_env(path: Path) -> dict[str, str]:
    pairs = (line.removeprefix("export ").partition("=") for line in path.read_text().splitlines())
    return {key: value for key, sep, value in pairs if sep}


class Launcher:
    """One `make run` (infra/run_local.py), started and stopped by its own PID."""

    def __init__(self, run_dir: Path, **settings: str) -> None:
        from infra.localstack import free_port

        self.run_dir = run_dir
        self.settings = settings
        self.free_port = free_port
        self.proc: subprocess.Popen[bytes] | None = None
        self.logs: list[Path] = []
        self._log: IO[bytes] | None = None
        self.base = ""

    @property
    def env_file(self) -> Path:
        return self.run_dir / "local.env"

    def start(self) -> Launcher:
        port = self.free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CP_", "AWS_"))}
        env.update(PORT=str(port), MOTO_PORT=str(self.free_port()), WEB_PORT=str(self.free_port()), PAY_PORT=str(self.free_port()), RUN_DIR=str(self.run_dir), **SETTINGS, **self.settings)
        log = self.run_dir.parent / f"{self.run_dir.name}-launch-{len(list(self.run_dir.parent.glob(f'{self.run_dir.name}-launch-*.log'))) + 1}.log"
        self.logs.append(log)
        self._log = log.open("wb")
        self.proc = subprocess.Popen([sys.executable, "infra/run_local.py"], cwd=ROOT, env=env, stdout=self._log,
                                     stderr=subprocess.STDOUT)
        self.base = f"http://127.0.0.1:{port}"
        poll("make run printed its banner", self._running, START_BOUND_S)
        return self

    def _running(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise AssertionError(f"make run exited with {self.proc.returncode}:\n{self.output()[-3000:]}")
        return "CarParker is running" in self.output()

    def output(self) -> str:
        return self.logs[-1].read_text(errors="replace") if self.logs else ""

    def stop(self) -> int:
        """SIGTERM, as a service manager or Ctrl-C stops it; returns its exit status."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=90)
        finally:
            self._close()

    def kill(self) -> None:
        """kill -9 of the launcher alone: no handler runs, no last snapshot."""
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(timeout=30)
        self._close()

    def _close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)
        if self._log is not None:
            self._log.close()
            self._log = None

    # ------------------------------------------------------------ what a person does against it

    def request(self, method: str, path: str, token: str | None = None, body: Any = None) -> tuple[int, Any]:
        import requests

        headers = {"Authorization": f"Bearer {token}"} if token else {}
        r = requests.request(method, self.base + path, json=body, headers=headers, timeout=HTTP_BOUND_S)
        return r.status_code, r.json() if r.content else None

    def call(self, method: str, path: str, token: str | None = None, body: Any = None, expect: int = 200) -> Any:
        status, reply = self.request(method, path, token, body)
        assert status == expect, f"{method} {path}: {status} {reply}"
        return reply

    def bundle(self, token: str, entry: str) -> dict[str, Any] | None:
        """The entry's evidence bundle once its block is certified; None while it waits in the queue."""
        log, _, seq = entry.partition(":")
        status, reply = self.request("GET", f"/ledger/{log}/entries/{seq}/bundle", token)
        return reply if status == 200 else None

    def sign_in(self, email: str, password: str = "Demo-password-1") -> str:
        return str(self.call("POST", "/auth/signin", body={"email": email, "password": password})["id_token"])

    def gate(self, direction: str, plate: str) -> None:
        """The demo gate device reads a plate: an event signed as the device signs it (chalicelib/gate_sim.py), posted
        with a generous timeout and, since it carries one event id, safe to post again if the first try timed out."""
        import requests

        from chalicelib.domain.signing import gate_request

        env = read_env(self.env_file)
        event = {"event_id": f"e2e-{uuid.uuid4().hex[:16]}", "direction": direction, "plate": plate, "confidence": 0.98}
        body, headers = gate_request(env["CP_DEMO_GATE_DEVICE"], env["CP_DEMO_GATE_SECRET"].encode(), event, int(time.time()))

        def post() -> Any:
            try:
                return requests.post(self.base + "/gate/events", data=body, headers=headers, timeout=HTTP_BOUND_S)
            except (requests.ConnectionError, requests.Timeout):
                return None

        reply = poll(f"the gate answers the {direction}", post, START_BOUND_S)
        assert reply.status_code == 200 and reply.json()["decision"] == "open", reply.text

    def paid_order(self, token: str, space_id: str, plate: str) -> dict[str, Any]:
        """Reserve from the next minute, drive in and out through the demo gate; the card is charged, the provider
        settles by itself and calls the webhook; returns the completed order."""
        self.call("PUT", "/me/payment-method", token, {"token": "tok_visa"})
        start = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
        order = self.call("POST", "/reservations", token, {"space_id": space_id, "plate": plate, "start": _at(start),
                                                           "end": _at(start + timedelta(hours=1))}, expect=201)
        self.gate("entry", plate)
        self.gate("exit", plate)
        path = f"/reservations/{order['reservation_id']}"
        return dict(poll("the order is paid", lambda: _completed(self.call("GET", path, token))))

    def verify_ledger(self) -> str:
        done = subprocess.run([sys.executable, "-m", "chalicelib.cli", "verify-ledger", "--env", str(self.env_file), "--quiet"],
                              cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def reserve_ended(self, token: str, space_id: str, plate: str) -> dict[str, Any]:
        """The reservation as the service booked it (two hours ago, for 30 minutes)."""
        me = self.call("GET", "/me", token)
        done = subprocess.run([sys.executable, "-m", "tests.e2e.launcher", "reserve-ended", str(self.env_file), space_id, plate,
                               me["user_id"], me["email"]], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
        return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _at(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _completed(order: dict[str, Any]) -> dict[str, Any] | None:
    return order if order["state"] == "completed" and order.get("payment_status") == "succeeded" and order.get("ledger_entry") else None


def banner_value(output: str, label: str) -> str:
    match = re.search(rf"^  {re.escape(label)}\s+(.*)$", output, re.M)
    assert match, f"no {label!r} line in the banner"
    return match.group(1)


def _reserve_ended(env_file: str, space_id: str, plate: str, user_id: str, email: str) -> None:
    os.environ.update(read_env(Path(env_file)))
    from chalicelib import bootstrap
    from chalicelib.domain.accounts import Principal
    from chalicelib.services import reservations

    class TwoHoursAgo:
        def now(self) -> datetime:
            return datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=2)

    d = bootstrap.deps()
    start = TwoHoursAgo().now() + timedelta(minutes=1)
    r = reservations.reserve(Principal(user_id, email, frozenset(), frozenset({"parker"})), space_id, plate, start,
                             start + timedelta(minutes=30), spaces=d.spaces, reservations=d.reservations, clock=TwoHoursAgo(),
                             new_id=d.new_id)
    print(json.dumps({"reservation_id": r.reservation_id, "state": r.state, "end": r.end.isoformat()}))


if __name__ == "__main__":
    if sys.argv[1:2] != ["reserve-ended"] or len(sys.argv) != 7:
        raise SystemExit(__doc__)
    _reserve_ended(*sys.argv[2:])
