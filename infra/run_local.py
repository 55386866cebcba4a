"""`make run`: embedded moto (its state kept under run/), the template applied, demo data, and on 127.0.0.1
`chalice local` and the local scheduler (the app's `@app.schedule` functions, infra/scheduler.py).

Settings (environment): PORT (8000), MOTO_PORT (a free one), PERSIST (1: keep the local state across restarts; 0: start
empty and keep nothing), SNAPSHOT_S (15: seconds between snapshots), RUN_DIR (run/), SCHEDULE_SCALE (1).
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import sys
import time
import urllib.request
from concurrent.futures import Future
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from infra import hosted_fields, localstack, mqtt_local, seed, web  # noqa: E402
from infra.children import Children  # noqa: E402
from infra.local_state import Snapshotter, StateFile  # noqa: E402

STATE_FILE = "local-state.pickle"


@dataclass(frozen=True)
class Settings:
    port: int
    moto_port: int | None
    persist: bool
    snapshot_s: float
    run_dir: Path

    @classmethod
    def from_env(cls) -> Settings:
        persist = os.environ.get("PERSIST", "1").strip()
        if persist not in ("0", "1"):
            raise SystemExit("PERSIST must be 1 (keep local state across restarts) or 0 (start empty, keep nothing)")
        snapshot_s = float(os.environ.get("SNAPSHOT_S", "15"))
        if not 0 < snapshot_s <= 3600:
            raise SystemExit("SNAPSHOT_S must be between 0 and 3600 seconds")
        return cls(int(os.environ.get("PORT", "8000")), int(os.environ.get("MOTO_PORT", "0")) or None, persist == "1",
                   snapshot_s, Path(os.environ.get("RUN_DIR") or ROOT / "run").resolve())


def wait_for(url: str, timeout_s: float, children: Children) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        stopped = children.exited()
        if stopped:
            raise SystemExit(stopped)
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"{url} did not answer within {timeout_s:.0f}s")


def lock_run_dir(run_dir: Path) -> IO[str]:
    """One `make run` per state file: a second one would overwrite the first one's snapshots."""
    handle = (run_dir / ".lock").open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise SystemExit(f"another `make run` keeps its state in {run_dir}; stop it first (or use RUN_DIR=... or PERSIST=0)") from None
    return handle


def use_local_stage() -> None:
    """The seeding and the local card fields build the app's adapters in this process, with the local stage's settings."""
    local_env = json.loads((ROOT / ".chalice" / "config.json").read_text())["stages"]["local"]["environment_variables"]
    for name, value in local_env.items():
        os.environ.setdefault(name, value)
    os.environ.setdefault("CP_LOG_FORMAT", "text")  # readable lines in the terminal; tests and AWS log JSON (docs/observability.md)


def card_fields(site: web.WebServer, stack: localstack.LocalStack) -> hosted_fields.HostedFields:
    """The local payment provider's card fields, on an origin of their own; the app frames them (docs/web.md)."""
    from chalicelib import bootstrap

    fields = hosted_fields.HostedFields(int(os.environ.get("PAY_PORT", "8002")), tuple(web.web_origins(site.port).split(",")),
                                        bootstrap.deps().payments.tokenise)  # type: ignore[attr-defined]
    fields.serve()
    site.use(replace(site.handler.site, blob_origin=stack.endpoint, hosted_fields=fields.url))
    return fields


def start_broker(settings: Settings, stack: localstack.LocalStack) -> mqtt_local.LocalBroker:
    """Gate devices on MQTT: the broker and the bridge that plays the IoT rule, invoking gate_events in this process.
    Its CA is kept in RUN_DIR/mqtt, so a restored stack's devices keep their certificates."""
    os.environ["CP_PAYMENT_WEBHOOK_URL"] = f"http://127.0.0.1:{settings.port}/payments/webhook"  # the bridge's charges settle too
    broker = mqtt_local.start(stack.env["CP_RESOURCE_PREFIX"], localstack.REGION, settings.run_dir / "mqtt", mqtt_local.gate_events,
                              errors_queue=stack.env.get("CP_OUT_GateIngestErrorsUrl"))
    os.environ.update(broker.env)
    stack.env.update(broker.env)
    return broker


def demo_data(stack: localstack.LocalStack) -> dict[str, str]:
    """The demo city, seeded once: a restored stack already has it (and the gate device's secret, shown once)."""
    if "demo" in stack.extra:
        return dict(stack.extra["demo"])
    users = seed.seed()
    from chalicelib import bootstrap

    gate = seed.seed_carpark(bootstrap.deps(), users["sam.sharer@carparker.test"])
    stack.extra["demo"] = {"CP_DEMO_CARPARK": gate["carpark_id"], "CP_DEMO_GATE_DEVICE": gate["device_id"],
                           "CP_DEMO_GATE_SECRET": gate["device_secret"],
                           **{f"CP_DEMO_{k.upper()}": v for k, v in gate.items() if k.startswith("mqtt_")}}
    return dict(stack.extra["demo"])


def state_line(settings: Settings, stack: localstack.LocalStack) -> str:
    if not settings.persist:
        return "off (PERSIST=0): everything is gone when this stops"
    path = settings.run_dir / STATE_FILE
    kept = f"snapshot every {settings.snapshot_s:g} s when something changed, and at Ctrl-C; `make reset` empties it"
    if stack.restored is None:
        return f"new, kept in {path} ({kept})"
    return f"restored from {path} (saved {stack.restored.header.get('saved_at')}; {kept})"


def banner(settings: Settings, stack: localstack.LocalStack, demo: dict[str, str], urls: dict[str, str], ready_s: float) -> str:
    base = urls["API"]
    services = "\n".join(f"  {name:<13} {url}" for name, url in urls.items())
    return f"""
CarParker is running (ready in {ready_s:.1f}s).
{services}
  moto (AWS)    {stack.endpoint}  (AWS_ENDPOINT_URL for the CLI tools)
  scheduler     the app's scheduled functions run on their schedules (logged below)
  local state   {state_line(settings, stack)}
Demo logins (password {seed.PASSWORD}):
  admin   admin@carparker.test
  sharer  sam.sharer@carparker.test
  parker  pat.parker@carparker.test
Demo car park {demo["CP_DEMO_CARPARK"]} (spaces demo-cp-A1..A3) and its gate device:
  python -m chalicelib.cli gate --url {base} --device-id {demo["CP_DEMO_GATE_DEVICE"]} --secret {demo["CP_DEMO_GATE_SECRET"]} entry AB-123-C
{mqtt_lines(demo, os.environ.get("CP_MQTT_ENDPOINT"))}The README's tour works against this instance. Ctrl-C stops everything.
"""


def mqtt_lines(demo: dict[str, str], endpoint: str | None) -> str:
    if not endpoint or "CP_DEMO_MQTT_THING" not in demo:
        return ""
    return (f"and its gate on MQTT (mutual TLS; CA {demo['CP_DEMO_MQTT_CA']}):\n"
            f"  python -m chalicelib.cli gate --mqtt {endpoint} --thing {demo['CP_DEMO_MQTT_THING']} --cert {demo['CP_DEMO_MQTT_CERT']} \\\n"
            f"      --key {demo['CP_DEMO_MQTT_KEY']} --ca {demo['CP_DEMO_MQTT_CA']} exit AB-123-C\n")


def serve(settings: Settings, stack: localstack.LocalStack, children: Children, site: web.WebServer,
          web_build: Future[bool], started: float) -> None:
    """Seed (once), start the app's processes, print the banner, and run until a signal or until a child stops."""
    demo = demo_data(stack)
    fields = card_fields(site, stack)
    try:
        run_until_stopped(settings, stack, children, site, web_build, started, demo, fields.url)
    finally:
        fields.stop()


def run_until_stopped(settings: Settings, stack: localstack.LocalStack, children: Children, site: web.WebServer,
                      web_build: Future[bool], started: float, demo: dict[str, str], fields_url: str) -> None:
    base = f"http://127.0.0.1:{settings.port}"
    # The local payment provider settles charges by itself a moment later and calls our webhook, like a real one.
    env = {**os.environ, **stack.env, "CP_PAYMENT_WEBHOOK_URL": f"{base}/payments/webhook",
           "CP_WEB_ORIGINS": web.web_origins(site.port)}
    (settings.run_dir / "local.env").write_text("".join(f"export {k}={v}\n" for k, v in {**stack.env, **demo}.items()))
    chalice = str(Path(sys.executable).with_name("chalice"))
    children.start("chalice local", [chalice, "local", "--no-autoreload", "--stage", "local", "--host", "127.0.0.1",
                                     "--port", str(settings.port)], env)
    children.start("scheduler", [sys.executable, "-m", "infra.scheduler", "--stage", "local"], env)
    wait_for(f"{base}/health", 60, children)
    site.serve_when_built(web_build)
    urls = {"App": site.app_url, "Console": site.console_url, "API": base,
            "Card fields": f"{fields_url}  the local payment provider's (test cards such as 4242 4242 4242 4242)",
            "OpenAPI": f"{base}/openapi.json", "MQTT broker": f"mqtts://{os.environ.get('CP_MQTT_ENDPOINT')}  (mutual TLS, gate devices)"}
    print(banner(settings, stack, demo, urls, time.monotonic() - started), flush=True)
    while True:
        time.sleep(0.5)
        stopped = children.exited()
        if stopped:
            print(f"{stopped}; stopping everything", flush=True)
            return


def interrupt(*_: Any) -> None:
    raise KeyboardInterrupt  # SIGTERM stops `make run` as Ctrl-C does, start-up included


def main() -> None:
    settings = Settings.from_env()
    started = time.monotonic()
    signal.signal(signal.SIGTERM, interrupt)
    settings.run_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    lock = lock_run_dir(settings.run_dir) if settings.persist else None
    state = StateFile(settings.run_dir / STATE_FILE) if settings.persist else None
    stack: localstack.LocalStack | None = None
    snapshots: Snapshotter | None = None
    broker: mqtt_local.LocalBroker | None = None
    children = Children()
    web_build = web.build_in_background()  # npm ci / vite build only if web/ changed, beside the stack's start
    site = web.WebServer(int(os.environ.get("WEB_PORT", "8001")), web.site_config(f"http://127.0.0.1:{settings.port}"))
    try:
        stack = localstack.start(port=settings.moto_port, state=state)
        use_local_stage()
        broker = start_broker(settings, stack)
        if state is not None:
            demo_data(stack)
            snapshots = Snapshotter(state, stack.snapshot, lambda: stack.server.changes, settings.snapshot_s)
            snapshots.save_if_changed()  # the seeded stack, before anyone uses it
            snapshots.start()
        serve(settings, stack, children, site, web_build, started)
    except KeyboardInterrupt:
        pass
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, signal.SIG_IGN)  # a second Ctrl-C must not cut the last snapshot short
        children.stop()
        site.stop()
        if broker is not None:
            broker.stop()
        if snapshots is not None:
            saved = "saved to" if snapshots.stop() else "up to date in"
            print(f"Local state {saved} {settings.run_dir / STATE_FILE}", flush=True)
        if stack is not None:
            stack.stop()
        if lock is not None:
            lock.close()


if __name__ == "__main__":
    main()
