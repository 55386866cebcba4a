"""The verifier's rules that a second implementation, written from docs/ledger-format.md alone, found missing:
number spellings, text that is not Unicode, low-S signatures, attachment names, action/log pairs, forks inside
one bundle, CA renewal, node certificates bound to their validator id, and a validators file named when invalid."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.domain.ledger import Entry, signing_payload
from chalicelib.domain.quorum import signature_is_valid
from chalicelib.verify import (
    P256_HALF_ORDER,
    P256_ORDER,
    VerificationError,
    low_s_signature,
    verify_bundle,
    verify_bundle_bytes,
)
from tests.unit.bundle_factory import (
    CA_KEY,
    OTHER_KEY,
    VALIDATOR_KEYS,
    Ledger,
    _entry,
    dump,
    make_bundle,
    make_ledger,
    pem,
    validator_set,
)

LEDGER = make_ledger()
GENESIS = make_bundle(LEDGER, items=[("parent", 0, 0)])  # entry 0 in block 0: seq, height and first_seq are all 0
BUNDLE = make_bundle(LEDGER)


def _texts(bundle: dict[str, Any]) -> str:
    return dump(bundle).decode("utf-8")


# ----------------------------------------------------------------------------------------------- 7. numbers

@pytest.mark.parametrize("old,new", [
    ('"seq":0', '"seq":-0'), ('"height":0', '"height":-0'), ('"first_seq":0', '"first_seq":-0'),
    ('"f":1', '"f":-1'), ('"f":1', '"f":1.0'), ('"f":1', '"f":1e0'), ('"f":1', '"f":1E0'), ('"f":1', '"f":10e-1'),
    ('"version":1', '"version":1.0'), ('"seq":0', '"seq":0.0'), ('"f":1', '"f":01'), ('"f":1', '"f":+1'),
    ('"tree_size":5', '"tree_size":9007199254740997'), ('"f":1', '"f":' + "1" * 5000),
])
def test_integers_have_one_spelling_without_sign(old: str, new: str) -> None:
    text = _texts(GENESIS)
    assert old in text
    verify_bundle_bytes(text.encode())
    with pytest.raises(VerificationError, match="not valid JSON"):
        verify_bundle_bytes(text.replace(old, new, 1).encode())


def test_minus_zero_is_refused_for_saying_it_has_a_sign() -> None:
    with pytest.raises(VerificationError, match="integer -0 has a sign"):
        verify_bundle_bytes(_texts(GENESIS).replace('"seq":0', '"seq":-0', 1).encode())


# ------------------------------------------------------------------------------------- text that is not Unicode

LONE = "\\ud800"  # as JSON spells it: one escape, a lone high surrogate


@pytest.mark.parametrize("where", ['"user_id":"user-0"', '"ledger_id":"carparker-local"', '"validator_id":"validator-0"',
                                   '"order_id":"order-0"', '"fee"', '"format":"carparker.evidence/v1"'])
def test_a_lone_surrogate_anywhere_fails_with_a_reason(where: str) -> None:
    text = _texts(GENESIS)
    assert where in text
    broken = text.replace(where, where[:-1] + LONE + '"', 1)
    with pytest.raises(VerificationError, match="lone surrogate"):
        verify_bundle_bytes(broken.encode())


def test_a_surrogate_pair_is_one_character_and_fine_as_text() -> None:
    bundle = make_bundle(_ledger_with(order_id="order-\U0001f697"), items=[("parent", 0, 0)])
    text = _texts(bundle).replace("\U0001f697", "\\ud83d\\ude97")  # the same string, escaped as UTF-16
    assert verify_bundle_bytes(text.encode()).entries == 1


@pytest.mark.parametrize("data", [
    b"", b"\xef\xbb\xbf{}", b"\xed\xa0\x80", b"\xc0\xaf", b'"text"', b"[]", b"null", b"[" * 100_000, b'{"a":NaN}',
    b'{"a":Infinity}', b'{"a":-Infinity}', b'{"format":"a","format":"a"}', b'{"a":"\x01"}', b"\x00",
])
def test_odd_documents_fail_with_a_verification_error(data: bytes) -> None:
    with pytest.raises(VerificationError):
        verify_bundle_bytes(data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_any_edit_of_the_bytes_fails_with_a_verification_error_or_is_the_same_document(data: st.DataObject) -> None:
    raw = bytearray(dump(BUNDLE))
    at = data.draw(st.integers(0, len(raw) - 1))
    insert = data.draw(st.binary(min_size=0, max_size=6) | st.sampled_from([b"\\ud800", b"-0", b"1e3", b"\\u0000", b"\xed\xa0\x80"]))
    cut = data.draw(st.integers(0, 6))
    raw[at:at + cut] = insert
    try:
        verify_bundle_bytes(bytes(raw))
    except VerificationError:
        return
    assert json.loads(raw) == BUNDLE  # it verified: the same document, with other whitespace or string escapes


# ----------------------------------------------------------------------------------------------- 9. low S

def _high_s(text: str) -> str:
    r, s = decode_dss_signature(base64.b64decode(text))
    assert s <= P256_HALF_ORDER  # what signers produce
    return base64.b64encode(encode_dss_signature(r, P256_ORDER - s)).decode()


def test_the_high_s_twin_of_a_valid_signature_is_refused() -> None:
    bundle = copy.deepcopy(BUNDLE)
    signature = bundle["items"][0]["certificate"]["signatures"][0]
    twin = _high_s(signature["signature"])
    block = LEDGER.blocks["parent"][2]
    key = VALIDATOR_KEYS[0].public_key()
    key.verify(base64.b64decode(twin), signing_payload(block), ec.ECDSA(hashes.SHA256()))  # valid ECDSA all the same
    signature["signature"] = twin
    with pytest.raises(VerificationError, match=r"low S \(s <= n/2\)"):
        verify_bundle(bundle)
    assert not signature_is_valid(key, signing_payload(block), twin)  # the platform does not count it either


def test_signers_normalise_to_low_s() -> None:
    payload = b"carparker-ledger-block-v1\n{}"
    for _ in range(64):
        der = VALIDATOR_KEYS[1].sign(payload, ec.ECDSA(hashes.SHA256()))
        low = low_s_signature(der)
        r, s = decode_dss_signature(low)
        assert s <= P256_HALF_ORDER and decode_dss_signature(der)[0] == r
        assert signature_is_valid(VALIDATOR_KEYS[1].public_key(), payload, base64.b64encode(low).decode())


# ------------------------------------------------------------------------------------------ attachment names

def _ledger_with(*, digests: dict[str, str] | None = None, action: str | None = None, log: str = "parent",
                 order_id: str = "order-0") -> Ledger:
    ledger = Ledger()
    entry = _entry(log, 0, digests)
    entry = Entry(log=log, seq=0, action=action or entry.action, user_id=entry.user_id, order_id=order_id,
                  recorded_at=entry.recorded_at, sealed=entry.sealed, digests=entry.digests)
    ledger.append_block(log, [entry], "2025-03-01T10:15:00Z")
    return ledger


def _attached(names: list[str], digests: list[str] | None = None) -> dict[str, Any]:
    digests = digests or [hashlib.sha256(n.encode()).hexdigest() for n in names]
    bundle = make_bundle(_ledger_with(digests=dict(zip(names, digests, strict=True))), items=[("parent", 0, 0)])
    bundle["items"][0]["attachments"] = [{"name": n, "sha256": d} for n, d in zip(names, digests, strict=True)]
    return bundle


@pytest.mark.parametrize("name", ["left.jpg", "order-1-arrival-front.jpg", "A_b-9.JPG", "x" * 255])
def test_plain_attachment_names_verify(name: str) -> None:
    assert verify_bundle(_attached([name])).entries == 1


@pytest.mark.parametrize("name", [
    "../front.jpg", "..", ".", "photos/front.jpg", "/etc/passwd", "photos\\front.jpg", "C:front.jpg", "C:\\front.jpg",
    ".hidden.jpg", "bundle.json", "front .jpg", "fr\u00f6nt.jpg", "front.jpg\n", "x" * 256, "a\x00b",
])
def test_attachment_names_with_paths_or_odd_characters_are_refused(name: str) -> None:
    with pytest.raises(VerificationError, match="is not a plain file name"):
        verify_bundle(_attached([name]))


def test_two_attachment_names_that_differ_only_in_case_are_refused() -> None:
    with pytest.raises(VerificationError, match="used for two different files"):
        verify_bundle(_attached(["left.jpg", "Left.jpg"]))


# ----------------------------------------------------------------------------------------- action and log

@pytest.mark.parametrize("log,action", [("side", "paid"), ("parent", "upload"), ("parent", "retrieve")])
def test_an_action_on_the_wrong_log_is_refused(log: str, action: str) -> None:
    bundle = make_bundle(_ledger_with(log=log, action=action), items=[(log, 0, 0)])
    with pytest.raises(VerificationError, match=f"entry action '{action}' belongs on the"):
        verify_bundle(bundle)


@pytest.mark.parametrize("log,action", [("parent", "paid"), ("side", "upload"), ("side", "retrieve")])
def test_each_action_on_its_own_log_verifies(log: str, action: str) -> None:
    assert verify_bundle(make_bundle(_ledger_with(log=log, action=action), items=[(log, 0, 0)])).entries == 1


# ---------------------------------------------------------------------------------------- forks in one bundle

def _chain(user: str, blocks: int) -> Ledger:
    """A parent log of one entry per block; ``user`` tells two histories apart."""
    ledger = Ledger()
    for seq in range(blocks):
        entry = _entry("parent", seq)
        ledger.append_block("parent", [Entry(log="parent", seq=seq, action="paid", user_id=user, order_id=entry.order_id,
                                             recorded_at=entry.recorded_at)], f"2025-03-01T10:{10 + seq:02d}:00Z")
    return ledger


def _mixed(*parts: tuple[Ledger, int, int]) -> dict[str, Any]:
    bundles = [make_bundle(ledger, items=[("parent", seq, height)]) for ledger, seq, height in parts]
    return {**bundles[0], "items": [b["items"][0] for b in bundles]}


def test_two_certified_blocks_at_one_height_are_a_fork() -> None:
    one, other = _chain("user-a", 1), _chain("user-b", 1)
    verify_bundle(_mixed((one, 0, 0), (one, 0, 0)))
    with pytest.raises(VerificationError, match="fork: two different certified blocks of the parent log at height 0"):
        verify_bundle(_mixed((one, 0, 0), (other, 0, 0)))


def test_blocks_at_neighbouring_heights_must_link() -> None:
    one, other = _chain("user-a", 2), _chain("user-b", 2)
    verify_bundle(_mixed((one, 0, 0), (one, 1, 1)))
    with pytest.raises(VerificationError, match="fork: the parent blocks at heights 0 and 1 are not of one chain"):
        verify_bundle(_mixed((one, 0, 0), (other, 1, 1)))


def test_two_different_entries_at_one_seq_are_a_fork() -> None:
    one, other = _chain("user-a", 3), _chain("user-b", 3)
    with pytest.raises(VerificationError, match="fork: two different entries at parent#0"):
        verify_bundle(_mixed((one, 0, 0), (other, 0, 2)))


# -------------------------------------------------------------------------------- certificates: CA renewal

T0, T_OLD_CA_ENDS, T_NEW_CA_STARTS = (datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 3, 1, 10, 25, tzinfo=UTC),
                                      datetime(2025, 3, 1, 10, 20, tzinfo=UTC))
NEW_CA_KEY = ec.generate_private_key(ec.SECP256R1())


def _name(cn: str, *extra: x509.NameAttribute) -> x509.Name:
    return x509.Name([*extra, x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _ca(key: ec.EllipticCurvePrivateKey, not_before: datetime, not_after: datetime, cn: str = "CarParker enclave CA") -> x509.Certificate:
    return (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(_name(cn)).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(not_before).not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True).sign(key, hashes.SHA256()))


def _node(i: int, ca: x509.Certificate, ca_key: ec.EllipticCurvePrivateKey, not_before: datetime, *,
          subject: x509.Name | None = None, key: ec.EllipticCurvePrivateKey | None = None, is_ca: bool = False) -> str:
    cert = (x509.CertificateBuilder().subject_name(subject or _name(f"validator-{i}")).issuer_name(ca.subject)
            .public_key((key or VALIDATOR_KEYS[i]).public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(not_before).not_valid_after(datetime(2026, 1, 1, tzinfo=UTC))
            .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True).sign(ca_key, hashes.SHA256()))
    return pem(cert)


OLD_CA = _ca(CA_KEY, T0, T_OLD_CA_ENDS)
NEW_CA = _ca(NEW_CA_KEY, T_NEW_CA_STARTS, datetime(2030, 1, 1, tzinfo=UTC))


def _renewed_set(*, earlier_cas: bool = True, earlier_nodes: bool = True) -> dict[str, Any]:
    """The CA was renewed with a new key at 10:20 (the old CA certificate ends at 10:25), and every node certificate
    was reissued by the new CA then: blocks before 10:25 are covered by the old pair, blocks after by the new one."""
    vset = validator_set()
    for i, item in enumerate(vset["validators"]):
        item["certificate"] = _node(i, NEW_CA, NEW_CA_KEY, T_NEW_CA_STARTS)
        if earlier_nodes:
            item["earlier_certificates"] = [_node(i, OLD_CA, CA_KEY, T0)]
    vset["ca_certificate"] = pem(NEW_CA)
    if earlier_cas:
        vset["earlier_ca_certificates"] = [pem(OLD_CA)]
    return vset


def _with_set(vset: dict[str, Any], bundle: dict[str, Any] = BUNDLE) -> dict[str, Any]:
    return {**copy.deepcopy(bundle), "validator_set": vset}


def test_a_renewed_ca_keeps_blocks_cut_before_the_renewal_verifiable() -> None:
    # BUNDLE's blocks were cut at 10:30, 10:20 and 10:35:00.5: the first and last under the new CA only.
    summary = verify_bundle(_with_set(_renewed_set()))
    assert summary.entries == 3
    early = make_bundle(LEDGER, items=[("parent", 0, 0)])  # cut at 10:10: only the old CA and certificates cover it
    verify_bundle(_with_set(_renewed_set(), early))
    with pytest.raises(VerificationError, match="no certificate of validator-0 is valid at the block time"):
        verify_bundle(_with_set(_renewed_set(earlier_nodes=False), early))


def test_an_earlier_node_certificate_needs_its_earlier_ca_certificate() -> None:
    with pytest.raises(VerificationError, match="is not signed by the CA"):
        verify_bundle(_with_set(_renewed_set(earlier_cas=False)))


def test_a_pinned_set_trusts_each_ca_certificate_it_lists() -> None:
    verify_bundle(_with_set(_renewed_set()), trusted_validator_set=_renewed_set())
    only_new = _renewed_set()
    del only_new["earlier_ca_certificates"]
    for validator in only_new["validators"]:
        del validator["earlier_certificates"]
    with pytest.raises(VerificationError, match="ca_certificate is not the trusted one"):
        verify_bundle(_with_set(_renewed_set()), trusted_validator_set=only_new)


@pytest.mark.parametrize("shape", ["earlier CA without a current one", "empty list", "the current CA repeated",
                                   "a node certificate repeated", "an earlier CA that is no CA"])
def test_malformed_ca_lists_are_refused(shape: str) -> None:
    vset = _renewed_set()
    if shape == "earlier CA without a current one":
        vset = {k: v for k, v in validator_set().items()} | {"earlier_ca_certificates": [pem(OLD_CA)]}
    elif shape == "empty list":
        vset["earlier_ca_certificates"] = []
    elif shape == "the current CA repeated":
        vset["earlier_ca_certificates"] = [pem(NEW_CA)]
    elif shape == "a node certificate repeated":
        vset["validators"][0]["earlier_certificates"] = [vset["validators"][0]["certificate"]]
    else:
        vset["earlier_ca_certificates"] = [_node(0, OLD_CA, CA_KEY, T0)]
    with pytest.raises(VerificationError):
        verify_bundle(_with_set(vset))


CA_BUNDLE = make_bundle(LEDGER, with_ca=True, signers=(0, 1, 2, 3))


def _pem_of(der: bytes) -> str:
    body = base64.b64encode(der).decode()
    return "".join(["-----BEGIN CERTIFICATE-----\n", *(body[i:i + 64] + "\n" for i in range(0, len(body), 64)),
                    "-----END CERTIFICATE-----\n"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["ca_certificate", "validators/2/certificate"]), st.data())
def test_a_mangled_certificate_is_a_verification_error(where: str, data: st.DataObject) -> None:
    """Whatever the DER says once changed (cryptography then fails in many ways, or warns), the canonical PEM of it
    is refused with a reason."""
    bundle = copy.deepcopy(CA_BUNDLE)
    parent = bundle["validator_set"] if where == "ca_certificate" else bundle["validator_set"]["validators"][2]
    key = "ca_certificate" if where == "ca_certificate" else "certificate"
    original = x509.load_pem_x509_certificate(parent[key].encode()).public_bytes(Encoding.DER)
    der = bytearray(original)
    for _ in range(data.draw(st.integers(1, 3))):
        der[data.draw(st.integers(0, len(der) - 1))] = data.draw(st.integers(0, 255))
    if der == original:
        return
    parent[key] = _pem_of(bytes(der))
    with pytest.raises(VerificationError):
        verify_bundle(bundle)


# --------------------------------------------------------------------- certificates: bound to the validator id

def _ca_set(edit_index: int, certificate: str) -> dict[str, Any]:
    vset = validator_set(with_ca=True)
    vset["validators"][edit_index]["certificate"] = certificate
    return vset


def test_a_node_certificate_must_name_its_validator() -> None:
    ca = x509.load_pem_x509_certificate(validator_set(with_ca=True)["ca_certificate"].encode())
    verify_bundle(_with_set(_ca_set(1, _node(1, ca, CA_KEY, T0))))
    cases = {
        "validator-2": _node(1, ca, CA_KEY, T0, subject=_name("validator-2")),
        "an extra attribute": _node(1, ca, CA_KEY, T0, subject=_name("validator-1", x509.NameAttribute(NameOID.ORGANIZATION_NAME, "X"))),
    }
    for case, cert in cases.items():
        with pytest.raises(VerificationError, match=r"its subject must be exactly CN=validator-1"):
            verify_bundle(_with_set(_ca_set(1, cert)))
        assert case


def test_a_node_certificate_must_not_be_a_ca() -> None:
    ca = x509.load_pem_x509_certificate(validator_set(with_ca=True)["ca_certificate"].encode())
    with pytest.raises(VerificationError, match="must not be one"):
        verify_bundle(_with_set(_ca_set(1, _node(1, ca, CA_KEY, T0, is_ca=True))))


def test_a_certificate_for_another_key_is_refused() -> None:
    ca = x509.load_pem_x509_certificate(validator_set(with_ca=True)["ca_certificate"].encode())
    with pytest.raises(VerificationError, match="is for another public key"):
        verify_bundle(_with_set(_ca_set(1, _node(1, ca, CA_KEY, T0, key=OTHER_KEY))))


# ---------------------------------------------------------------------------------------- the bundle document

def test_an_empty_attachments_list_is_a_second_spelling_and_refused() -> None:
    bundle = copy.deepcopy(GENESIS)
    bundle["items"][0]["attachments"] = []
    with pytest.raises(VerificationError, match="attachments must be a non-empty JSON array"):
        verify_bundle(bundle)


def test_bundle_documents_survive_a_json_round_trip() -> None:
    assert json.loads(dump(BUNDLE)) == BUNDLE
