"""A gate device simulator: signs a plate read the way a device must (docs/gate.md) and POSTs it, or, with --mqtt,
publishes it over mutual TLS to the device's Basic Ingest topic and waits for the decision on its command topic.

    python -m chalicelib.cli gate --url http://127.0.0.1:8000 --device-id gd_... --secret ... entry AB-123-C
    python -m chalicelib.cli gate --mqtt 127.0.0.1:8883 --thing carparker-local-gd_... --cert d.pem --key d.key --ca ca.pem \
        entry AB-123-C
    python -m chalicelib.cli gate ... heartbeat          (answers the pending commands; --ack ID acknowledges one)

The HTTPS path needs the standard library only, so it runs on any machine that can reach the API; --mqtt needs
paho-mqtt. Exit status: 0 the gate opens (or a heartbeat was taken), 2 it denies, 1 the request was refused.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

from .domain.signing import gate_request


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", help="API base URL, e.g. http://127.0.0.1:8000 (HTTPS devices)")
    parser.add_argument("--device-id")
    parser.add_argument("--secret", help="the device secret shown when it was registered or rotated")
    mqtt = parser.add_argument_group("MQTT devices (AWS IoT Core, or make run's broker)")
    mqtt.add_argument("--mqtt", metavar="HOST:PORT", help="the endpoint shown at registration; the event goes over MQTT")
    mqtt.add_argument("--thing", help="the Thing name (also the MQTT client id)")
    mqtt.add_argument("--cert", help="the device certificate (PEM file)")
    mqtt.add_argument("--key", help="the device private key (PEM file)")
    mqtt.add_argument("--ca", help="the CA to trust for the broker (default: the system's)")
    mqtt.add_argument("--wait", type=float, default=30, help="seconds to wait for the answer on the command topic")
    parser.add_argument("--ack", action="append", default=[], metavar="COMMAND_ID", help="acknowledge a command (repeatable)")
    parser.add_argument("--firmware", default="gate-sim/1.0", help="heartbeat: the firmware string")
    parser.add_argument("--carpark-id", help="optional: the device's car park is implied by its identity")
    parser.add_argument("--confidence", type=float, default=0.98)
    parser.add_argument("--event-id", help="default: a new random id (reuse one to test replays)")
    parser.add_argument("--timestamp", type=int, help="Unix seconds to sign with (default: now)")
    parser.add_argument("direction", choices=("entry", "exit", "heartbeat"))
    parser.add_argument("plate", nargs="?", default="")


def event_from(args: argparse.Namespace) -> dict[str, Any]:
    if args.direction == "heartbeat":
        return {"firmware": args.firmware, "status": {"simulated": True}, "acks": list(args.ack)}
    event = {"event_id": args.event_id or f"sim-{uuid.uuid4().hex[:16]}", "direction": args.direction, "plate": args.plate,
             "confidence": args.confidence}
    return event | ({"carpark_id": args.carpark_id} if args.carpark_id else {}) | ({"acks": list(args.ack)} if args.ack else {})


def post(url: str, body: bytes, headers: dict[str, str], path: str = "/gate/events") -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url.rstrip("/") + path, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - the operator names the URL
            return int(response.status), json.load(response)
    except urllib.error.HTTPError as exc:
        return int(exc.code), json.loads(exc.read() or b"{}")


def run(args: argparse.Namespace) -> int:
    if args.direction != "heartbeat" and not args.plate:
        raise SystemExit("a plate is needed for entry and exit")
    if args.mqtt:
        from .gate_mqtt_sim import run_mqtt

        return run_mqtt(args, event_from(args))
    if not (args.url and args.device_id and args.secret):
        raise SystemExit("--url, --device-id and --secret are needed (or --mqtt with --thing, --cert and --key)")
    ts = args.timestamp if args.timestamp is not None else int(time.time())
    body, headers = gate_request(args.device_id, args.secret.encode(), event_from(args), ts)
    status, reply = post(args.url, body, headers, "/gate/heartbeat" if args.direction == "heartbeat" else "/gate/events")
    print(json.dumps({"status": status, **reply}, indent=2))
    if status != 200:
        return 1
    return 0 if args.direction == "heartbeat" or reply.get("decision") == "open" else 2


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="gate-sim")
    add_arguments(parser)
    sys.exit(run(parser.parse_args()))
