"""CORS: only the configured app origins may call the API from a browser, preflight and actual requests alike."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib import config
from chalicelib.api.cors import cors_headers

APP = "http://127.0.0.1:5173"
CONSOLE = "https://console.example.com"


@pytest.fixture
def origins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CP_WEB_ORIGINS", f"{APP}, {CONSOLE}")


def preflight(api: Any, path: str, origin: str, method: str = "POST") -> Any:
    return api.client.http.options(path, headers={"Origin": origin, "Access-Control-Request-Method": method,
                                                  "Access-Control-Request-Headers": "authorization,content-type"})


@pytest.mark.parametrize("origin", [APP, CONSOLE])
def test_a_preflight_from_each_configured_origin_is_granted_for_that_origin(api: Any, origins: None, origin: str) -> None:
    r = preflight(api, "/reservations/abc/cancel", origin)
    assert r.status_code == 204
    assert r.headers["Access-Control-Allow-Origin"] == origin
    assert r.headers["Vary"] == "Origin"
    assert r.headers["Access-Control-Allow-Methods"] == "OPTIONS,POST"
    assert {"Authorization", "Content-Type", "Idempotency-Key"} <= set(r.headers["Access-Control-Allow-Headers"].split(","))


def test_a_preflight_names_every_method_of_its_path(api: Any, origins: None) -> None:
    r = preflight(api, "/spaces/s1/windows/w1", APP, "PUT")
    assert r.headers["Access-Control-Allow-Methods"] == "DELETE,OPTIONS,PUT"


def test_a_preflight_from_another_origin_is_refused_without_a_grant(api: Any, origins: None) -> None:
    r = preflight(api, "/auth/signin", "https://evil.example.com")
    assert r.status_code == 403
    assert "Access-Control-Allow-Origin" not in r.headers
    assert r.json_body["code"] == "origin_not_allowed" and "field" in r.json_body


def test_no_origin_is_allowed_when_none_is_configured(api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CP_WEB_ORIGINS", raising=False)
    assert preflight(api, "/auth/signin", APP).status_code == 403
    r = api.client.http.get("/health", headers={"Origin": APP})
    assert "Access-Control-Allow-Origin" not in r.headers


def test_actual_responses_echo_an_allowed_origin_and_vary_on_it(api: Any, origins: None) -> None:
    ok = api.client.http.get("/health", headers={"Origin": CONSOLE})
    assert ok.status_code == 200
    assert ok.headers["Access-Control-Allow-Origin"] == CONSOLE and ok.headers["Vary"] == "Origin"
    assert "Idempotent-Replayed" in ok.headers["Access-Control-Expose-Headers"]
    refused = api.client.http.post("/auth/signin", headers={"Origin": APP, "Content-Type": "application/json"}, body=b"{}")
    assert refused.status_code == 400  # an app must be able to read the refusal to show it next to its field
    assert refused.headers["Access-Control-Allow-Origin"] == APP


def test_actual_responses_to_another_origin_carry_no_grant(api: Any, origins: None) -> None:
    r = api.client.http.get("/health", headers={"Origin": "http://127.0.0.1:9999"})
    assert r.status_code == 200 and "Access-Control-Allow-Origin" not in r.headers
    assert r.headers["Vary"] == "Origin"


def test_api_responses_are_never_stored_by_browser_caches(api: Any, origins: None) -> None:
    assert api.client.http.get("/health").headers["Cache-Control"] == "no-store"


def test_origins_are_read_at_call_time_and_malformed_ones_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CP_WEB_ORIGINS", "https://a.example.com")
    assert config.web_origins() == ("https://a.example.com",)
    monkeypatch.setenv("CP_WEB_ORIGINS", "https://a.example.com/ ,http://127.0.0.1:8001")  # as a URL is often written
    assert config.web_origins() == ("https://a.example.com", "http://127.0.0.1:8001")
    for bad in ("*", "https://a.example.com/app", "a.example.com", "ftp://a.example.com", "https://*.example.com"):
        monkeypatch.setenv("CP_WEB_ORIGINS", bad)
        with pytest.raises(config.ConfigError):
            config.web_origins()


def test_origin_matching_is_exact() -> None:
    assert cors_headers("https://app.example.com.evil.test", ["https://app.example.com"]) == {"Vary": "Origin"}
    assert cors_headers("http://app.example.com", ["https://app.example.com"]) == {"Vary": "Origin"}
