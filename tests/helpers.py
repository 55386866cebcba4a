"""Test helpers: an API client that speaks JSON and makes users; time helpers."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

PASSWORD = "Test-password-1"


def at(hours: float, base: datetime | None = None) -> str:
    """An RFC 3339 instant `hours` from the next whole hour (so windows are stable within a test)."""
    now = base or datetime.now(UTC)
    anchor = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    return (anchor + timedelta(hours=hours)).isoformat().replace("+00:00", "Z")


@dataclass
class User:
    user_id: str
    email: str
    token: str


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str]


class ApiClient:
    def __init__(self, client: Any) -> None:
        self.client = client

    def call(self, method: str, path: str, user: User | None = None, body: Any = None, headers: dict[str, str] | None = None) -> Reply:
        h = {"Content-Type": "application/json", **(headers or {})}
        if user is not None:
            h["Authorization"] = f"Bearer {user.token}"
        raw = body if isinstance(body, str) else (json.dumps(body) if body is not None else None)
        fn = getattr(self.client.http, method.lower())
        r = fn(path, headers=h, body=raw) if raw is not None else fn(path, headers=h)
        try:
            parsed = json.loads(r.body) if r.body else None
        except ValueError:
            parsed = r.body
        return Reply(r.status_code, parsed, dict(r.headers))

    def get(self, path: str, user: User | None = None, **kw: Any) -> Reply:
        return self.call("GET", path, user, **kw)

    def post(self, path: str, user: User | None = None, body: Any = None, **kw: Any) -> Reply:
        return self.call("POST", path, user, body if body is not None else {}, **kw)

    def sign_up(self, roles: tuple[str, ...] = ("parker", "sharer"), group: str | None = None, display_name: str = "T",
                email: str | None = None) -> User:
        email = email or f"u{uuid.uuid4().hex[:12]}@example.com"
        r = self.post("/auth/signup", body={"email": email, "password": PASSWORD, "display_name": display_name, "roles": list(roles)})
        assert r.status == 201, r.body
        if group:
            from chalicelib import bootstrap

            bootstrap.deps().idp.add_to_group(r.body["user_id"], group)
        r2 = self.post("/auth/signin", body={"email": email, "password": PASSWORD})
        assert r2.status == 200, r2.body
        return User(r.body["user_id"], email, r2.body["id_token"])

    def approved_space(self, owner: User, admin: User, *, lat: float = 52.3731, lng: float = 4.8926,
                       windows: list[dict[str, Any]] | None = None, **fields: Any) -> dict[str, Any]:
        """A space registered, documented, approved and offered, all through the API."""
        r = self.post("/spaces", owner, {"title": "Test spot", "address": "Dam 1, Amsterdam", "lat": lat, "lng": lng, **fields})
        assert r.status == 201, r.body
        space_id = r.body["space_id"]
        upload_document(self, owner, space_id)
        r = self.post(f"/admin/spaces/{space_id}/approve", admin)
        assert r.status == 200, r.body
        for w in windows if windows is not None else [ALWAYS]:
            r = self.post(f"/spaces/{space_id}/windows", owner, w)
            assert r.status == 201, r.body
        return r.body


ALWAYS = {"kind": "weekly", "rate_minor": 200, "days": [0, 1, 2, 3, 4, 5, 6], "start_time": "00:00", "end_time": "24:00"}


def upload_document(api: ApiClient, owner: User, space_id: str, content: bytes = b"%PDF-1.4 deed") -> None:
    """Ask for the presigned PUT, perform it over real HTTP against moto, and confirm it."""
    import requests

    r = api.post(f"/spaces/{space_id}/document", owner, {"content_type": "application/pdf", "size": len(content)})
    assert r.status == 201, r.body
    put = requests.put(r.body["url"], data=content, headers=r.body["headers"], timeout=10)
    assert put.status_code == 200, put.text
    r = api.post(f"/spaces/{space_id}/document/complete", owner)
    assert r.status == 200, r.body
