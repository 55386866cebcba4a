"""The embedded local stack: a moto server on 127.0.0.1 with infra/template.json applied to it."""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass

from moto.server import ThreadedMotoServer

from . import apply_local

REGION = "eu-west-1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LocalStack:
    server: ThreadedMotoServer
    endpoint: str
    env: dict[str, str]

    def stop(self) -> None:
        self.server.stop()


def start(prefix: str = "carparker-local", port: int | None = None, stage: str = "local") -> LocalStack:
    """Start moto, point this process's AWS clients at it, apply the template; return the app's settings."""
    port = port or free_port()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's per-request access log
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
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
