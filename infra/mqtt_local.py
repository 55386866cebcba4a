"""`make run`'s MQTT broker: what AWS IoT Core does for gate devices, on 127.0.0.1 (docs/gate.md, "Locally").

- Mutual TLS: the broker's certificate and every device's are signed by the local CA (chalicelib/adapters/local_ca.py);
  a client without a certificate of that CA fails the TLS handshake.
- CONNECT is authorised as IoT Core does it, from the registry (moto's IoT, where registration put the Thing, the
  certificate and the attached policy): the client's certificate must be an ACTIVE certificate attached to the Thing
  its client id names, and the device policy attached to it (infra/template.json GateDevicePolicy, read back from IoT)
  must allow iot:Connect for that client id. Publish, subscribe and receive are checked against the same policy.
- Basic Ingest: a device's PUBLISH to $aws/rules/<rule>/... never reaches subscribers; the bridge does what the topic
  rule does (infra/iot.json): it builds the rule's event (the SELECT of its SQL) and invokes the gate_events handler
  in this process, and on failure performs the rule's error action (the message to the gate-ingest-errors queue).
- Commands reach devices on carparker/commands/<thing>, published by the platform's own TLS client (MqttChannel),
  which may publish there and nowhere else, as the app role may on AWS.
"""

from __future__ import annotations

import asyncio
import base64
import fnmatch
import json
import logging
import re
import ssl
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from amqtt.broker import Broker
from amqtt.contexts import Action
from amqtt.plugins.base import BaseAuthPlugin, BaseTopicPlugin
from amqtt.session import Session
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from chalicelib.adapters.local_ca import CA_CERT, LocalCa
from chalicelib.domain.gate_devices import command_topic, rule_name

log = logging.getLogger(__name__)
INGEST = re.compile(r"^\$aws/rules/(?P<rule>[A-Za-z0-9_]+)/(?P<topic>.+)$")
RULE_FROM = re.compile(r"^carparker/gates/(?P<thing>[^/]+)/(?P<kind>[^/]+)$")  # the rule's FROM 'carparker/gates/+/+'
_AUTHORIZERS: dict[str, IotAuthorizer] = {}


@dataclass
class Principal:
    client_id: str
    certificate_id: str | None  # None: the platform's own client
    policies: list[dict[str, Any]] = field(default_factory=list)
    platform: bool = False


def _resources(statement: dict[str, Any], variables: dict[str, str]) -> list[str]:
    raw = statement.get("Resource", [])
    out = []
    for text in raw if isinstance(raw, list) else [raw]:
        for name, value in variables.items():
            text = text.replace("${" + name + "}", value)
        out.append(text)
    return out


def _conditions_hold(statement: dict[str, Any], facts: dict[str, str]) -> bool:
    """The only condition the device policy uses is Bool iot:Connection.Thing.IsAttached; anything else fails closed."""
    for operator, tests in statement.get("Condition", {}).items():
        if operator != "Bool" or any(facts.get(k) != str(v).lower() for k, v in tests.items()):
            return False
    return True


def policy_allows(policies: list[dict[str, Any]], action: str, resource: str, variables: dict[str, str]) -> bool:
    """IoT policy evaluation: an explicit Deny wins, otherwise some Allow must match (actions and resources with * and ?
    wildcards, policy variables substituted)."""
    facts = {"iot:Connection.Thing.IsAttached": "true" if variables.get("iot:Connection.Thing.ThingName") else "false"}
    verdicts = []
    for doc in policies:
        for st in doc.get("Statement", []):
            actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
            if not any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in actions):
                continue
            if any(fnmatch.fnmatchcase(resource, r) for r in _resources(st, variables)) and _conditions_hold(st, facts):
                verdicts.append(st["Effect"])
    return "Allow" in verdicts and "Deny" not in verdicts


class IotAuthorizer:
    """Connections and topics authorised from the IoT registry, as IoT Core authorises them."""

    def __init__(self, prefix: str, region: str, account: str, platform_der: bytes) -> None:
        self.prefix, self.region, self.account = prefix, region, account
        self.platform_der = platform_der
        self.iot = boto3.client("iot", region_name=region)
        self.sessions: dict[str, Principal] = {}

    def arn(self, kind: str, name: str) -> str:
        return f"arn:aws:iot:{self.region}:{self.account}:{kind}/{name}"

    def connect(self, der: bytes, client_id: str) -> Principal | None:
        if der == self.platform_der:
            return Principal(client_id, None, platform=True) if client_id.startswith(f"{self.prefix}-platform") else None
        try:
            attached = self.iot.list_thing_principals(thingName=client_id)["principals"]
        except ClientError:
            return None  # no such Thing: iot:Connection.Thing.ThingName would be empty, and the policy allows nothing
        for cert_arn in attached:
            found = self._certificate(cert_arn, der)
            if found is None:
                continue
            cert_id, status = found
            policies = [json.loads(self.iot.get_policy(policyName=p["policyName"])["policyDocument"])
                        for p in self.iot.list_attached_policies(target=cert_arn)["policies"]]
            principal = Principal(client_id, cert_id, policies)
            if status == "ACTIVE" and self.allows(principal, "iot:Connect", self.arn("client", client_id)):
                return principal
            return None
        return None

    def _certificate(self, cert_arn: str, der: bytes) -> tuple[str, str] | None:
        cert_id = cert_arn.rsplit("/", 1)[1]
        described = self.iot.describe_certificate(certificateId=cert_id)["certificateDescription"]
        pem = described["certificatePem"].encode()
        if x509.load_pem_x509_certificate(pem).public_bytes(Encoding.DER) != der:
            return None
        return cert_id, described["status"]

    def allows(self, principal: Principal, action: str, resource: str) -> bool:
        if principal.platform:  # the app role's iot:Publish, and nothing else
            return action == "iot:Publish" and fnmatch.fnmatchcase(resource, self.arn("topic", command_topic(f"{self.prefix}-*")))
        return policy_allows(principal.policies, action, resource, {"iot:Connection.Thing.ThingName": principal.client_id})


class IotPolicyAuth(BaseAuthPlugin):
    @dataclass
    class Config:
        authorizer: str

    async def authenticate(self, *, session: Session) -> bool | None:
        authorizer = _AUTHORIZERS[self.config.authorizer]
        der = session.ssl_object.getpeercert(binary_form=True) if session.ssl_object else None
        if not der or not session.client_id:
            return False
        principal = await asyncio.to_thread(authorizer.connect, der, session.client_id)
        if principal is None:
            log.info("MQTT CONNECT refused for client %s", session.client_id)
            return False
        authorizer.sessions[session.client_id] = principal
        return True


class IotPolicyTopics(BaseTopicPlugin):
    @dataclass
    class Config:
        authorizer: str

    async def topic_filtering(self, *, session: Session | None = None, topic: str | None = None,
                              action: Action | None = None) -> bool | None:
        authorizer = _AUTHORIZERS[self.config.authorizer]
        principal = authorizer.sessions.get(session.client_id or "") if session else None
        if principal is None or not topic:
            return False
        if action == Action.SUBSCRIBE:  # our policy names exact filters: receiving follows from the same topic
            return authorizer.allows(principal, "iot:Subscribe", authorizer.arn("topicfilter", topic))
        name = "iot:Receive" if action == Action.RECEIVE else "iot:Publish"
        return authorizer.allows(principal, name, authorizer.arn("topic", topic))


class IotBroker(Broker):
    """amqtt with IoT Core's two differences that matter here: a client certificate is required, and Basic Ingest."""

    rule: Callable[[Session, str, bytes], None] | None = None

    @staticmethod
    def _create_ssl_context(listener: Any) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=listener.get("cafile"))
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(listener["certfile"], listener["keyfile"])
        context.verify_mode = ssl.CERT_REQUIRED  # amqtt's default is CERT_OPTIONAL
        return context

    async def _handle_message_delivery(self, client_session: Session, handler: Any, wait_deliver: asyncio.Future[Any]) -> bool:
        message = wait_deliver.result()
        topic = getattr(message, "topic", None) or ""
        if not topic.startswith("$aws/rules/"):
            return bool(await super()._handle_message_delivery(client_session, handler, wait_deliver))
        if not await self._topic_filtering(client_session, topic=topic, action=Action.PUBLISH):
            log.info("%s may not publish to %s: disconnected, as IoT Core does", client_session.client_id, topic)
            await self._stop_handler(handler)  # amqtt's own refusals only stop reading; close the connection too
            return False
        if self.rule is not None:
            self.rule(client_session, topic, bytes(message.data or b""))
        return True


class RuleBridge:
    """What the topic rule does: its SELECT applied to a Basic Ingest message, the function invoked, the error action."""

    def __init__(self, rule: str, authorizer: IotAuthorizer, handler: Callable[[dict[str, Any]], Any], errors_queue: str | None,
                 region: str) -> None:
        self.rule, self.authorizer, self.handler = rule, authorizer, handler
        self.errors_queue = errors_queue
        self.sqs = boto3.client("sqs", region_name=region)
        self.pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="gate-rule")

    def event(self, client_id: str, topic: str, payload: bytes) -> dict[str, Any] | None:
        """The rule's event (infra/iot.json's SELECT), or None if the message is not for this rule or its FROM."""
        m = INGEST.match(topic)
        seen = RULE_FROM.match(m.group("topic")) if m and m.group("rule") == self.rule else None
        if m is None or seen is None:
            return None
        principal = self.authorizer.sessions.get(client_id)
        return {"payload": base64.b64encode(payload).decode(), "thing_name": seen.group("thing"), "kind": seen.group("kind"),
                "client_id": client_id, "principal": principal.certificate_id if principal else None,
                "received_ms": int(time.time() * 1000)}

    def __call__(self, session: Session, topic: str, payload: bytes) -> None:
        event = self.event(session.client_id or "", topic, payload)
        if event is not None:
            self.pool.submit(self._invoke, event, topic)

    def _invoke(self, event: dict[str, Any], topic: str) -> None:
        try:
            self.handler(event)
        except Exception as exc:  # the rule's error action: keep the message for an operator to replay
            log.exception("gate_events failed for %s", topic)
            if self.errors_queue:
                self.sqs.send_message(QueueUrl=self.errors_queue, MessageBody=json.dumps({
                    "ruleName": self.rule, "topic": topic.split("/", 3)[3], "clientId": event["client_id"],
                    "base64OriginalPayload": event["payload"], "traceId": str(uuid.uuid4()),
                    "failures": [{"failedAction": "LambdaAction", "failedResource": "gate_events", "errorMessage": repr(exc)[:500]}]}))


@dataclass
class LocalBroker:
    host: str
    port: int
    ca_dir: Path
    env: dict[str, str]
    _loop: asyncio.AbstractEventLoop
    _thread: threading.Thread
    _broker: IotBroker
    bridge: RuleBridge

    @property
    def endpoint(self) -> str:
        return f"{self.host}:{self.port}"

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._broker.shutdown(), self._loop).result(timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)
        self.bridge.pool.shutdown(wait=True)
        for name in (f"broker-{self.port}", f"platform-{self.port}"):
            for suffix in (".pem", ".key"):
                (self.ca_dir / (name + suffix)).unlink(missing_ok=True)


def _ca(ca_dir: Path, prefix: str) -> LocalCa:
    """The CA survives restarts (devices keep their certificates when local state is kept); the rest is new each start."""
    return LocalCa(ca_dir) if (ca_dir / CA_CERT).exists() else LocalCa.create(ca_dir, f"{prefix} local device CA")


def _register_ca(iot: Any, ca: LocalCa) -> None:
    try:
        iot.register_ca_certificate(caCertificate=ca.certificate_pem, setAsActive=True, allowAutoRegistration=False)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ResourceAlreadyExistsException":
            raise


def start(prefix: str, region: str, ca_dir: Path, handler: Callable[[dict[str, Any]], Any], *, errors_queue: str | None = None,
          account: str = "123456789012", port: int = 0) -> LocalBroker:
    """Start the broker on 127.0.0.1 (a free port unless given) in a thread of its own; return it with the settings the
    app needs (CP_MQTT_ENDPOINT, CP_LOCAL_CA_DIR, CP_DEVICE_CERTIFICATES, CP_GATE_COMMANDS)."""
    from infra.localstack import free_port

    ca = _ca(ca_dir, prefix)
    _register_ca(boto3.client("iot", region_name=region), ca)
    port = port or free_port()
    # Per broker (by port), so two instances on one checkout (make run beside the README tour test) keep their own.
    server_cert, server_key = ca.write(f"broker-{port}", ca.issue("localhost", server=True))
    platform = ca.issue(f"{prefix}-platform")
    platform_cert, platform_key = ca.write(f"platform-{port}", platform)
    platform_der = x509.load_pem_x509_certificate(platform.certificate_pem.encode()).public_bytes(Encoding.DER)
    authorizer = IotAuthorizer(prefix, region, account, platform_der)
    key = uuid.uuid4().hex
    _AUTHORIZERS[key] = authorizer
    config = {
        "listeners": {"default": {"type": "tcp", "bind": f"127.0.0.1:{port}", "ssl": True, "cafile": str(ca_dir / CA_CERT),
                                  "certfile": str(server_cert), "keyfile": str(server_key)}},
        "plugins": {"infra.mqtt_local.IotPolicyAuth": {"authorizer": key}, "infra.mqtt_local.IotPolicyTopics": {"authorizer": key}},
    }
    bridge = RuleBridge(rule_name(prefix), authorizer, handler, errors_queue, region)
    loop = asyncio.new_event_loop()
    started = threading.Event()
    holder: dict[str, Any] = {}

    def run() -> None:
        asyncio.set_event_loop(loop)
        broker = IotBroker(config, loop=loop)
        broker.rule = bridge
        try:
            loop.run_until_complete(broker.start())
        except Exception as exc:  # noqa: BLE001 - reported to the starting thread
            holder["error"] = exc
            started.set()
            return
        holder["broker"] = broker
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=run, name="mqtt-broker", daemon=True)
    thread.start()
    if not started.wait(timeout=60) or "broker" not in holder:
        raise RuntimeError(f"the MQTT broker did not start: {holder.get('error')}")
    env = {"CP_MQTT_ENDPOINT": f"127.0.0.1:{port}", "CP_LOCAL_CA_DIR": str(ca_dir), "CP_DEVICE_CERTIFICATES": "local-ca",
           "CP_GATE_COMMANDS": "mqtt", "CP_MQTT_CLIENT_CERT": str(platform_cert), "CP_MQTT_CLIENT_KEY": str(platform_key)}
    return LocalBroker("127.0.0.1", port, ca_dir, env, loop, thread, holder["broker"], bridge)


def gate_events(event: dict[str, Any]) -> Any:
    """The rule's action locally: app.gate_events in this process (moto cannot run Lambda code)."""
    import app

    return app.gate_events(event, None)
