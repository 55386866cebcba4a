"""Serving the web apps locally: rebuilt only when their sources change; /config.json and headers as documented."""

from __future__ import annotations

import json
import shutil
import urllib.error
import urllib.request
from collections.abc import Iterator
from email.message import Message
from pathlib import Path

import pytest

from infra import web


def tree(root: Path) -> Path:
    for name, text in {"index.html": "<html></html>", "src/main.tsx": "x", "package-lock.json": "{}", "public/a.svg": "<svg/>"}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def built(root: Path) -> None:
    (root / "dist").mkdir(exist_ok=True)
    (root / "dist" / "index.html").write_text("built")
    (root / "dist" / web.BUILD_STAMP.name).write_text(web.source_digest(root))


def test_a_build_is_needed_only_when_a_build_input_changed(tmp_path: Path) -> None:
    root = tree(tmp_path)
    assert web.build_needed(root)
    built(root)
    assert not web.build_needed(root)
    (root / "node_modules").mkdir()
    (root / "node_modules" / "x.js").write_text("installed, not a source")
    (root / "README.md").write_text("docs")
    assert not web.build_needed(root)
    (root / "src" / "main.tsx").write_text("changed")
    assert web.build_needed(root)


def test_a_new_lock_file_or_a_missing_dist_needs_a_build(tmp_path: Path) -> None:
    root = tree(tmp_path)
    built(root)
    (root / "package-lock.json").write_text('{"lockfileVersion": 3}')
    assert web.build_needed(root)
    built(root)
    shutil.rmtree(root / "dist")
    assert web.build_needed(root)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[web.WebServer]:
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "app-abc123.js").write_text("export {}")
    (tmp_path / "index.html").write_text("<!doctype html><title>t</title>")
    (tmp_path / "manifest.webmanifest").write_text("{}")
    site = web.SiteConfig(api_base="http://127.0.0.1:8123", tiles="https://tiles.example.org/{z}/{x}/{y}.png")
    srv = web.WebServer(0, site, root=tmp_path)
    srv.serve()
    yield srv
    srv.stop()


def get(url: str) -> tuple[int, Message, bytes]:
    """Status, headers (case-insensitive, as HTTP's are) and body."""
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


def test_config_json_tells_the_apps_where_the_api_is(server: web.WebServer) -> None:
    status, headers, body = get(server.url + "/config.json")
    assert status == 200 and headers["Content-Type"] == "application/json"
    config = json.loads(body)
    assert config["apiBaseUrl"] == "http://127.0.0.1:8123"
    assert config["map"]["tiles"] == "https://tiles.example.org/{z}/{x}/{y}.png" and config["timeZone"] == "Europe/Amsterdam"


def test_the_page_may_talk_only_to_itself_the_api_and_the_tile_source(server: web.WebServer) -> None:
    _, headers, _ = get(server.url + "/")
    csp = headers["Content-Security-Policy"]
    assert "connect-src 'self' http://127.0.0.1:8123;" in csp
    assert "img-src 'self' data: blob: https://tiles.example.org;" in csp
    assert "script-src 'self';" in csp and "frame-ancestors 'none'" in csp


def test_hashed_assets_are_immutable_and_pages_are_revalidated(server: web.WebServer) -> None:
    assert get(server.url + "/assets/app-abc123.js")[1]["Cache-Control"] == "public, max-age=31536000, immutable"
    assert get(server.url + "/")[1]["Cache-Control"] == "no-cache"
    assert get(server.url + "/manifest.webmanifest")[1]["Content-Type"] == "application/manifest+json"
    assert get(server.url + "/assets/missing.js")[0] == 404


def test_without_a_tile_source_the_config_asks_for_the_offline_base_map() -> None:
    site = web.SiteConfig(api_base="http://127.0.0.1:1")
    assert site.runtime_config()["map"]["tiles"] is None
    assert "img-src 'self' data: blob:;" in site.content_security_policy()


def test_the_local_web_origins_are_both_loopback_spellings() -> None:
    assert web.web_origins(8001) == "http://127.0.0.1:8001,http://localhost:8001"


def test_uploads_and_the_card_fields_are_allowed_once_the_stack_names_them(server: web.WebServer) -> None:
    assert "frame-src 'none'" in get(server.url + "/")[1]["Content-Security-Policy"]
    server.use(web.SiteConfig(api_base="http://127.0.0.1:8123", blob_origin="http://127.0.0.1:9000",
                              hosted_fields="http://127.0.0.1:8002/hosted-fields"))
    _, headers, body = get(server.url + "/config.json")
    csp = headers["Content-Security-Policy"]
    assert "connect-src 'self' http://127.0.0.1:8123 http://127.0.0.1:9000;" in csp
    assert "frame-src http://127.0.0.1:8002;" in csp
    assert json.loads(body)["payments"] == {"hostedFieldsUrl": "http://127.0.0.1:8002/hosted-fields"}
