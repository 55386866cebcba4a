"""Wire formats of the identity blueprint (routes/identity.py): ID documents and their review."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from .common import Strict

Base64 = Field(description="standard base64")


class IdentityDocumentIn(Strict):
    content_type: Literal["image/jpeg", "image/png"]
    envelope: str = Field(min_length=124, max_length=8 * 1024 * 1024, description="base64 device envelope (see /enclave/public-key)")


class IdentityDocumentMeta(BaseModel):
    side: str
    content_type: str
    uploaded_at: str


class IdentityCaseOut(BaseModel):
    user_id: str
    case_id: str
    status: str
    documents: list[IdentityDocumentMeta]
    opened_at: str | None
    decided_at: str | None
    reason: str | None


class IdentityCaseList(BaseModel):
    cases: list[IdentityCaseOut]


class IdentityDocumentOut(BaseModel):
    side: str
    content_type: str
    data: str = Base64
    retrieve_entry: str = Field(description="the ledger entry that records this read")


class DecisionIn(Strict):
    reason: str | None = Field(default=None, max_length=500)
