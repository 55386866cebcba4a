"""Wire formats of the system blueprint (routes/system.py)."""

from __future__ import annotations

from pydantic import BaseModel


class HealthOut(BaseModel):
    status: str
    version: str
    backend: str
    stage: str
