"""Domain errors: one base class; app.py maps each family to an HTTP status."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error the domain and services raise on purpose."""

    code = "error"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code


class InvalidInputError(DomainError):
    """Input is malformed: wrong type, range or format (400)."""

    code = "invalid_input"


class UnauthenticatedError(DomainError):
    """No valid session, or the account is closed (401)."""

    code = "unauthenticated"


class ForbiddenError(DomainError):
    """Authenticated, but not allowed to do this (403)."""

    code = "forbidden"


class NotFoundError(DomainError):
    """The thing does not exist, or the caller may not know it exists (404)."""

    code = "not_found"


class ConflictError(DomainError):
    """The request collides with the current state (409)."""

    code = "conflict"


class InvalidTransitionError(ConflictError):
    """A state machine refused a transition (409)."""

    code = "invalid_transition"


class RuleViolationError(DomainError):
    """Well-formed input that a business rule refuses (422)."""

    code = "rule_violation"


class UnavailableError(DomainError):
    """A dependency we need is not answering; retrying later may work (503)."""

    code = "unavailable"


class ConcurrentUpdateError(ConflictError):
    """Someone else changed the record first; the caller may re-read and retry (409 if it gives up)."""

    code = "concurrent_update"


class SealError(DomainError):
    """Sealed data could not be sealed or opened: wrong owner, purpose or object, or altered bytes (422).

    Never carries plaintext or key material; the cause stays on __cause__ for the logs."""

    code = "seal_failed"


class KeyErasedError(SealError):
    """The owner's key was destroyed when the account closed: the data is gone for everyone (410)."""

    code = "key_erased"


class CertificateError(DomainError):
    """A node certificate is forged, expired, revoked or malformed (422)."""

    code = "certificate_invalid"
