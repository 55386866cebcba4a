"""The gate's and the payment provider's signed messages have one model each: the one the service parses (after the
signature check) is the one /openapi.json documents, and a refusal names the field like a route's does."""

from __future__ import annotations

import json

import pytest

from chalicelib.api.schemas import gate as gate_schemas
from chalicelib.api.schemas import payments as payment_schemas
from chalicelib.domain.errors import InvalidInputError
from chalicelib.services.messages import GateEventIn, PaymentWebhookIn, parsed

EVENT = {"event_id": "e1", "direction": "exit", "plate": "AB123C", "confidence": 0.9}
VERDICT = {"event_id": "evt_1", "type": "charge.succeeded", "created": "2026-12-04T10:00:00Z",
           "data": {"charge_id": "ch_1", "reference": "r1", "currency": "EUR", "amount_minor": 550}}


def test_the_documented_models_are_the_parsed_ones() -> None:
    assert gate_schemas.GateEventIn is GateEventIn and payment_schemas.PaymentWebhookIn is PaymentWebhookIn


@pytest.mark.parametrize(("model", "good", "change", "field"), [
    (GateEventIn, EVENT, {"confidence": "0.9"}, "confidence"),
    (GateEventIn, EVENT, {"direction": "sideways"}, "direction"),
    (GateEventIn, EVENT, {"event_id": "x" * 129}, "event_id"),
    (PaymentWebhookIn, VERDICT, {"type": "charge.refunded"}, "type"),
    (PaymentWebhookIn, VERDICT, {"data": {**VERDICT["data"], "amount_minor": "550"}}, "data.amount_minor"),  # type: ignore[dict-item]
    (PaymentWebhookIn, VERDICT, {"data": {**VERDICT["data"], "currency": ""}}, "data.currency"),  # type: ignore[dict-item]
])
def test_a_bad_field_is_refused_by_name(model: type, good: dict[str, object], change: dict[str, object], field: str) -> None:
    assert parsed(model, json.dumps(good).encode(), max_bytes=4096, what="message") is not None
    with pytest.raises(InvalidInputError) as refused:
        parsed(model, json.dumps({**good, **change}).encode(), max_bytes=4096, what="message")
    assert refused.value.field == field


def test_a_message_that_is_not_an_object_is_refused_as_the_body() -> None:
    with pytest.raises(InvalidInputError) as refused:
        parsed(GateEventIn, b"[1, 2]", max_bytes=4096, what="event body")
    assert refused.value.field == "body"
