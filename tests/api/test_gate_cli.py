"""The device simulator in the CLI, over real HTTP (a local bridge into the app under test)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from chalicelib import bootstrap, cli
from tests.helpers import ApiClient, at
from tests.order_helpers import World, make_world


@pytest.fixture
def world(api: ApiClient) -> Iterator[World]:
    yield make_world(api)
    bootstrap.override(None)


@pytest.fixture
def base_url(world: World) -> Iterator[str]:
    client = world.api.client

    class Bridge(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers["Content-Length"]))
            r = client.http.post(self.path, headers=dict(self.headers.items()), body=body)
            self.send_response(r.status_code)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(r.body)

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Bridge)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_simulated_device_opens_for_a_reservation_and_denies_a_stranger(world: World, base_url: str,
                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    sharer, parker = world.api.sign_up(), world.api.sign_up(roles=("parker",))
    cp = world.carpark(sharer)
    gate = world.gate(sharer, cp["carpark_id"])
    space = world.api.approved_space(sharer, world.admin, carpark_id=cp["carpark_id"], lot="A1")
    r = world.api.post("/reservations", parker, {"space_id": space["space_id"], "plate": "CLI-42-X", "start": at(1), "end": at(3)})
    world.clock.set(world.at(1) + timedelta(minutes=1))
    now = str(int(world.clock.now().timestamp()))
    common = ["gate", "--url", base_url, "--device-id", gate.device_id, "--secret", gate.secret, "--timestamp", now]
    assert cli.main([*common, "entry", "cli-42-x"]) == 0
    assert '"decision": "open"' in capsys.readouterr().out
    assert world.reservation(parker, r.body["reservation_id"])["state"] == "entered"
    assert cli.main([*common, "entry", "ZZ-00-ZZ"]) == 2
    assert cli.main([*common[:-2], "--timestamp", "1000", "entry", "cli-42-x"]) == 1
    assert "stale_request" in capsys.readouterr().out
