"""The real HTTP path: `chalice local` in a child process, against this test process's moto stack."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def server(stack: Any) -> Iterator[str]:
    from infra.localstack import free_port

    port = free_port()
    chalice = Path(sys.executable).with_name("chalice")
    proc = subprocess.Popen(
        [str(chalice), "local", "--no-autoreload", "--stage", "local", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT, env={**os.environ, **stack.env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(base + "/health", timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("chalice local did not start") from None
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
