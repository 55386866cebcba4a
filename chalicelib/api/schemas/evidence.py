"""Wire formats of the evidence blueprint (routes/evidence.py): photos, evidence exports and claims."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from .common import Strict


class PhotoIn(Strict):
    view: str = Field(min_length=1, max_length=32, examples=["front"])
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    size: int = Field(gt=0, le=15 * 1024 * 1024)
    content_type: Literal["image/jpeg"] = "image/jpeg"


class PhotoSetIn(Strict):
    photos: list[PhotoIn] = Field(min_length=1, max_length=12)


class UploadOut(BaseModel):
    view: str
    url: str
    method: str
    headers: dict[str, str]
    expires_in: int


class UploadsOut(BaseModel):
    phase: str
    uploads: list[UploadOut]


class PhotoOut(BaseModel):
    view: str
    sha256: str
    size: int
    entry_id: str | None


class PhotoSetOut(BaseModel):
    order_id: str
    phase: str
    status: str
    requested_at: str
    photos: list[PhotoOut]


class PhotoSetList(BaseModel):
    sets: list[PhotoSetOut]


class EvidenceExportOut(BaseModel):
    url: str
    expires_in: int
    photos: int
    retrieve_entry: str


class ClaimIn(Strict):
    share_with: list[Literal["sharer", "carpark"]] = Field(min_length=1, max_length=2)
    description: str = Field(min_length=1, max_length=2000)


class ClaimOut(BaseModel):
    claim_id: str
    order_id: str
    status: str
    share_with: list[str]
    description: str
    opened_at: str
    expires_at: str
    closed_at: str | None
    access_log: list[dict[str, str]]


class ClaimList(BaseModel):
    claims: list[ClaimOut]
