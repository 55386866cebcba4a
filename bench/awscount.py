"""Count AWS API calls (and DynamoDB items read) with botocore event hooks, for benchmarks."""

from __future__ import annotations

import collections
from typing import Any

import boto3


class AwsCallCounter:
    """Registers on boto3's default session and on pynamodb's botocore clients."""

    def __init__(self) -> None:
        self.calls: collections.Counter[str] = collections.Counter()
        self.items_read = 0
        self._clients: list[Any] = []

    def _after_call(self, http_response: Any = None, parsed: Any = None, model: Any = None, **_: Any) -> None:
        name = f"{model.service_model.service_name}.{model.name}" if model is not None else "unknown"
        self.calls[name] += 1
        if isinstance(parsed, dict) and "ScannedCount" in parsed:
            self.items_read += int(parsed["ScannedCount"])
        elif isinstance(parsed, dict) and "Item" in parsed:
            self.items_read += 1

    def attach_session(self, session: Any) -> None:
        session.register("after-call.*.*", self._after_call)

    def attach_client(self, client: Any) -> None:
        client.meta.events.register("after-call.*.*", self._after_call)
        self._clients.append(client)

    def attach_default(self) -> None:
        self.attach_session(boto3._get_default_session()._session)

    def attach_pynamodb(self, *model_classes: Any) -> None:
        for model in model_classes:
            self.attach_client(model._get_connection().connection.client)

    def reset(self) -> None:
        self.calls.clear()
        self.items_read = 0

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    def count(self, prefix: str) -> int:
        return sum(n for name, n in self.calls.items() if name.startswith(prefix))
