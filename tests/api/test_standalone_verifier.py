"""The verifier people take away. GET /verifier.py serves chalicelib/verify.py byte for byte (the file the platform's
own verify-bundle runs); copied into an empty folder and run by a fresh Python environment that holds nothing but
cryptography (and what cryptography itself needs: cffi, pycparser), it verifies the bundles the server produces today
(an entry's bundle.json and the photo evidence zip) and refuses tampered ones."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
import requests
from packaging.requirements import Requirement

from chalicelib import bootstrap
from tests.api import test_evidence_api, test_ledger_api
from tests.helpers import ApiClient
from tests.unit.bundle_factory import validator_set

parked = test_evidence_api.parked  # the fixture: a parker whose car is in, on a car park's space
take_set = test_evidence_api.take_set
small_blocks = test_ledger_api.small_blocks  # the fixture: blocks of two entries

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def patient_validators(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """These tests need certified blocks, not a deadline test: on a loaded machine the validators may take longer
    than the default 5 s, so the proposer waits up to two minutes (an answer ends the wait at once)."""
    monkeypatch.setenv("CP_VALIDATOR_DEADLINE_MS", "120000")
    bootstrap.override(None)
    yield
    bootstrap.override(None)


def _closure(name: str) -> list[str]:
    """``name`` and the distributions it needs on this interpreter, by their metadata."""
    seen: list[str] = []
    todo = [name]
    while todo:
        dist = todo.pop()
        if dist in seen:
            continue
        seen.append(dist)
        for text in metadata.requires(dist) or []:
            req = Requirement(text)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    return seen


@pytest.fixture(scope="module")
def fresh_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new venv (no pip) whose site-packages holds only cryptography and its own requirements, linked from ours."""
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    (site,) = venv.glob("lib/python3*/site-packages")
    for dist in _closure("cryptography"):
        files = metadata.distribution(dist).files or []
        for top in {f.parts[0] for f in files if f.parts[0] != ".."}:
            source = Path(str(metadata.distribution(dist).locate_file(top)))
            if source.exists():
                (site / top).symlink_to(source)
    python = venv / "bin" / "python"
    present = subprocess.run([str(python), "-I", "-c", "import importlib.metadata as m; "
                              "print(sorted(d.metadata['Name'].lower() for d in m.distributions()))"],
                             capture_output=True, text=True, check=True, timeout=60).stdout
    assert present.strip() == str(sorted(_closure("cryptography")))
    for absent in ("chalicelib", "boto3", "chalice", "pynamodb", "hypothesis"):
        probe = subprocess.run([str(python), "-I", "-c", f"import {absent}"], capture_output=True, timeout=60, cwd=venv)
        assert probe.returncode == 1, absent
    return python


@pytest.fixture
def served_verifier(api: ApiClient, tmp_path: Path) -> Path:
    """GET /verifier.py, unauthenticated, saved alone in an empty folder."""
    reply = api.client.http.get("/verifier.py")
    assert reply.status_code == 200
    assert reply.headers["Content-Type"] == "text/x-python; charset=utf-8"
    assert reply.body == (ROOT / "chalicelib" / "verify.py").read_bytes()
    folder = tmp_path / "auditor"
    folder.mkdir()
    (folder / "verifier.py").write_bytes(reply.body)
    return folder / "verifier.py"


def run(python: Path, verifier: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(python), "-I", verifier.name, *args], cwd=verifier.parent, capture_output=True, text=True,
                          timeout=120, check=False, env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C"})


def _paid_entry_bundle(api: ApiClient) -> bytes:
    parker = api.sign_up()
    receipt = bootstrap.deps().ledger.record(log="parent", action="paid", user_id=parker.user_id, order_id=uuid.uuid4().hex,
                                             sealed={"Fees": "450 EUR"})
    bootstrap.deps().ledger.cut_due(force=True)
    reply = api.client.http.get(f"/ledger/parent/entries/{receipt.seq}/bundle",
                                headers={"Authorization": f"Bearer {parker.token}"})
    assert reply.status_code == 200, reply.body
    return bytes(reply.body)


def _flipped(data: bytes, at: int) -> bytes:
    altered = bytearray(data)
    altered[at] ^= 0x01
    return bytes(altered)


def test_the_served_file_verifies_a_paid_entrys_bundle_in_a_fresh_environment(
        small_blocks: ApiClient, fresh_python: Path, served_verifier: Path) -> None:
    folder = served_verifier.parent
    (folder / "bundle.json").write_bytes(_paid_entry_bundle(small_blocks))
    (folder / "validators.json").write_bytes(small_blocks.client.http.get("/ledger/validators").body)
    ok = run(fresh_python, served_verifier, "bundle.json", "--validators", "validators.json")
    assert ok.returncode == 0 and ok.stderr == "", ok.stderr
    assert ok.stdout.startswith("OK: 1 entry verified against 4 validators (quorum 3/4)")

    data = (folder / "bundle.json").read_bytes()
    for at in (0, len(data) // 3, len(data) // 2, len(data) - 1):
        (folder / "tampered.json").write_bytes(_flipped(data, at))
        bad = run(fresh_python, served_verifier, "tampered.json", "--validators", "validators.json")
        assert bad.returncode == 1 and bad.stderr.startswith("FAIL: ") and "Traceback" not in bad.stderr, bad.stderr

    (folder / "others.json").write_text(json.dumps(validator_set()))
    foreign = run(fresh_python, served_verifier, "bundle.json", "--validators", "others.json")
    assert foreign.returncode == 1 and "not the trusted validator set" in foreign.stderr


def test_the_served_file_verifies_the_photo_evidence_zip_in_a_fresh_environment(
        api: ApiClient, parked: dict[str, Any], fresh_python: Path, served_verifier: Path) -> None:
    parker, order = parked["parker"], parked["order"]
    assert take_set(api, parker, order, "arrival").status == 200
    export = api.post(f"/orders/{order}/evidence", parker)
    assert export.status == 201, export.body
    data = requests.get(export.body["url"], timeout=10).content
    folder = served_verifier.parent
    (folder / "evidence.zip").write_bytes(data)
    (folder / "validators.json").write_bytes(api.client.http.get("/ledger/validators").body)
    ok = run(fresh_python, served_verifier, "evidence.zip", "--validators", "validators.json")
    assert ok.returncode == 0 and ok.stderr == "", ok.stderr
    assert ok.stdout.startswith("OK: 4 entries verified") and ok.stdout.endswith("4 attachments checked\n")

    for at in (0, 40, len(data) // 2, len(data) - 30, len(data) - 1):  # a header, bundle.json, a photo, the directory
        (folder / "tampered.zip").write_bytes(_flipped(data, at))
        bad = run(fresh_python, served_verifier, "tampered.zip")
        assert bad.returncode == 1 and bad.stderr.startswith("FAIL: ") and "Traceback" not in bad.stderr, bad.stderr


def test_the_verifier_is_described_in_the_openapi_document(api: ApiClient) -> None:
    document = api.get("/openapi.json").body
    operation = document["paths"]["/verifier.py"]["get"]
    assert operation["operationId"] == "getVerifier" and operation["security"] == []
    assert operation["responses"]["200"]["content"] == {"text/x-python": {"schema": {"type": "string"}}}
