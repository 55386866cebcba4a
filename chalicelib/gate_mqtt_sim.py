"""The MQTT side of the gate simulator: a device on AWS IoT Core (or make run's broker), with paho-mqtt.

It connects with its certificate and its Thing name as client id, subscribes to its command topic (QoS 1), publishes
the event or heartbeat to its Basic Ingest topic (QoS 1) and waits for the answer. Also used by the tests as a device.
"""

from __future__ import annotations

import argparse
import json
import queue
import ssl
import time
from typing import Any

from .domain.gate_devices import topics


def prefix_of(thing: str) -> str:
    """Things are named <stage prefix>-<device id>, and device ids start with gd_."""
    head, sep, _ = thing.rpartition("-gd_")
    if not sep:
        raise SystemExit(f"{thing!r} is not a gate device's Thing name (<prefix>-gd_...)")
    return head


class MqttDevice:
    def __init__(self, endpoint: str, thing: str, cert: str, key: str, ca: str | None) -> None:
        import paho.mqtt.client as mqtt

        self.thing = thing
        self.topics = topics(prefix_of(thing), thing)
        self.inbox: queue.Queue[dict[str, Any]] = queue.Queue()
        self.host, _, port = endpoint.rpartition(":")
        self.port = int(port)
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=thing, clean_session=True)
        self.client.tls_set(ca_certs=ca, certfile=cert, keyfile=key, cert_reqs=ssl.CERT_REQUIRED)
        self.client.on_message = lambda _c, _u, msg: self.inbox.put(json.loads(msg.payload))
        self.subscribed: queue.Queue[list[Any]] = queue.Queue()
        self.client.on_subscribe = lambda _c, _u, _mid, codes, _p: self.subscribed.put(list(codes))
        self.connack: queue.Queue[Any] = queue.Queue()
        self.client.on_connect = lambda _c, _u, _f, code, _p: self.connack.put(code)
        self.disconnects = 0
        self.client.on_disconnect = lambda *_: self._disconnected()

    def _disconnected(self) -> None:
        self.disconnects += 1

    def connect(self, timeout_s: float = 30) -> None:
        """Connect and subscribe to the command topic. An unknown certificate fails the TLS handshake (ssl.SSLError from
        here); a refused CONNECT raises ConnectionRefusedError with the broker's reason; a refused SUBSCRIBE PermissionError."""
        self.client.connect(self.host, self.port, keepalive=30)
        self.client.loop_start()
        try:
            code = self.connack.get(timeout=timeout_s)
        except queue.Empty:
            code = None
        if code is None or code.is_failure:
            self.close()
            raise ConnectionRefusedError(f"the broker refused the connection: {code}")
        self.client.subscribe(self.topics.commands, qos=1)
        codes = self.subscribed.get(timeout=timeout_s)
        if any(getattr(c, "is_failure", False) for c in codes):
            raise PermissionError(f"subscription to {self.topics.commands} refused")

    def publish(self, kind: str, message: dict[str, Any], timeout_s: float = 30) -> None:
        topic = self.topics.events if kind == "events" else self.topics.heartbeat
        info = self.client.publish(topic, json.dumps(message, separators=(",", ":")), qos=1)
        info.wait_for_publish(timeout=timeout_s)

    def next_message(self, timeout_s: float) -> dict[str, Any] | None:
        try:
            return self.inbox.get(timeout=timeout_s)
        except queue.Empty:
            return None

    def answer_to(self, event_id: str, timeout_s: float) -> dict[str, Any] | None:
        """The decision (or the error) for one event; other messages that arrive meanwhile are skipped."""
        deadline = time.monotonic() + timeout_s
        while (left := deadline - time.monotonic()) > 0:
            message = self.next_message(left)
            if message is not None and message.get("event_id") == event_id and message.get("type") in ("decision", "error"):
                return message
        return None

    def reply_of(self, kind: str, timeout_s: float) -> dict[str, Any] | None:
        """The next message of a type ("heartbeat": the answer to a heartbeat, with the pending commands)."""
        deadline = time.monotonic() + timeout_s
        while (left := deadline - time.monotonic()) > 0:
            message = self.next_message(left)
            if message is not None and message.get("type") == kind:
                return message
        return None

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def run_mqtt(args: argparse.Namespace, message: dict[str, Any]) -> int:
    if not (args.thing and args.cert and args.key):
        raise SystemExit("--mqtt needs --thing, --cert and --key")
    device = MqttDevice(args.mqtt, args.thing, args.cert, args.key, args.ca)
    try:
        device.connect(args.wait)
    except (OSError, ssl.SSLError, PermissionError) as exc:
        print(json.dumps({"refused": str(exc)}))
        return 1
    try:
        if args.direction == "heartbeat":
            device.publish("heartbeat", message)
            reply = device.reply_of("heartbeat", args.wait)
            print(json.dumps(reply or {"error": "no answer on the command topic"}, indent=2))
            return 0 if reply is not None else 1
        device.publish("events", message)
        answer = device.answer_to(message["event_id"], args.wait)
    finally:
        device.close()
    print(json.dumps(answer or {"error": "no answer on the command topic"}, indent=2))
    if answer is None or answer.get("type") != "decision":
        return 1
    return 0 if answer.get("action") == "open" else 2
