"""The offline verifier on real bundles: it accepts honest evidence and rejects edits."""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.verify import (
    VerificationError,
    verify_bundle,
    verify_bundle_bytes,
    verify_evidence,
)
from tests.unit.bundle_factory import (
    CA_KEY,
    OTHER_KEY,
    PHOTOS,
    VALIDATOR_KEYS,
    ca_certificate,
    dump,
    issue_certificate,
    make_bundle,
    make_ledger,
    make_zip,
    pem,
    sign_block,
    validator_set,
)

LEDGER = make_ledger()
BUNDLE = make_bundle(LEDGER)
CA_BUNDLE = make_bundle(LEDGER, with_ca=True, signers=(0, 1, 2, 3))
Edit = Callable[[dict[str, Any]], None]


def edited(edit: Edit, bundle: dict[str, Any] = BUNDLE) -> dict[str, Any]:
    copied = copy.deepcopy(bundle)
    edit(copied)
    return copied


def test_honest_bundle_verifies_with_a_one_line_summary() -> None:
    summary = verify_bundle(copy.deepcopy(BUNDLE))
    assert summary.line() == ("OK: 3 entries verified against 4 validators (quorum 3/4), "
                              "ledger carparker-local, logs parent up to tree size 12, "
                              "side up to tree size 4")
    assert not summary.validator_set_pinned


def test_single_log_summary_reads_as_in_the_design() -> None:
    bundle = make_bundle(LEDGER, items=[("parent", 0, 0), ("parent", 11, 2), ("parent", 4, 2)])
    assert verify_bundle(bundle).line() == (
        "OK: 3 entries verified against 4 validators (quorum 3/4), ledger carparker-local, "
        "log parent up to tree size 12")


def test_zip_with_attachments_and_ca_certificates_verifies() -> None:
    summary = verify_evidence(make_zip(CA_BUNDLE))
    assert summary.attachments_checked == 2
    assert summary.line().endswith("side up to tree size 4, 2 attachments checked")


def _set(path: str, value: Any) -> Edit:
    """An edit that sets bundle[path] ("/" separated; ints index lists)."""
    def edit(bundle: dict[str, Any]) -> None:
        *parents, last = [int(p) if p.isdigit() else p for p in path.split("/")]
        target: Any = bundle
        for key in parents:
            target = target[key]
        target[last] = value(target[last]) if callable(value) else value
    return edit


def _set_padding_bits(text: str) -> str:
    """Same bytes, non-canonical text: set the unused low bits of the last data character."""
    assert text.endswith("==")  # a 91-byte P-256 SubjectPublicKeyInfo
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    altered = text[:-3] + alphabet[alphabet.index(text[-3]) | 0b1111] + "=="
    assert base64.b64decode(altered) == base64.b64decode(text)
    return altered


def _flip_hex(text: str) -> str:
    return ("0" if text[0] != "0" else "1") + text[1:]


TAMPERING: dict[str, Edit] = {
    "entry user_id": _set("items/0/entry/user_id", "someone-else"),
    "entry sealed ciphertext": _set("items/0/entry/sealed/fee", "AAAA"),
    "entry digest": _set("items/2/entry/digests/front.jpg", "cd" * 32),
    "entry seq": _set("items/0/entry/seq", 3),
    "entry unknown field": _set("items/0/entry/note", "hi"),
    "proof hash": _set("items/1/inclusion_proof/0", _flip_hex),
    "proof hash uppercase": _set("items/1/inclusion_proof/0", str.upper),
    "proof truncated": _set("items/1/inclusion_proof", lambda p: p[:-1]),
    "header cut_at": _set("items/0/block/cut_at", "2025-03-01T10:30:01Z"),
    "header root": _set("items/0/block/root", _flip_hex),
    "header tree_size": _set("items/0/block/tree_size", 13),
    "header ledger_id": _set("items/0/block/ledger_id", "carparker-prod"),
    "certificate header_hash": _set("items/0/certificate/header_hash", _flip_hex),
    "dropped signature": _set("items/0/certificate/signatures", lambda s: s[:2]),
    "unknown signer added": _set("items/0/certificate/signatures",
                                 lambda s: [*s, {**s[0], "validator_id": "validator-9"}]),
    "duplicated signature": _set("items/0/certificate/signatures", lambda s: [*s, s[0]]),
    "signature moved to another block": lambda b: b["items"][1]["certificate"].update(
        signatures=b["items"][0]["certificate"]["signatures"]),
    "signature base64 with a line break": _set("items/0/certificate/signatures/0/signature",
                                               lambda s: s[:8] + "\n" + s[8:]),
    "public key non-canonical base64": _set("validator_set/validators/2/public_key",
                                            lambda k: _set_padding_bits(k)),
    "attachment digest": _set("items/2/attachments/0/sha256", "cd" * 32),
    "attachment renamed": _set("items/2/attachments/0/name", "left.jpg"),
    "bundle ledger_id": _set("ledger_id", "carparker-prod"),
    "bundle format": _set("format", "carparker.evidence/v2"),
    "no items": _set("items", []),
    "validator f lowered": _set("validator_set/f", 0),
    "validator key replaced": _set("validator_set/validators/0/public_key", base64.b64encode(
        OTHER_KEY.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo),
    ).decode()),
    "validator id renamed": _set("validator_set/validators/0/id", "validator-x"),
    "validator removed": _set("validator_set/validators", lambda v: v[:3]),
}


@pytest.mark.parametrize("name", sorted(TAMPERING))
def test_any_edit_fails_verification(name: str) -> None:
    with pytest.raises(VerificationError):
        verify_bundle(edited(TAMPERING[name]))


def test_dropping_one_of_four_signatures_still_leaves_a_quorum() -> None:
    four = make_bundle(LEDGER, signers=(0, 1, 2, 3))
    verify_bundle(edited(_set("items/0/certificate/signatures", lambda s: s[1:]), four))
    with pytest.raises(VerificationError, match="quorum not reached: 2"):
        verify_bundle(edited(_set("items/0/certificate/signatures", lambda s: s[2:]), four))


ATTACHMENT_FILES = {
    "swapped": {"front.jpg": PHOTOS["rear.jpg"], "rear.jpg": PHOTOS["front.jpg"]},
    "missing": {"front.jpg": PHOTOS["front.jpg"]},
    "extra": {**PHOTOS, "notes.txt": b"hello"},
}


@pytest.mark.parametrize("case", sorted(ATTACHMENT_FILES))
def test_swapped_missing_or_extra_attachment_files_fail(case: str) -> None:
    files = ATTACHMENT_FILES[case]
    with pytest.raises(VerificationError, match="attachment|evidence files"):
        verify_evidence(make_zip(BUNDLE, files))
    with pytest.raises(VerificationError, match="attachment|evidence files"):
        verify_bundle_bytes(dump(BUNDLE), files)


def test_zip_without_bundle_json_or_corrupt_zip_fails() -> None:
    zipped = make_zip(BUNDLE)
    with pytest.raises(VerificationError, match="evidence zip end of central directory: signature"):
        verify_evidence(zipped[: len(zipped) // 2])
    with pytest.raises(VerificationError, match="must hold bundle.json first"):
        verify_evidence(make_zip(BUNDLE).replace(b"bundle.json", b"bundle.jsom"))


@pytest.mark.parametrize("text", [
    b'{"format":"a","format":"b"}', b'{"f": 1.0}', b'{"f": NaN}', b"\xff{}", b"{",
])
def test_bundle_json_must_be_strict(text: bytes) -> None:
    with pytest.raises(VerificationError):
        verify_bundle_bytes(text)


def test_pinned_validator_set_must_match() -> None:
    summary = verify_bundle(copy.deepcopy(BUNDLE), trusted_validator_set=validator_set())
    assert summary.validator_set_pinned
    other = validator_set()
    other["validators"][2]["id"] = "validator-7"
    with pytest.raises(VerificationError, match="not the trusted validator set"):
        verify_bundle(copy.deepcopy(BUNDLE), trusted_validator_set=other)
    with pytest.raises(VerificationError, match="ca_certificate is not the trusted one"):
        verify_bundle(copy.deepcopy(BUNDLE), trusted_validator_set=validator_set(with_ca=True))


def _set_certificate(index: int, cert_pem: str | Callable[[str], str]) -> Edit:
    return _set(f"validator_set/validators/{index}/certificate", cert_pem)


CERT_TAMPERING: dict[str, Edit] = {
    "issued by another CA": _set_certificate(1, pem(issue_certificate(
        VALIDATOR_KEYS[1].public_key(), "validator-1", ca_key=OTHER_KEY))),
    "certificate for another key": _set_certificate(1, pem(issue_certificate(
        OTHER_KEY.public_key(), "validator-1"))),
    "expired before the block": _set_certificate(1, pem(issue_certificate(
        VALIDATOR_KEYS[1].public_key(), "validator-1",
        not_after=datetime(2025, 2, 1, tzinfo=UTC)))),
    "certificate missing": lambda b: b["validator_set"]["validators"][1].pop("certificate"),
    "ca missing": lambda b: b["validator_set"].pop("ca_certificate"),
    "ca not self-signed": _set("validator_set/ca_certificate", pem(
        ca_certificate(OTHER_KEY))),
    "certificate not canonical PEM": _set_certificate(1, lambda c: c.replace("\n", "\r\n")),
}


@pytest.mark.parametrize("name", sorted(CERT_TAMPERING))
def test_validator_certificate_problems_fail(name: str) -> None:
    with pytest.raises(VerificationError):
        verify_bundle(edited(CERT_TAMPERING[name], CA_BUNDLE))


def test_ca_certificate_is_checked_only_when_present() -> None:
    verify_bundle(copy.deepcopy(CA_BUNDLE))
    assert CA_KEY is not None and "ca_certificate" not in BUNDLE["validator_set"]


def test_sign_block_helper_produces_certificates_the_verifier_accepts() -> None:
    block = LEDGER.blocks["parent"][0]
    assert len(sign_block(block, range(4))["signatures"]) == 4


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_any_single_bit_flip_in_the_bundle_file_fails(data: st.DataObject) -> None:
    for bundle in (BUNDLE, CA_BUNDLE):
        raw = dump(bundle)
        bit = data.draw(st.integers(min_value=0, max_value=len(raw) * 8 - 1))
        flipped = bytearray(raw)
        flipped[bit // 8] ^= 1 << (bit % 8)
        with pytest.raises(VerificationError):
            verify_bundle_bytes(bytes(flipped))


def test_compact_bundle_file_has_no_ignorable_whitespace() -> None:
    raw = dump(CA_BUNDLE)
    assert json.loads(raw) == CA_BUNDLE
    assert b" \"" not in raw and b": " not in raw and b"\n" not in raw
