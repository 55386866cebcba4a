"""Health and the API description."""

from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path
from typing import Any

from chalice import Blueprint, Response

from .. import VERSION, config, verify
from ..api.http import REGISTRY, Api
from ..api.schemas import system as s

bp = Blueprint(__name__)
api = Api(bp)



@api.route("GET", "/health", "getHealth", "Liveness, version and backend", "system", response=s.HealthOut, auth=False)
def health() -> dict[str, str]:
    backend = "moto" if os.environ.get("AWS_ENDPOINT_URL") else "aws"
    return {"status": "ok", "version": VERSION, "backend": backend, "stage": config.stage()}


@api.route("GET", "/openapi.json", "getOpenApi", "This API's OpenAPI 3.1 description", "system", auth=False)
def openapi() -> dict[str, Any]:
    return REGISTRY.document("CarParker API", VERSION)


@functools.cache
def _verifier_source() -> bytes:
    return Path(verify.__file__).read_bytes()


@api.route("GET", "/verifier.py", "getVerifier",
           "The offline evidence verifier: one file, Python 3.11+ and cryptography only (python3 verifier.py "
           "evidence.zip --validators validators.json; docs/ledger-format.md section 12)", "system", auth=False,
           media_type="text/x-python")
def verifier() -> Response:
    source = _verifier_source()  # the very file the platform's own verify-bundle runs
    return Response(body=source.decode("utf-8"), status_code=200,
                    headers={"Content-Type": "text/x-python; charset=utf-8",
                             "Content-Disposition": 'inline; filename="verifier.py"',
                             "ETag": f'"{hashlib.sha256(source).hexdigest()}"', "Cache-Control": "public, max-age=300"})
