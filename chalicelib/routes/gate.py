"""The gate devices' webhooks, authenticated by their HMAC signature, not by the authorizer (docs/gate.md)."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint, Response

from .. import bootstrap, config
from ..api.http import Api, json_response
from ..api.schemas import gate as s
from ..services import gate, gate_devices

bp = Blueprint(__name__)
api = Api(bp)


@api.route("POST", "/gate/events", "gateEvent", "A plate read from a gate device (HMAC-signed); answers open or deny", "gate",
           request=s.GateEventIn, response=s.GateDecisionOut, errors=(401, 403, 409, 422), auth=False,
           headers=("X-Gate-Device", "X-Gate-Timestamp", "X-Gate-Signature"))
def gate_event() -> Response:
    reply = gate_devices.receive_https_event(api.header("X-Gate-Device"), api.header("X-Gate-Timestamp"), api.header("X-Gate-Signature"),
                                             api.request.raw_body or b"", o=bootstrap.deps().gate, rt=bootstrap.devices(),
                                             settings=gate_settings())
    return json_response(200, reply.body, {"Idempotent-Replayed": str(reply.replayed).lower()})


def gate_settings() -> gate.GateSettings:
    return gate.GateSettings(config.gate_max_skew_s(), config.gate_grace_min(), config.plate_min_confidence_pct())


@api.route("POST", "/gate/heartbeat", "gateHeartbeat", "A gate device's heartbeat (HMAC-signed like events); answers its pending commands",
           "gate", request=s.HeartbeatIn, response=s.HeartbeatOut, errors=(401, 409), auth=False,
           headers=("X-Gate-Device", "X-Gate-Timestamp", "X-Gate-Signature"))
def gate_heartbeat() -> dict[str, Any]:
    return gate_devices.heartbeat_https(api.header("X-Gate-Device"), api.header("X-Gate-Timestamp"), api.header("X-Gate-Signature"),
                                        api.request.raw_body or b"", o=bootstrap.deps().gate, rt=bootstrap.devices(), settings=gate_settings())

