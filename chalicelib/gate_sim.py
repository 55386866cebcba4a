"""A gate device simulator: signs a plate read the way a device must (docs/gate.md) and POSTs it.

    python -m chalicelib.cli gate --url http://127.0.0.1:8000 --device-id gd_... --secret ... entry AB-123-C

Standard library only, so it runs on any machine that can reach the API. Exit status: 0 the gate
opens, 2 it denies, 1 the request was refused (the JSON error is printed).
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
    parser.add_argument("--url", required=True, help="API base URL, e.g. http://127.0.0.1:8000")
    parser.add_argument("--device-id", required=True)
    parser.add_argument("--secret", required=True, help="the device secret shown when it was registered or rotated")
    parser.add_argument("--carpark-id", help="optional: the device's car park is implied by its identity")
    parser.add_argument("--confidence", type=float, default=0.98)
    parser.add_argument("--event-id", help="default: a new random id (reuse one to test replays)")
    parser.add_argument("--timestamp", type=int, help="Unix seconds to sign with (default: now)")
    parser.add_argument("direction", choices=("entry", "exit"))
    parser.add_argument("plate")


def event_from(args: argparse.Namespace) -> dict[str, Any]:
    event = {"event_id": args.event_id or f"sim-{uuid.uuid4().hex[:16]}", "direction": args.direction, "plate": args.plate,
             "confidence": args.confidence}
    return event | ({"carpark_id": args.carpark_id} if args.carpark_id else {})


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url.rstrip("/") + "/gate/events", data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - the operator names the URL
            return int(response.status), json.load(response)
    except urllib.error.HTTPError as exc:
        return int(exc.code), json.loads(exc.read() or b"{}")


def run(args: argparse.Namespace) -> int:
    ts = args.timestamp if args.timestamp is not None else int(time.time())
    body, headers = gate_request(args.device_id, args.secret.encode(), event_from(args), ts)
    status, reply = post(args.url, body, headers)
    print(json.dumps({"status": status, **reply}, indent=2))
    if status != 200:
        return 1
    return 0 if reply.get("decision") == "open" else 2


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="gate-sim")
    add_arguments(parser)
    sys.exit(run(parser.parse_args()))
