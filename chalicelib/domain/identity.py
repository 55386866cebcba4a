"""Identity verification cases: a parker's sealed ID documents and the one window in which a verifier may
look at them. collecting → open (submitted) → approved | rejected; after a rejection the next upload
starts a new case."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from .errors import ConflictError, ForbiddenError, InvalidInputError, RuleViolationError

SIDES = ("front", "back", "selfie")
COLLECTING, OPEN, APPROVED, REJECTED = "collecting", "open", "approved", "rejected"
DOCUMENT_PURPOSE = "id-document"
IMAGE_TYPES = ("image/jpeg", "image/png")


@dataclass(frozen=True)
class DocumentRef:
    key: str  # where the sealed bytes are stored
    content_type: str
    sealed_sha256: str  # of the sealed bytes: names them on the ledger without revealing anything
    uploaded_at: datetime


@dataclass(frozen=True)
class IdentityCase:
    user_id: str
    case_id: str
    status: str
    documents: dict[str, DocumentRef] = field(default_factory=dict)
    opened_at: datetime | None = None
    decided_at: datetime | None = None
    decided_by: str | None = None
    reason: str | None = None
    version: int = 1

    def object_id(self, side: str) -> str:
        """Binds a sealed document to its case and side (the enclave's encryption context)."""
        return f"{self.case_id}/{check_side(side)}"


def check_side(side: str) -> str:
    if side not in SIDES:
        raise InvalidInputError(f"side must be one of {', '.join(SIDES)}", field="side")
    return side


def case_for_upload(current: IdentityCase | None, user_id: str, new_case_id: str) -> IdentityCase:
    """The case an upload goes into: the one being collected, or a fresh one after a rejection."""
    if current is None or current.status == REJECTED:
        return IdentityCase(user_id, new_case_id, COLLECTING, version=current.version + 1 if current else 1)
    if current.status == OPEN:
        raise ConflictError("your documents are being reviewed; wait for the decision", code="case_under_review")
    if current.status == APPROVED:
        raise ConflictError("your identity is already verified", code="already_verified")
    return current


def with_document(case: IdentityCase, side: str, ref: DocumentRef) -> IdentityCase:
    return replace(case, documents={**case.documents, check_side(side): ref}, version=case.version + 1)


def submitted(case: IdentityCase, now: datetime) -> IdentityCase:
    if case.status != COLLECTING:
        raise ConflictError(f"a case that is {case.status} cannot be submitted", code="invalid_transition")
    missing = [s for s in SIDES if s not in case.documents]
    if missing:
        raise RuleViolationError(f"upload {', '.join(missing)} first", field="documents", code="documents_missing")
    return replace(case, status=OPEN, opened_at=now, version=case.version + 1)


def decided(case: IdentityCase, approve: bool, verifier_id: str, reason: str | None, now: datetime) -> IdentityCase:
    if case.status != OPEN:
        raise ConflictError(f"a case that is {case.status} cannot be decided", code="invalid_transition")
    if not approve and not reason:
        raise InvalidInputError("a rejection needs a reason", field="reason")
    return replace(case, status=APPROVED if approve else REJECTED, decided_at=now, decided_by=verifier_id, reason=reason,
                   version=case.version + 1)


def require_open_for_review(case: IdentityCase) -> None:
    """A verifier sees documents only while the case is open; a decision ends that access."""
    if case.status != OPEN:
        raise ForbiddenError(f"this case is {case.status}: its documents are not open for review", code="case_not_open")
