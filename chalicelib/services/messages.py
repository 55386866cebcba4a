"""Messages that reach a service signed rather than through a route handler: a gate device's plate read (over HTTPS
or MQTT) and the payment provider's verdict. Each has one pydantic model, parsed only after the signature over the
raw body (or the device's verified connection) checked out; api/schemas documents the same models for /openapi.json,
so the format parsed and the format described cannot drift apart."""

from __future__ import annotations

from typing import Literal, TypeVar

from pydantic import BaseModel, Field, ValidationError

from ..domain import jsontext
from ..domain.errors import InvalidInputError

M = TypeVar("M", bound=BaseModel)
Id = Field(min_length=1, max_length=128, strict=True)


def parsed(model: type[M], raw: bytes, *, max_bytes: int, what: str) -> M:
    """The message, bounded before it is parsed (size and nesting); any refusal names the field, like a route's."""
    data = jsontext.loads(raw, max_bytes=max_bytes, what=what)
    if not isinstance(data, dict):
        raise InvalidInputError(f"the {what} must be a JSON object", field="body")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "body"
        raise InvalidInputError(f"{field}: {first['msg']}", field=field) from None


class GateEventIn(BaseModel):
    """Signed by the device: headers X-Gate-Device, X-Gate-Timestamp, X-Gate-Signature (see docs/gate.md)."""

    event_id: str = Id
    carpark_id: str | None = Field(default=None, strict=True, description="optional; if given it must be the device's car park")
    direction: Literal["entry", "exit"]
    plate: str = Field(strict=True)
    confidence: float = Field(default=1.0, ge=0, le=1, strict=True)
    captured_at: str | None = Field(default=None, strict=True)
    snapshot: str | None = Field(default=None, strict=True)


class PaymentDataIn(BaseModel):
    charge_id: str = Id
    reference: str = Id
    currency: str = Id
    amount_minor: int = Field(strict=True)
    failure: str | None = Field(default=None, description="why a charge failed, as the provider words it")


class PaymentWebhookIn(BaseModel):
    """Signed by the provider: headers X-Payment-Timestamp, X-Payment-Signature (see docs/gate.md)."""

    event_id: str
    type: Literal["charge.succeeded", "charge.failed", "refund.succeeded", "refund.failed"]
    created: str
    data: PaymentDataIn
