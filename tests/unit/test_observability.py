"""The observability module's own rules: make run's text lines, which caller ids are taken, a metric that cannot be
written never fails the operation, and the X-Ray SDK is imported only when tracing is on."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from chalicelib import observability
from tests.observability_helpers import Lines

ROOT = Path(__file__).resolve().parents[2]
Read = Callable[[], Lines]


def test_the_text_format_is_one_readable_line_with_the_same_keys(monkeypatch: pytest.MonkeyPatch,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("CP_LOG_FORMAT", "text")
    with observability.invocation("corr-1", None):
        logging.getLogger("chalicelib.services.gate").info("gate decision", extra={"decision": "open", "reason": "member"})
    [line] = capsys.readouterr().out.splitlines()
    assert " INFO    chalicelib.services.gate [corr-1] gate decision  decision=open reason=member" in line
    assert line[2] == ":" and line[5] == ":"  # starts with the time of day


def test_json_is_the_default_and_a_mistyped_format_still_logs(monkeypatch: pytest.MonkeyPatch, stdout: Read) -> None:
    monkeypatch.setenv("CP_LOG_FORMAT", "yaml")
    logging.getLogger("chalicelib.x").warning("still here")
    monkeypatch.delenv("CP_LOG_FORMAT")
    logging.getLogger("chalicelib.x").warning("and here")
    assert [x["message"] for x in stdout().logs] == ["still here", "and here"]


@pytest.mark.parametrize(("sent", "taken"), [("web-1a2b", True), ("0f8fad5b-d9cb-469f-a165-70867728950e", True),
                                             ("gd_1#ev-7", True), ("", False), ("a b", False), ("-x", False),
                                             ("x" * 128, True), ("x" * 129, False), ("line\nbreak", False), (None, False)])
def test_a_caller_id_is_taken_only_as_a_short_plain_token(sent: str | None, taken: bool) -> None:
    assert observability.caller_token(sent) == (sent if taken else None)


def test_the_correlation_id_of_an_invocation_ends_with_it(stdout: Read) -> None:
    with observability.invocation("first", None):
        observability.correlate("better")
        assert observability.correlation_id() == "better"
    assert observability.correlation_id() is None
    logging.getLogger("chalicelib.x").info("after")
    assert "correlation_id" not in stdout().logs[-1]


def test_a_metric_that_cannot_be_written_does_not_fail_the_operation(monkeypatch: pytest.MonkeyPatch, stdout: Read) -> None:
    monkeypatch.delenv("CP_STAGE")  # a setting missing: the dimension cannot be named
    observability.count("ReservationsMade")
    lines = stdout()
    assert lines.metrics == [] and [x["message"] for x in lines.logs] == ["metric ReservationsMade not written"]


PROBE = """
import json, sys
from chalice.test import Client
import app
with Client(app.app, stage_name="local") as client:
    status = client.http.get("/health").status_code
print(json.dumps({"status": status, "xray": "aws_xray_sdk" in sys.modules}))
"""


@pytest.mark.parametrize("tracing", ["0", "1"])
def test_the_xray_sdk_is_imported_only_when_tracing_is_on(tracing: str) -> None:
    env = {**os.environ, "CP_TRACING": tracing, "AWS_DEFAULT_REGION": "eu-west-1"}
    env.pop("AWS_LAMBDA_FUNCTION_NAME", None)
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result == {"status": 200, "xray": tracing == "1"}


@pytest.mark.parametrize("library", ["botocore.credentials", "aws_encryption_sdk.streaming_client", "pynamodb.connection"])
def test_chatty_libraries_log_warnings_only(library: str) -> None:
    # aws_encryption_sdk logs each data key's encryption context, which names a user, at INFO
    assert not logging.getLogger(library).isEnabledFor(logging.INFO)
    assert logging.getLogger(library).isEnabledFor(logging.WARNING)
