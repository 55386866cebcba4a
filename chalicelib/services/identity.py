"""Identity verification: sealed ID documents, the verifier's review window, and logged access.

The API never holds a plaintext document at rest: uploads arrive as device envelopes and are re-sealed
to their owner inside the enclave; a plaintext exists only in the response to an authorised read, and
every such read is first recorded on the ledger as a `retrieve` entry (no log entry, no read).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from ..domain import identity as idv
from ..domain.accounts import Principal
from ..domain.errors import ForbiddenError, NotFoundError
from ..domain.identity import DocumentRef, IdentityCase
from ..domain.timeutil import format_instant
from .ports import Clock, DeviceChannel, Enclave, IdentityCases, Ledger, ObjectStore
from .retry import on_conflict

ACCESS_LOG = "side"
RETRIEVE = "retrieve"


def _document_key(case: IdentityCase, side: str) -> str:
    return f"identity/{case.user_id}/{case.case_id}/{side}"


def upload_document(principal: Principal, side: str, content_type: str, envelope: bytes, *, cases: IdentityCases,
                    device: DeviceChannel, documents: ObjectStore, clock: Clock, new_id: Callable[[], str]) -> IdentityCase:
    """Store one side, sealed to its owner; the envelope opens only inside the enclave."""
    idv.check_side(side)
    current = cases.get(principal.user_id)
    case = idv.case_for_upload(current, principal.user_id, new_id())
    sealed = device.reseal_from_device(principal.user_id, idv.DOCUMENT_PURPOSE, side, case.object_id(side), envelope)
    key = _document_key(case, side)
    documents.put(key, sealed, "application/octet-stream")
    updated = idv.with_document(case, side, DocumentRef(key, content_type, hashlib.sha256(sealed).hexdigest(), clock.now()))
    cases.save(updated, current.version if current else None)
    return updated


def submit(principal: Principal, *, cases: IdentityCases, clock: Clock) -> IdentityCase:
    def attempt() -> IdentityCase:
        case = my_case(principal, cases)
        opened = idv.submitted(case, clock.now())
        cases.save(opened, case.version)
        return opened

    return on_conflict(attempt)


def my_case(principal: Principal, cases: IdentityCases) -> IdentityCase:
    case = cases.get(principal.user_id)
    if case is None:
        raise NotFoundError("you have not uploaded identity documents", field="case")
    return case


def _require_admin(principal: Principal) -> None:
    if not principal.is_admin:
        raise ForbiddenError("only verifiers (admins) can review identity documents")


def _read(case: IdentityCase, side: str, viewer: Principal, *, documents: ObjectStore, enclave: Enclave, ledger: Ledger,
          clock: Clock) -> tuple[bytes, str]:
    ref = case.documents.get(idv.check_side(side))
    if ref is None:
        raise NotFoundError(f"no {side} document in this case", field="side")
    sealed = documents.get(ref.key)
    receipt = ledger.record(log=ACCESS_LOG, action=RETRIEVE, user_id=case.user_id, order_id=f"identity:{case.case_id}",
                            sealed={"viewer": viewer.user_id, "document": side, "at": format_instant(clock.now())},
                            digests={"sealed_document": hashlib.sha256(sealed).hexdigest()})
    return enclave.unseal(case.user_id, idv.DOCUMENT_PURPOSE, case.object_id(side), sealed), receipt.entry_id


def read_own_document(principal: Principal, side: str, *, cases: IdentityCases, documents: ObjectStore, enclave: Enclave,
                      ledger: Ledger, clock: Clock) -> tuple[bytes, str, str]:
    """The owner may always read their own documents; (plaintext, content type, ledger entry id)."""
    case = my_case(principal, cases)
    data, entry = _read(case, side, principal, documents=documents, enclave=enclave, ledger=ledger, clock=clock)
    return data, case.documents[side].content_type, entry


def review_document(principal: Principal, user_id: str, side: str, *, cases: IdentityCases, documents: ObjectStore,
                    enclave: Enclave, ledger: Ledger, clock: Clock) -> tuple[bytes, str, str]:
    """A verifier's view, only while the case is open, each one an explicit unseal logged on the ledger."""
    _require_admin(principal)
    case = cases.get(user_id)
    if case is None:
        raise NotFoundError("no identity case for this user", field="user_id")
    idv.require_open_for_review(case)
    data, entry = _read(case, side, principal, documents=documents, enclave=enclave, ledger=ledger, clock=clock)
    return data, case.documents[side].content_type, entry


def open_cases(principal: Principal, *, cases: IdentityCases, limit: int = 100) -> list[IdentityCase]:
    _require_admin(principal)
    return cases.open_cases(limit)


def decide(principal: Principal, user_id: str, approve: bool, reason: str | None, *, cases: IdentityCases,
           clock: Clock) -> IdentityCase:
    _require_admin(principal)
    if principal.user_id == user_id:
        raise ForbiddenError("nobody verifies their own identity")

    def attempt() -> IdentityCase:
        case = cases.get(user_id)
        if case is None:
            raise NotFoundError("no identity case for this user", field="user_id")
        done = idv.decided(case, approve, principal.user_id, reason, clock.now())
        cases.save(done, case.version)
        return done

    return on_conflict(attempt)
