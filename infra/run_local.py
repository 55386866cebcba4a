"""`make run`: embedded moto, the template applied, demo data, and `chalice local` on 127.0.0.1."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from infra import localstack, mqtt_local, seed, web  # noqa: E402


def wait_for(url: str, timeout_s: float, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"chalice local exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"{url} did not answer within {timeout_s:.0f}s")


def main() -> None:
    port = int(os.environ.get("PORT", "8000"))
    moto_port = int(os.environ.get("MOTO_PORT", "0")) or None
    started = time.monotonic()
    web_build = web.build_in_background()  # npm ci / vite build only if web/ changed, beside the stack's start
    site = web.WebServer(int(os.environ.get("WEB_PORT", "8001")), web.site_config(f"http://127.0.0.1:{port}"))
    stack = localstack.start(port=moto_port)
    local_env = json.loads((ROOT / ".chalice" / "config.json").read_text())["stages"]["local"]["environment_variables"]
    for name, value in local_env.items():
        os.environ.setdefault(name, value)  # the seeding below builds the app's adapters in this process
    # Gate devices on MQTT: the broker and the bridge that plays the IoT rule, invoking gate_events in this process.
    os.environ["CP_PAYMENT_WEBHOOK_URL"] = f"http://127.0.0.1:{port}/payments/webhook"  # charges the bridge makes settle too
    broker = mqtt_local.start(stack.env["CP_RESOURCE_PREFIX"], localstack.REGION, ROOT / "run" / "mqtt", mqtt_local.gate_events,
                              errors_queue=stack.env.get("CP_OUT_GateIngestErrorsUrl"))
    os.environ.update(broker.env)
    stack.env.update(broker.env)
    users = seed.seed()
    from chalicelib import bootstrap

    gate = seed.seed_carpark(bootstrap.deps(), users["sam.sharer@carparker.test"])
    # The local payment provider settles charges by itself a moment later and calls our webhook, like a real one.
    env = {**os.environ, **stack.env, "CP_PAYMENT_WEBHOOK_URL": f"http://127.0.0.1:{port}/payments/webhook",
           "CP_WEB_ORIGINS": web.web_origins(site.port)}
    chalice = [str(Path(sys.executable).with_name("chalice")), "local", "--no-autoreload", "--stage", "local", "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen(chalice, cwd=ROOT, env=env)

    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/health", 60, proc)
        site.serve_when_built(web_build)
    except BaseException:
        shut_down(proc)
        site.stop()
        broker.stop()
        stack.stop()
        raise
    print(f"""
CarParker is running (ready in {time.monotonic() - started:.1f}s).
  App           {site.app_url}            parker, sharer and admin (phone first)
  Console       {site.console_url}    car-park staff
  API           {base}            e.g. curl {base}/health
  OpenAPI       {base}/openapi.json
  moto (AWS)    {stack.endpoint}  (AWS_ENDPOINT_URL for the CLI tools)
Demo logins (password {seed.PASSWORD}):
  admin   admin@carparker.test
  sharer  sam.sharer@carparker.test
  parker  pat.parker@carparker.test
Demo car park {gate["carpark_id"]} (spaces demo-cp-A1..A3) and its gate device:
  python -m chalicelib.cli gate --url {base} --device-id {gate["device_id"]} --secret {gate["device_secret"]} entry AB-123-C
  MQTT broker   mqtts://{broker.endpoint}  (mutual TLS; CA run/mqtt/ca.pem) and its gate on MQTT:
  python -m chalicelib.cli gate --mqtt {broker.endpoint} --thing {gate.get("mqtt_thing")} --cert {gate.get("mqtt_cert")} \\
      --key {gate.get("mqtt_key")} --ca {gate.get("mqtt_ca")} exit AB-123-C
The README's tour works against this instance. Ctrl-C stops everything.
""", flush=True)
    (ROOT / "run").mkdir(exist_ok=True)
    demo = {"CP_DEMO_CARPARK": gate["carpark_id"], "CP_DEMO_GATE_DEVICE": gate["device_id"], "CP_DEMO_GATE_SECRET": gate["device_secret"],
            **{f"CP_DEMO_{k.upper()}": v for k, v in gate.items() if k.startswith("mqtt_")}}
    (ROOT / "run" / "local.env").write_text("".join(f"export {k}={v}\n" for k, v in {**stack.env, **demo}.items()))
    while proc.poll() is None and not stopping.wait(0.5):
        pass
    shut_down(proc)
    site.stop()
    broker.stop()
    stack.stop()


def shut_down(proc: subprocess.Popen[bytes]) -> None:
    """chalice local stops on SIGINT (it ignores SIGTERM); escalate if it does not."""
    for send in (lambda: proc.send_signal(signal.SIGINT), proc.terminate, proc.kill):
        if proc.poll() is not None:
            return
        send()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            continue


if __name__ == "__main__":
    main()
