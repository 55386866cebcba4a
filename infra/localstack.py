"""The embedded local stack: a moto server on 127.0.0.1 with infra/template.json applied to it."""

from __future__ import annotations

import logging
import os
import socket
import threading
from dataclasses import dataclass
from typing import Any

from moto.moto_server.threaded_moto_server import MotoRequestHandler
from moto.server import DomainDispatcherApplication, ThreadedMotoServer, create_backend_app
from werkzeug.serving import make_server

from . import apply_local

REGION = "eu-west-1"


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
    """

    def _server_entry(self) -> None:
        app = DomainDispatcherApplication(create_backend_app)
        lock = threading.Lock()

        def serial(environ: Any, start_response: Any) -> Any:
            with lock:
                return list(app(environ, start_response))

        self._server = make_server(self._ip_address, self._port, serial, True, request_handler=MotoRequestHandler)
        self._server_ready_event.set()
        self._server.serve_forever()


@dataclass
class LocalStack:
    server: SerialMotoServer
    endpoint: str
    env: dict[str, str]

    def stop(self) -> None:
        self.server.stop()


def start(prefix: str = "carparker-local", port: int | None = None, stage: str = "local") -> LocalStack:
    """Start moto, point this process's AWS clients at it, apply the template; return the app's settings."""
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
    outputs = apply_local.apply(prefix, REGION)
    env = {**base, **apply_local.environment(prefix, REGION, outputs),
           "CP_JWKS_URL": f"{endpoint}/{outputs['UserPoolId']}/.well-known/jwks.json"}
    os.environ.update(env)
    return LocalStack(server, endpoint, env)
