"""The ledger's own ports: storage, the validators' transport and signers, the validator key directory,
and the export sink. DynamoDB/KMS/Lambda/S3 adapters implement them on AWS; chalicelib/adapters/memory.py
in memory (service tests and benchmarks)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ..domain.errors import ConflictError
from ..domain.ledger import BlockHeader, Entry
from ..domain.quorum import QuorumCertificate, ValidatorSet


class HeadMovedError(ConflictError):
    """Another writer committed (or proposed) at this height first: the conditional write on the head lost."""

    code = "ledger_head_moved"


class DuplicateEntryError(ConflictError):
    """An entry that may exist once (one `paid` per order) was recorded before, at ``seq``."""

    code = "ledger_duplicate"

    def __init__(self, message: str, seq: int) -> None:
        super().__init__(message)
        self.seq = seq


class EquivocationError(ConflictError):
    """A validator was asked to sign a second, different block at a height it already signed."""

    code = "equivocation_refused"


@dataclass(frozen=True)
class StoredBlock:
    header: BlockHeader
    certificate: QuorumCertificate
    frontier: tuple[bytes, ...]  # compact range of the log after this block
    # The set that certified it (its hash is header.validators_hash); None for blocks stored before sets were kept
    # with their blocks, which were all certified by the set the ledger began with.
    validator_set: ValidatorSet | None = None


SubtreeRoot = tuple[int, int, bytes]  # (level, index, root): leaves [index * 2**level, (index + 1) * 2**level)


@dataclass(frozen=True)
class Head:
    """One item per log: the last certified block, and the pending proposal at the next height if any."""

    log: str
    height: int = -1  # -1: no block yet
    tree_size: int = 0
    header_hash: str = ""
    proposal: BlockHeader | None = None
    failure: dict[str, Any] | None = None


class LedgerStore(Protocol):
    def last_seq(self, log: str) -> int: ...
    def put_entry(self, entry: Entry, once: str | None = None) -> None:
        """HeadMovedError if the seq is taken; DuplicateEntryError if ``once`` was used by an earlier entry."""
    def entry(self, log: str, seq: int) -> Entry | None: ...
    def entries(self, log: str, first: int, count: int) -> list[Entry]: ...
    def leaf_hashes(self, log: str, first: int, count: int) -> list[bytes]: ...  # as stored: callers check them
    def subtree_roots(self, log: str, nodes: Sequence[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        """The stored roots of perfect subtrees by (level, index), as stored; absent ones are left out."""
    def by_user(self, user_id: str, limit: int) -> list[Entry]: ...
    def by_order(self, order_id: str, limit: int) -> list[Entry]: ...
    def head(self, log: str) -> Head: ...
    def propose(self, log: str, header: BlockHeader) -> BlockHeader: ...  # the stored proposal (first writer wins)
    def record_failure(self, log: str, failure: dict[str, Any]) -> None: ...
    def commit(self, block: StoredBlock, subtrees: Sequence[SubtreeRoot] = ()) -> None:
        """Block, head and the subtree roots the block completed, at once; HeadMovedError unless the head is at
        height - 1."""
    def block(self, log: str, height: int) -> StoredBlock | None: ...
    def blocks(self, log: str) -> Iterator[StoredBlock]: ...


class Watermarks(Protocol):
    def raise_to(self, validator_id: str, log: str, height: int, header_hash: str) -> None: ...  # EquivocationError


class Signer(Protocol):
    def sign(self, payload: bytes) -> bytes: ...  # DER ECDSA P-256 / SHA-256


class KeyDirectory(Protocol):
    """Validator id -> DER SubjectPublicKeyInfo, in set order; f is derived from the count."""

    def public_keys(self) -> Sequence[tuple[str, bytes]]: ...


class ValidatorTransport(Protocol):
    """Asks one validator to check and sign a proposed header; raises on crash, returns its reply."""

    def request(self, validator_id: str, request: dict[str, Any]) -> dict[str, Any]: ...


class ExportSink(Protocol):
    def put(self, key: str, data: bytes, content_type: str) -> None: ...


@dataclass(frozen=True)
class CertifiedBlock:
    header: BlockHeader
    certificate: QuorumCertificate
    signers: tuple[str, ...]

