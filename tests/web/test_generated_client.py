"""The committed API client is what the app serves today, and the web sources type-check (tsc --noEmit, strict)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from infra import web


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("client")
    web.generate_client(into=out)
    return out


@pytest.mark.parametrize("name", web.GENERATED)
def test_the_committed_client_matches_what_the_app_serves(regenerated: Path, name: str) -> None:
    committed = (web.WEB / name).read_text()
    assert (regenerated / name).read_text() == committed, (
        f"web/{name} is out of date with the API: run `make web-client` and commit the result (never edit it by hand)")


def test_the_generated_types_name_every_operation_the_app_serves(regenerated: Path) -> None:
    from chalicelib.api.http import REGISTRY

    types = (regenerated / "src" / "api" / "schema.d.ts").read_text()
    missing = [op.path for op in REGISTRY.operations if f'"{op.path}": {{' not in types]
    assert not missing


def test_the_web_sources_type_check() -> None:
    web.ensure_installed()
    npm = shutil.which("npm")
    assert npm, "npm (Node 20) is required"
    done = subprocess.run([npm, "run", "--silent", "typecheck"], cwd=web.WEB, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
