"""On AWS the proposer invokes each validator's Lambda function: the exact request, checked with Stubber."""

from __future__ import annotations

import io
import json

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

from chalicelib.adapters.validators import LambdaValidatorInvoker, lambda_function_names
from chalicelib.domain.errors import UnavailableError

REQUEST = {"log": "parent", "height": 3, "header": {"type": "carparker.block/v1"}}


def _body(data: bytes) -> StreamingBody:
    return StreamingBody(io.BytesIO(data), len(data))


def _invoker() -> tuple[LambdaValidatorInvoker, Stubber]:
    client = boto3.client("lambda", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x",
                          endpoint_url="https://lambda.eu-west-1.amazonaws.com")
    names = lambda_function_names("carparker", "prod", 4)
    return LambdaValidatorInvoker(names, "eu-west-1", 2.0, client=client), Stubber(client)


def test_each_validator_is_invoked_synchronously_by_its_chalice_function_name() -> None:
    invoker, stub = _invoker()
    reply = {"validator_id": "validator-2", "signature": "MEUCIQ=="}
    stub.add_response("invoke", {"StatusCode": 200, "Payload": _body(json.dumps(reply).encode())},
                      {"FunctionName": "carparker-prod-validator_2", "InvocationType": "RequestResponse",
                       "Payload": json.dumps(REQUEST, separators=(",", ":")).encode()})
    with stub:
        assert invoker.request("validator-2", REQUEST) == reply
    stub.assert_no_pending_responses()


def test_a_function_error_is_a_failed_validator_not_a_signature() -> None:
    invoker, stub = _invoker()
    stub.add_response("invoke", {"StatusCode": 200, "FunctionError": "Unhandled",
                                 "Payload": _body(b'{"errorMessage":"boom"}')})
    with stub, pytest.raises(UnavailableError):
        invoker.request("validator-0", REQUEST)
