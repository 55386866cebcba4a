"""The ledger's routes: digests, blocks, entries with proofs, history, export, evidence bundles, status."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from .. import bootstrap
from ..api import ledger_schemas as s
from ..api.http import Api
from ..domain.errors import InvalidInputError
from ..services import ledger_reads as reads
from ..services.ledger import LedgerService

bp = Blueprint(__name__)
api = Api(bp)
TAG = "ledger"


def _int(value: str, name: str) -> int:
    if not value.isdigit() or len(value) > 15:
        raise InvalidInputError(f"{name} must be a non-negative integer", field=name)
    return int(value)


def _ledger() -> LedgerService:
    return bootstrap.deps().ledger


@api.route("GET", "/ledger/validators", "getLedgerValidators", "The validator set (public keys, certificates)", TAG,
           response=s.ValidatorSetOut, auth=False)
def validators() -> dict[str, Any]:
    return reads.published_validators(_ledger())


@api.route("GET", "/ledger/status", "getLedgerStatus", "Heights, queued entries and the last certification failure",
           TAG, response=s.StatusOut)
def status() -> dict[str, Any]:
    return reads.status(_ledger())


@api.route("POST", "/admin/ledger/cut", "cutLedgerBlocks", "Cut and certify blocks of every queued entry now (admin)",
           TAG, response=s.CutOut, errors=(403, 422))
def cut() -> dict[str, Any]:
    return reads.force_cut(api.principal(), _ledger())


@api.route("GET", "/ledger/{log}/digest", "getLedgerDigest", "The signed tree head and its quorum certificate", TAG,
           response=s.DigestOut)
def digest(log: str) -> dict[str, Any]:
    return reads.digest(_ledger(), log)


@api.route("GET", "/ledger/{log}/blocks/{height}", "getLedgerBlock", "A certified block header and certificate", TAG,
           response=s.BlockOut)
def block(log: str, height: str) -> dict[str, Any]:
    return reads.get_block(_ledger(), log, _int(height, "height"))


@api.route("GET", "/ledger/{log}/entries/{seq}", "getLedgerEntry", "An entry (yours, or any for admins) with its inclusion proof",
           TAG, response=s.EntryOut, errors=(422,))
def entry(log: str, seq: str) -> dict[str, Any]:
    return reads.get_entry(api.principal(), _ledger(), log, _int(seq, "seq"))


@api.route("POST", "/ledger/{log}/entries/{seq}/unseal", "unsealLedgerEntry",
           "Your own entry's sealed fields in plaintext; the read is itself recorded as a retrieve entry", TAG,
           response=s.UnsealedOut, errors=(410, 422))
def unseal(log: str, seq: str) -> dict[str, Any]:
    return reads.unseal_entry(api.principal(), _ledger(), log, _int(seq, "seq"))


@api.route("GET", "/ledger/{log}/entries/{seq}/bundle", "getEvidenceBundle",
           "carparker.evidence/v1 bundle for an entry: verify offline with python -m chalicelib.cli verify-bundle", TAG,
           response=s.BundleOut, errors=(422,))
def bundle(log: str, seq: str) -> dict[str, Any]:
    return reads.evidence_bundle(api.principal(), _ledger(), log, _int(seq, "seq"))


@api.route("GET", "/ledger/{log}/consistency", "getConsistencyProof", "RFC 9162 consistency proof between two tree sizes",
           TAG, query=s.ConsistencyQuery, response=s.ConsistencyOut)
def consistency(log: str) -> dict[str, Any]:
    q = api.query(s.ConsistencyQuery)
    return reads.consistency(_ledger(), log, q.from_, q.to)


@api.route("GET", "/ledger/orders/{order_id}/history", "getOrderHistory", "Ledger entries of an order (yours only unless admin)",
           TAG, response=s.HistoryOut)
def order_history(order_id: str) -> dict[str, Any]:
    return reads.history_by_order(api.principal(), _ledger(), order_id)


@api.route("GET", "/ledger/users/me/history", "getMyLedgerHistory", "Your ledger entries (admins: ?user_id=)", TAG,
           query=s.HistoryQuery, response=s.HistoryOut, errors=(403,))
def my_history() -> dict[str, Any]:
    return reads.history_by_user(api.principal(), _ledger(), api.query(s.HistoryQuery).user_id)


@api.route("POST", "/ledger/{log}/export", "exportLedgerLog", "Export a log as JSON lines to S3 (admin)", TAG,
           response=s.ExportOut, status=201, errors=(403,))
def export(log: str) -> dict[str, Any]:
    d = bootstrap.deps()
    return reads.export_log(api.principal(), d.ledger, log, d.blobs)
