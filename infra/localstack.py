"""The embedded local stack: a moto server on 127.0.0.1 with infra/template.json applied to it, optionally restored
from (and snapshotted to) a state file (infra/local_state.py)."""

from __future__ import annotations

import logging
import os
import re
import socket
import threading
from dataclasses import dataclass, field
from typing import Any

from moto.core.base_backend import BackendDict
from moto.moto_server.threaded_moto_server import MotoRequestHandler
from moto.server import DomainDispatcherApplication, ThreadedMotoServer, create_backend_app
from werkzeug.serving import make_server

from . import apply_local, local_state

REGION = "eu-west-1"
# Actions that read or compute but never change a backend: a stack that only serves these has nothing new to snapshot.
READ_ACTION = re.compile(r"(Get|Describe|List|Query|Scan|BatchGet|TransactGet|Decrypt|Encrypt|ReEncrypt|Sign|Verify|Generate)[A-Za-z]*")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SerialMotoServer(ThreadedMotoServer):
    """moto's server, with one request served at a time.

    DynamoDB applies each conditional write and transaction atomically. moto's backends do not:
    its threaded server runs requests concurrently against plain Python dicts, so two
    TransactWriteItems with the same condition can both pass under load (we saw it in the
    concurrent-booking test). Serialising requests gives moto DynamoDB's semantics; connections
    are still accepted concurrently.

    The same lock lets a snapshot copy every backend at one instant (`lock`), and `changes` counts the requests that
    may have changed a backend, so an idle stack is not snapshotted again.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lock = threading.Lock()
        self.changes = 0

    def _server_entry(self) -> None:
        app = DomainDispatcherApplication(create_backend_app)

        def serial(environ: Any, start_response: Any) -> Any:
            with self.lock:
                self.changes += changes_state(environ)
                return list(app(environ, start_response))

        self._server = make_server(self._ip_address, self._port, serial, True, request_handler=MotoRequestHandler)
        self._server_ready_event.set()
        self._server.serve_forever()


def changes_state(environ: dict[str, Any]) -> bool:
    """May this request change a backend? Reads (S3 GET, DynamoDB Query, KMS Decrypt, ...) do not; anything else
    might (unknown actions count as changes)."""
    if environ.get("REQUEST_METHOD") in ("GET", "HEAD", "OPTIONS"):
        return False
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    return not (target and READ_ACTION.fullmatch(target.rpartition(".")[2]))


@dataclass
class LocalStack:
    server: SerialMotoServer
    endpoint: str
    env: dict[str, str]
    applied: apply_local.Applied
    restored: local_state.Snapshot | None = None  # the snapshot this stack was loaded from, if any
    extra: dict[str, Any] = field(default_factory=dict)  # saved with every snapshot (the launcher's demo records)

    def snapshot(self) -> tuple[int, bytes]:
        """One consistent copy of every backend, taken while requests wait: (the change count, the file's bytes)."""
        with self.server.lock:
            taken = local_state.Snapshot(local_state.capture(), self.applied.to_dict(), self.extra)
            return self.server.changes, local_state.encode(taken, self.server.changes)

    def stop(self) -> None:
        self.server.stop()


def _restore(prefix: str, state: local_state.StateFile) -> tuple[apply_local.Applied, local_state.Snapshot] | None:
    """Load the saved backends and apply what the template added since; None (and fresh backends) if that fails."""
    snapshot = state.load()
    if snapshot is None:
        return None
    try:
        previous = apply_local.Applied.from_dict(snapshot.stack)
        local_state.install(snapshot.backends)
        return apply_local.apply_stack(prefix, REGION, previous=previous), snapshot
    except Exception as exc:  # a snapshot that does not fit this code starts a fresh stack, never a crash
        BackendDict.reset()
        state.reject(str(exc))
        return None


def start(prefix: str = "carparker-local", port: int | None = None, stage: str = "local",
          state: local_state.StateFile | None = None) -> LocalStack:
    """Start moto, point this process's AWS clients at it, restore the saved state or apply the template; return the
    app's settings."""
    port = port or free_port()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's per-request access log
    server = SerialMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    base = {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "CP_STAGE": stage,
    }
    os.environ.update(base)
    restored = _restore(prefix, state) if state is not None else None
    applied, snapshot = restored or (apply_local.apply_stack(prefix, REGION), None)
    outputs = applied.outputs
    env = {**base, **apply_local.environment(prefix, REGION, outputs),
           "CP_JWKS_URL": f"{endpoint}/{outputs['UserPoolId']}/.well-known/jwks.json"}
    os.environ.update(env)
    return LocalStack(server, endpoint, env, applied, snapshot, dict(snapshot.extra) if snapshot else {})
