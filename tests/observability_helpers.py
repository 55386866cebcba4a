"""Reading what the functions print, as CloudWatch would: every stdout line one JSON object, either a log record
(Powertools Logger) or an EMF metric blob (Powertools single_metric, with an "_aws" member)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from chalicelib import observability


@dataclass
class Lines:
    """Everything one stretch of a test printed, parsed; a line that is not JSON fails the test."""

    records: list[dict[str, Any]] = field(default_factory=list)
    text: str = ""

    @property
    def logs(self) -> list[dict[str, Any]]:
        return [r for r in self.records if "_aws" not in r]

    @property
    def metrics(self) -> list[dict[str, Any]]:
        return [r for r in self.records if "_aws" in r]

    def metric(self, name: str) -> list[tuple[float, dict[str, str]]]:
        """Each EMF line of this metric: its value and its dimensions (as CloudWatch reads them from the blob)."""
        found = []
        for blob in self.metrics:
            for directive in blob["_aws"]["CloudWatchMetrics"]:
                if name in [m["Name"] for m in directive["Metrics"]]:
                    assert directive["Namespace"] == observability.NAMESPACE
                    assert [m["Unit"] for m in directive["Metrics"] if m["Name"] == name] == ["Count"]
                    dims = {d: str(blob[d]) for ds in directive["Dimensions"] for d in ds}
                    value = blob[name][0] if isinstance(blob[name], list) else blob[name]
                    found.append((float(value), dims))
        return found


def parse(text: str) -> Lines:
    records = []
    for line in text.splitlines():
        if line.strip():
            try:
                records.append(json.loads(line))
            except ValueError:
                pytest.fail(f"a line on stdout is not JSON: {line[:300]!r}")
    return Lines(records, text)


@pytest.fixture
def stdout(capsys: pytest.CaptureFixture[str]) -> Iterator[Callable[[], Lines]]:
    """What the functions printed since the last call: the log records and the EMF lines, in the order Lambda's log
    stream would hold them."""
    capsys.readouterr()
    yield lambda: parse(capsys.readouterr().out)
