"""Identity verification: sealed uploads, submission, the verifier's review window, own downloads."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from chalice import Blueprint

from .. import bootstrap
from ..api.http import Api
from ..api.schemas import identity as s
from ..domain.errors import InvalidInputError
from ..domain.identity import IdentityCase
from ..domain.timeutil import format_instant
from ..services import identity
from ..services.ports import Ledger

bp = Blueprint(__name__)
api = Api(bp)


def case_out(case: IdentityCase) -> dict[str, Any]:
    docs = [{"side": side, "content_type": ref.content_type, "uploaded_at": format_instant(ref.uploaded_at)}
            for side, ref in sorted(case.documents.items())]
    return {"user_id": case.user_id, "case_id": case.case_id, "status": case.status, "documents": docs,
            "opened_at": format_instant(case.opened_at) if case.opened_at else None,
            "decided_at": format_instant(case.decided_at) if case.decided_at else None, "reason": case.reason}


def _access_log() -> Ledger:
    """Reads of sealed documents are recorded on the ledger before the document is unsealed."""
    return bootstrap.deps().recorder


def _document_out(side: str, data: bytes, content_type: str, entry: str) -> dict[str, Any]:
    return {"side": side, "content_type": content_type, "data": base64.b64encode(data).decode("ascii"), "retrieve_entry": entry}


@api.route("POST", "/me/identity/documents/{side}", "uploadIdentityDocument",
           "Upload one side (front, back, selfie) as a device envelope; it is sealed to you", "identity",
           request=s.IdentityDocumentIn, response=s.IdentityCaseOut, status=201, errors=(409,))
def upload(side: str) -> dict[str, Any]:
    req = api.body(s.IdentityDocumentIn)
    try:
        envelope = base64.b64decode(req.envelope, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInputError("envelope must be base64", field="envelope") from None
    d = bootstrap.deps()
    case = identity.upload_document(api.principal(), side, req.content_type, envelope, cases=d.identity_cases, device=d.enclave,
                                    documents=d.blobs, clock=d.clock, new_id=d.new_id)
    return case_out(case)


@api.route("POST", "/me/identity/submit", "submitIdentity", "Open my case for review (all three sides uploaded)", "identity",
           response=s.IdentityCaseOut, errors=(404, 409, 422))
def submit() -> dict[str, Any]:
    d = bootstrap.deps()
    return case_out(identity.submit(api.principal(), cases=d.identity_cases, clock=d.clock))


@api.route("GET", "/me/identity", "getMyIdentity", "My identity case", "identity", response=s.IdentityCaseOut, errors=(404,))
def my_identity() -> dict[str, Any]:
    return case_out(identity.my_case(api.principal(), bootstrap.deps().identity_cases))


@api.route("GET", "/me/identity/documents/{side}", "downloadMyIdentityDocument", "Download one of my documents (logged)",
           "identity", response=s.IdentityDocumentOut, errors=(404, 410, 503))
def my_document(side: str) -> dict[str, Any]:
    d = bootstrap.deps()
    data, content_type, entry = identity.read_own_document(api.principal(), side, cases=d.identity_cases, documents=d.blobs,
                                                           enclave=d.enclave, ledger=_access_log(), clock=d.clock)
    return _document_out(side, data, content_type, entry)


@api.route("GET", "/admin/identity/cases", "listIdentityCases", "Cases open for review (verifier)", "identity",
           response=s.IdentityCaseList, errors=(403,))
def open_cases() -> dict[str, Any]:
    return {"cases": [case_out(c) for c in identity.open_cases(api.principal(), cases=bootstrap.deps().identity_cases)]}


@api.route("GET", "/admin/identity/cases/{user_id}/documents/{side}", "reviewIdentityDocument",
           "View a document of an open case (verifier); every view is a retrieve entry on the ledger", "identity",
           response=s.IdentityDocumentOut, errors=(403, 404, 410, 503))
def review_document(user_id: str, side: str) -> dict[str, Any]:
    d = bootstrap.deps()
    who = api.principal()
    data, content_type, entry = identity.review_document(who, user_id, side, cases=d.identity_cases, documents=d.blobs,
                                                         enclave=d.enclave, ledger=_access_log(), clock=d.clock)
    return _document_out(side, data, content_type, entry)


@api.route("POST", "/admin/identity/cases/{user_id}/approve", "approveIdentity", "Approve an identity; review access ends",
           "identity", response=s.IdentityCaseOut, errors=(403, 404, 409))
def approve(user_id: str) -> dict[str, Any]:
    d = bootstrap.deps()
    return case_out(identity.decide(api.principal(), user_id, True, None, cases=d.identity_cases, clock=d.clock))


@api.route("POST", "/admin/identity/cases/{user_id}/reject", "rejectIdentity", "Reject with a reason; review access ends",
           "identity", request=s.DecisionIn, response=s.IdentityCaseOut, errors=(400, 403, 404, 409))
def reject(user_id: str) -> dict[str, Any]:
    req = api.body(s.DecisionIn)
    d = bootstrap.deps()
    return case_out(identity.decide(api.principal(), user_id, False, req.reason, cases=d.identity_cases, clock=d.clock))
