"""Shared fixtures: one embedded moto stack per test process, the template applied to it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import settings

from tests.observability_helpers import stdout  # noqa: F401 - the fixture: what the functions printed, parsed

# Property tests are judged by what they find, never by how fast this machine is: no per-example deadline.
settings.register_profile("carparker", deadline=None)
settings.load_profile("carparker")

os.environ.setdefault("CP_STAGE", "local")
os.environ.setdefault("CP_PAYMENT_WEBHOOK_SECRET", "local-only-payment-webhook-secret")  # as .chalice/config.json (local)
os.environ.setdefault("PERSIST", "0")  # a `make run` that a test starts keeps no state unless the test asks (tests/e2e)
# In-process validators sign within the proposer's deadline (5 s by default); on a loaded machine the moto-backed
# ledger tests missed it and failed with "timed out". Tests judge what is signed, not how fast: a generous deadline.
# (The fault tests set their own short one.)
os.environ.setdefault("CP_VALIDATOR_DEADLINE_MS", "120000")


@pytest.fixture(scope="session")
def stack() -> Iterator[object]:
    from infra import localstack

    st = localstack.start(prefix="carparker-local")
    yield st
    st.stop()


@pytest.fixture
def api(stack: object) -> Iterator[Any]:
    from chalice.test import Client

    import app as app_module
    from chalicelib import bootstrap
    from tests.helpers import ApiClient

    bootstrap.override(None)
    with Client(app_module.app, stage_name="local") as client:
        yield ApiClient(client)


@pytest.fixture
def own_stack(stack: object, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The whole template applied again under a fresh prefix on the shared moto server, and this process's settings
    pointed at it: tables, keys and CA of its own, for tests that move time on or change the validator set."""
    import uuid

    from infra import apply_local, localstack

    prefix = f"own-{uuid.uuid4().hex[:8]}"
    outputs = apply_local.apply(prefix, localstack.REGION)
    for name, value in apply_local.environment(prefix, localstack.REGION, outputs).items():
        monkeypatch.setenv(name, value)
    return outputs
