"""Health and the API description."""

from __future__ import annotations

import os
from typing import Any

from chalice import Blueprint

from .. import VERSION, config
from ..api import schemas as s
from ..api.http import REGISTRY, Api

bp = Blueprint(__name__)
api = Api(bp)



@api.route("GET", "/health", "getHealth", "Liveness, version and backend", "system", response=s.HealthOut, auth=False)
def health() -> dict[str, str]:
    backend = "moto" if os.environ.get("AWS_ENDPOINT_URL") else "aws"
    return {"status": "ok", "version": VERSION, "backend": backend, "stage": config.stage()}


@api.route("GET", "/openapi.json", "getOpenApi", "This API's OpenAPI 3.1 description", "system", auth=False)
def openapi() -> dict[str, Any]:
    return REGISTRY.document("CarParker API", VERSION)


