"""Shared fixtures: one embedded moto stack per test process, the template applied to it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

os.environ.setdefault("CP_STAGE", "local")
os.environ.setdefault("CP_PAYMENT_WEBHOOK_SECRET", "local-only-payment-webhook-secret")  # as .chalice/config.json (local)


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
