"""The web clients locally: install and build web/ only when it changed, generate the API client, serve web/dist.

`make run` calls ensure_built() and serve(); `make web-client` calls generate_client(); tests/web checks that the
committed client is what generate_client() would write. See docs/web.md.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
WEB = ROOT / "web"
DIST = WEB / "dist"
# Everything a build reads. A change to any of these (and only these) makes ensure_built() build again.
BUILD_INPUTS = ("index.html", "console", "src", "public", "vite.config.ts", "tsconfig.json", "tsconfig.sw.json",
                "package.json", "package-lock.json")
INSTALL_STAMP = WEB / "node_modules" / ".carparker-lock-digest"
BUILD_STAMP = DIST / ".carparker-source-digest"
DEFAULT_TIME_ZONE = "Europe/Amsterdam"
DEMO_CENTER = (52.3731, 4.8926)  # Dam Square, the middle of the demo city


class WebBuildError(RuntimeError):
    """npm is missing, or installing or building web/ failed."""


def _digest(paths: list[Path], base: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(paths):
        h.update(str(path.relative_to(base)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def source_digest(web: Path = WEB) -> str:
    """A hash of every build input's name and bytes (nothing else in web/ counts: node_modules, dist, docs)."""
    files: list[Path] = []
    for name in BUILD_INPUTS:
        path = web / name
        files += [p for p in path.rglob("*") if p.is_file()] if path.is_dir() else [path] if path.exists() else []
    return _digest(files, web)


def build_needed(web: Path = WEB) -> bool:
    stamp = web / "dist" / BUILD_STAMP.name
    return _read(stamp) != source_digest(web) or not (web / "dist" / "index.html").exists()


def _read(path: Path) -> str | None:
    return path.read_text().strip() if path.exists() else None


@contextlib.contextmanager
def _locked() -> Iterator[None]:
    """One install or build at a time (two test workers, or make run beside make test, share web/)."""
    with open(WEB / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _npm(*args: str) -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise WebBuildError("npm not found: the web apps need Node 20 and npm (see docs/web.md)")
    done = subprocess.run([npm, *args], cwd=WEB, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise WebBuildError(f"npm {' '.join(args)} failed:\n{(done.stdout + done.stderr)[-3000:]}")


def ensure_installed() -> bool:
    """npm ci when node_modules is missing or was installed from another package-lock.json. True if it ran."""
    with _locked():
        lock = _digest([WEB / "package-lock.json"], WEB)
        if _read(INSTALL_STAMP) == lock:
            return False
        _npm("ci", "--no-audit", "--no-fund", "--loglevel=error")
        INSTALL_STAMP.write_text(lock + "\n")
        return True


def ensure_built() -> bool:
    """Build web/dist when a build input changed since the last build (and only then). True if it built."""
    ensure_installed()
    with _locked():
        if not build_needed():
            return False
        digest = source_digest()
        _npm("run", "--silent", "build")
        BUILD_STAMP.write_text(digest + "\n")
        return True


# ---------------------------------------------------------------- the generated API client


def served_openapi() -> dict[str, Any]:
    """/openapi.json as the app serves it, asked in-process (no server, no AWS)."""
    from chalice.test import Client

    import app as app_module

    with Client(app_module.app, stage_name="local", project_dir=str(ROOT)) as client:
        response = client.http.get("/openapi.json")
    if response.status_code != 200:
        raise WebBuildError(f"/openapi.json answered {response.status_code}")
    return dict(json.loads(response.body))


def gazetteer_places() -> list[dict[str, Any]]:
    """The offline base map's place names: the server's gazetteer, so the map labels what search understands."""
    from chalicelib.adapters.gazetteer import AMSTERDAM

    return [{"name": name, "lat": lat, "lng": lng, "kind": kind} for name, lat, lng, kind in AMSTERDAM]


def _json_text(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


GENERATED = ("openapi.json", "src/api/schema.d.ts", "src/map/places.json")


def generate_client(into: Path = WEB) -> list[Path]:
    """Write web/openapi.json, web/src/api/schema.d.ts (openapi-typescript) and the map's places; never edit them."""
    ensure_installed()
    (into / "src" / "api").mkdir(parents=True, exist_ok=True)
    (into / "src" / "map").mkdir(parents=True, exist_ok=True)
    (into / "openapi.json").write_text(_json_text(served_openapi()))
    (into / "src" / "map" / "places.json").write_text(_json_text(gazetteer_places()))
    tool = WEB / "node_modules" / ".bin" / "openapi-typescript"
    done = subprocess.run([str(tool), str(into / "openapi.json"), "-o", str(into / "src" / "api" / "schema.d.ts")],
                          cwd=WEB, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise WebBuildError(f"openapi-typescript failed:\n{done.stdout}{done.stderr}")
    return [into / name for name in GENERATED]


# ---------------------------------------------------------------- serving web/dist


@dataclass(frozen=True)
class SiteConfig:
    """What /config.json tells both apps, and what the page's Content-Security-Policy allows."""

    api_base: str
    stage: str = "local"
    tiles: str | None = None  # a tile URL template ({z}/{x}/{y}); None: the offline base map
    tiles_attribution: str = ""
    time_zone: str = DEFAULT_TIME_ZONE
    blob_origin: str | None = None  # where presigned uploads and downloads go (S3; moto locally)
    hosted_fields: str | None = None  # the payment provider's card fields page (infra/hosted_fields.py locally)

    def runtime_config(self) -> dict[str, Any]:
        return {"apiBaseUrl": self.api_base, "stage": self.stage, "timeZone": self.time_zone,
                "map": {"tiles": self.tiles, "attribution": self.tiles_attribution, "center": list(DEMO_CENTER), "zoom": 14},
                "payments": {"hostedFieldsUrl": self.hosted_fields}}

    def content_security_policy(self) -> str:
        api = _origin(self.api_base)
        tiles = f" {_origin(self.tiles)}" if self.tiles else ""
        blobs = f" {_origin(self.blob_origin)}" if self.blob_origin else ""
        frames = _origin(self.hosted_fields) if self.hosted_fields else "'none'"
        return "; ".join((
            "default-src 'self'", "script-src 'self'", "style-src 'self'", f"img-src 'self' data: blob:{tiles}",
            f"connect-src 'self' {api}{blobs}", f"frame-src {frames}", "worker-src 'self'", "manifest-src 'self'",
            "object-src 'none'", "base-uri 'self'", "form-action 'self'", "frame-ancestors 'none'",
        ))


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def site_config(api_base: str) -> SiteConfig:
    """Locally: the API started beside it; a tile server only if CP_WEB_TILES names one."""
    return SiteConfig(api_base=api_base, tiles=os.environ.get("CP_WEB_TILES") or None,
                      tiles_attribution=os.environ.get("CP_WEB_TILES_ATTRIBUTION", ""))


def web_origins(port: int) -> str:
    """The CP_WEB_ORIGINS value for a local web server: both spellings of the loopback host."""
    return f"http://127.0.0.1:{port},http://localhost:{port}"


class _Handler(SimpleHTTPRequestHandler):
    site: SiteConfig
    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, ".js": "text/javascript",
                      ".webmanifest": "application/manifest+json", ".json": "application/json", ".svg": "image/svg+xml"}

    def do_GET(self) -> None:
        if urlsplit(self.path).path == "/config.json":
            body = json.dumps(self.site.runtime_config()).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()

    def end_headers(self) -> None:
        path = urlsplit(self.path).path
        # Hashed assets never change under their name; everything else is checked on every load.
        immutable = path.startswith("/assets/")
        self.send_header("Cache-Control", "public, max-age=31536000, immutable" if immutable else "no-cache")
        self.send_header("Content-Security-Policy", self.site.content_security_policy())
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Permissions-Policy", "geolocation=(self), camera=(self)")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the launcher's terminal is for URLs and errors


def build_in_background() -> Future[bool]:
    """ensure_built() in a thread, so make run builds the apps while moto starts and the demo city is seeded."""
    future: Future[bool] = Future()

    def run() -> None:
        try:
            future.set_result(ensure_built())
        except BaseException as exc:  # handed to whoever waits for the build
            future.set_exception(exc)

    threading.Thread(target=run, name="web-build", daemon=True).start()
    return future


class WebServer:
    """web/dist and /config.json on 127.0.0.1 (port 0: a free one), in a thread of the calling process. The port is
    bound at once, so the API can be told the app's origin before the build is done; serving starts after."""

    def __init__(self, port: int, site: SiteConfig, root: Path = DIST) -> None:
        self.handler: type[_Handler] = type("Handler", (_Handler,), {"site": site})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), partial(self.handler, directory=str(root)))
        self.port = int(self.httpd.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self.app_url, self.console_url = f"{self.url}/", f"{self.url}/console/"
        self.thread: threading.Thread | None = None

    def use(self, site: SiteConfig) -> None:
        """What /config.json and the CSP say from now on (the stack's endpoints are known only once it runs)."""
        self.handler.site = site

    def serve(self) -> None:
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="web", daemon=True)
        self.thread.start()

    def serve_when_built(self, build: Future[bool], timeout_s: float = 600) -> None:
        """Serve once the build is done. Without npm the API still runs, and the URLs say why there is no app."""
        try:
            built = build.result(timeout=timeout_s)
        except WebBuildError as exc:
            if shutil.which("npm") is not None:
                raise
            self.app_url = self.console_url = f"(not built: {exc})"
            return
        print(f"web apps {'built' if built else 'up to date'} in web/dist", file=sys.stderr, flush=True)
        self.serve()

    def stop(self) -> None:
        if self.thread is not None:
            self.httpd.shutdown()
        self.httpd.server_close()


def main(argv: list[str]) -> int:
    """python -m infra.web install | build | client"""
    command = argv[0] if argv else ""
    started = time.monotonic()
    if command == "install":
        ran = ensure_installed()
    elif command == "build":
        ran = ensure_built()
    elif command == "client":
        for path in generate_client():
            print(f"wrote {path.relative_to(ROOT)}")
        ran = True
    else:
        print(main.__doc__, file=sys.stderr)
        return 2
    print(f"web {command}: {'done' if ran else 'up to date'} in {time.monotonic() - started:.1f}s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main(sys.argv[1:]))
