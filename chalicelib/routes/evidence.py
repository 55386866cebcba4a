"""Accident evidence: photo sets, evidence bundles and claims."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from .. import bootstrap
from ..api.http import Api
from ..api.schemas.evidence import (
    ClaimIn,
    ClaimList,
    ClaimOut,
    EvidenceExportOut,
    PhotoSetIn,
    PhotoSetList,
    PhotoSetOut,
    UploadsOut,
)
from ..domain.photos import Claim, PhotoSet
from ..domain.timeutil import format_instant
from ..services import evidence

bp = Blueprint(__name__)
api = Api(bp)


def set_out(s: PhotoSet) -> dict[str, Any]:
    return {"order_id": s.order_id, "phase": s.phase, "status": s.status, "requested_at": format_instant(s.requested_at),
            "photos": [{"view": p.view, "sha256": p.sha256, "size": p.size, "entry_id": p.entry_id} for p in s.photos]}


def claim_out(c: Claim) -> dict[str, Any]:
    return {"claim_id": c.claim_id, "order_id": c.order_id, "status": c.status, "share_with": list(c.share_with),
            "description": c.description, "opened_at": format_instant(c.opened_at), "expires_at": format_instant(c.expires_at),
            "closed_at": format_instant(c.closed_at) if c.closed_at else None,
            "access_log": [{"user_id": who, "role": role, "at": at} for who, role, at in c.access_log]}


@api.route("POST", "/orders/{order_id}/photos/{phase}", "requestPhotoUploads",
           "Get presigned PUTs for a photo set (arrival, then departure): front, rear, left, right and more",
           "evidence", request=PhotoSetIn, response=UploadsOut, status=201, errors=(409, 422))
def request_photos(order_id: str, phase: str) -> dict[str, Any]:
    req = api.body(PhotoSetIn)
    declared = [evidence.DeclaredPhoto(p.view, p.sha256, p.size, p.content_type) for p in req.photos]
    tickets = evidence.request_uploads(api.principal(), order_id, phase, declared, bootstrap.deps().evidence)
    return {"phase": phase, "uploads": [{"view": v, "url": t.url, "method": t.method, "headers": t.headers,
                                         "expires_in": t.expires_in} for v, t in tickets]}


@api.route("POST", "/orders/{order_id}/photos/{phase}/complete", "completePhotoSet",
           "Check the uploaded photos (digest, JPEG, live EXIF time) and record them on the ledger", "evidence",
           response=PhotoSetOut, errors=(409, 422))
def complete_photos(order_id: str, phase: str) -> dict[str, Any]:
    return set_out(evidence.complete_set(api.principal(), order_id, phase, bootstrap.deps().evidence))


@api.route("GET", "/orders/{order_id}/photos", "listPhotoSets", "My photo sets for an order", "evidence",
           response=PhotoSetList)
def list_photos(order_id: str) -> dict[str, Any]:
    return {"sets": [set_out(s) for s in evidence.list_sets(api.principal(), order_id, bootstrap.deps().evidence)]}


@api.route("POST", "/orders/{order_id}/evidence", "exportEvidence",
           "Build the evidence bundle (zip of photos + proofs) and get a short-lived download URL; logged as a retrieve",
           "evidence", response=EvidenceExportOut, status=201, errors=(409, 422))
def export_evidence(order_id: str) -> dict[str, Any]:
    return evidence.export_for_parker(api.principal(), order_id, bootstrap.deps().evidence)


@api.route("POST", "/orders/{order_id}/claims", "openClaim", "Open a claim and share the order's evidence", "evidence",
           request=ClaimIn, response=ClaimOut, status=201, errors=(422,))
def open_claim(order_id: str) -> dict[str, Any]:
    req = api.body(ClaimIn)
    claim = evidence.open_claim(api.principal(), order_id, tuple(req.share_with), req.description, bootstrap.deps().evidence)
    return claim_out(claim)


@api.route("GET", "/claims/{claim_id}", "getClaim", "A claim (its parker, the parties it is shared with, admins)",
           "evidence", response=ClaimOut)
def get_claim(claim_id: str) -> dict[str, Any]:
    claim, _ = evidence.visible_claim(api.principal(), claim_id, bootstrap.deps().evidence)
    return claim_out(claim)


@api.route("POST", "/claims/{claim_id}/evidence", "claimEvidence",
           "Download a claim's evidence while it is open (recorded in the claim and on the ledger)", "evidence",
           response=EvidenceExportOut, status=201, errors=(422,))
def claim_evidence(claim_id: str) -> dict[str, Any]:
    return evidence.claim_evidence(api.principal(), claim_id, bootstrap.deps().evidence)


@api.route("POST", "/claims/{claim_id}/close", "closeClaim", "Close a claim; sharing ends", "evidence",
           response=ClaimOut, errors=(422,))
def close_claim(claim_id: str) -> dict[str, Any]:
    return claim_out(evidence.close_claim(api.principal(), claim_id, bootstrap.deps().evidence))


@api.route("GET", "/orders/{order_id}/claims", "listOrderClaims", "The claims opened on my order, newest first", "evidence",
           response=ClaimList)
def list_claims(order_id: str) -> dict[str, Any]:
    return {"claims": [claim_out(c) for c in evidence.claims_for_order(api.principal(), order_id, bootstrap.deps().evidence)]}
