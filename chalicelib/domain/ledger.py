"""Ledger entries and block headers: frozen values, their canonical bytes, and block rules.

Everything here is a pure function of its arguments (stdlib only). docs/ledger-format.md
is the normative description of these encodings; keep the two in step.

Each log ("parent", "side") is one cumulative RFC 9162 tree, like a transparency log:
a block header commits to the root over *all* entries of its log from seq 0 to
tree_size - 1, so consistency proofs between any two block heads of a log work.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from types import MappingProxyType
from typing import Any, NamedTuple, cast

from chalicelib.domain.canonical import MAX_SAFE_INTEGER, canonical_bytes
from chalicelib.domain.errors import DomainError, InvalidInputError, RuleViolationError
from chalicelib.domain.merkle import leaf_hash, root_from_leaf_hashes
from chalicelib.verify import VerificationError, parse_time

ENTRY_TYPE = "carparker.entry/v1"
BLOCK_TYPE = "carparker.block/v1"
FORMAT_VERSION = 1
# Domain separation: a block signature can never be mistaken for a signature over
# anything else a validator key might sign (RFC 9162 / sigsum do the same).
SIGNING_CONTEXT = b"carparker-ledger-block-v1\n"
GENESIS_PREV_HASH = "0" * 64
LOGS = frozenset({"parent", "side"})
ACTIONS = frozenset({"paid", "upload", "retrieve"})

_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{3})?Z")
_HEX64 = re.compile(r"[0-9a-f]{64}")


class LedgerError(DomainError):
    """Base class of ledger encoding and block-rule errors."""

    code = "ledger_error"


class LedgerFormatError(LedgerError, InvalidInputError):
    """An entry or header (or its dict form) is malformed."""

    code = "invalid_ledger_format"


class BlockMismatchError(LedgerError, RuleViolationError):
    """A block does not follow from its predecessor and entries.

    ``what`` names the rule that failed: "height", "ledger_id", "log", "link", "counts",
    "seq", "validators", "time" or "root".
    """

    code = "block_mismatch"

    def __init__(self, what: str, *, expected: object, computed: object) -> None:
        super().__init__(f"block {what} mismatch: expected {expected!r}, computed {computed!r}",
                         field=what)
        self.what = what
        self.expected = expected
        self.computed = computed


@dataclass(frozen=True)
class Entry:
    """One ledger entry. ``sealed`` holds ciphertexts (field name -> standard base64);
    ``digests`` holds plaintext SHA-256 hex digests (name -> hex) that bind attachments
    such as photos to the entry. Both are read-only after construction."""

    log: str
    seq: int
    action: str
    user_id: str
    order_id: str
    recorded_at: str
    sealed: Mapping[str, str] = field(default_factory=dict)
    digests: Mapping[str, str] = field(default_factory=dict)
    version: int = FORMAT_VERSION

    def __post_init__(self) -> None:
        _require_version(self.version)
        _require_choice("log", self.log, LOGS)
        _require_int("seq", self.seq)
        _require_choice("action", self.action, ACTIONS)
        _require_str("user_id", self.user_id)
        _require_str("order_id", self.order_id, allow_empty=True)
        parse_timestamp(self.recorded_at)
        object.__setattr__(self, "sealed", _frozen_map("sealed", self.sealed, _require_base64))
        object.__setattr__(self, "digests", _frozen_map("digests", self.digests, _require_hex64))


@dataclass(frozen=True)
class BlockHeader:
    """A block of one log. ``root`` is the hex RFC 9162 root over entries 0..tree_size-1
    of the log; ``prev_hash`` is header_hash of the block at height - 1;
    ``validators_hash`` is quorum.validator_set_hash of the set that certifies the block
    (as CometBFT headers do), so a certificate also commits to who may sign it."""

    ledger_id: str
    log: str
    height: int
    first_seq: int
    entry_count: int
    tree_size: int
    root: str
    prev_hash: str
    validators_hash: str
    cut_at: str
    version: int = FORMAT_VERSION

    def __post_init__(self) -> None:
        _require_version(self.version)
        _require_str("ledger_id", self.ledger_id)
        _require_choice("log", self.log, LOGS)
        for name in ("height", "first_seq", "tree_size"):
            _require_int(name, getattr(self, name))
        _require_int("entry_count", self.entry_count, minimum=1)
        _require_hex64("root", self.root)
        _require_hex64("prev_hash", self.prev_hash)
        _require_hex64("validators_hash", self.validators_hash)
        parse_timestamp(self.cut_at)
        self._require_internal_consistency()

    def _require_internal_consistency(self) -> None:
        if self.tree_size != self.first_seq + self.entry_count:
            raise LedgerFormatError(f"tree_size {self.tree_size} != first_seq {self.first_seq}"
                                    f" + entry_count {self.entry_count}")
        # Blocks are never empty, so exactly the genesis block starts at seq 0 and has no parent.
        genesis = (self.height == 0, self.first_seq == 0, self.prev_hash == GENESIS_PREV_HASH)
        if len(set(genesis)) != 1:
            raise LedgerFormatError("height 0, first_seq 0 and an all-zero prev_hash must go "
                                    f"together, got {genesis}")


def parse_timestamp(value: object) -> datetime:
    """Parse an RFC 3339 UTC time with 'Z' and second or millisecond precision (the offline verifier's own rule)."""
    try:
        return parse_time(value)
    except VerificationError as exc:
        raise LedgerFormatError(str(exc)) from exc


def entry_to_dict(entry: Entry) -> dict[str, object]:
    """The entry as a JSON object, type tag included; its canonical form is the leaf data."""
    data: dict[str, object] = {"type": ENTRY_TYPE}
    for f in fields(entry):
        value = getattr(entry, f.name)
        data[f.name] = dict(value) if isinstance(value, Mapping) else value
    return data


def entry_bytes(entry: Entry) -> bytes:
    return canonical_bytes(entry_to_dict(entry))


def entry_leaf_hash(entry: Entry) -> bytes:
    return leaf_hash(entry_bytes(entry))


def entry_from_dict(data: object) -> Entry:
    """Parse an entry object; unknown, missing or mistyped fields raise LedgerFormatError."""
    values = _fields_of(data, ENTRY_TYPE, Entry)
    return Entry(**values)  # type: ignore[arg-type]  # each field is validated in __post_init__


class EntryFacts(NamedTuple):
    """The plaintext facts of an entry that passed every rule of Entry: what an auditor compares."""

    log: str
    seq: int
    action: str
    user_id: str
    order_id: str
    recorded_at: str


_ENTRY_KEYS = frozenset({"type", *(f.name for f in fields(Entry))})


def entry_facts(data: object) -> EntryFacts:
    """Check ``data`` against every rule entry_from_dict applies, without building an Entry.

    The audit's hot path: a parsed entry is checked in place (no frozen copies of its maps, no dataclass),
    by predicates at least as strict as Entry's. Anything they do not accept goes through entry_from_dict,
    which raises the precise LedgerFormatError, so both routes accept and reject exactly the same entries.
    """
    if not _entry_is_valid(data):
        entry = entry_from_dict(data)
        return EntryFacts(entry.log, entry.seq, entry.action, entry.user_id, entry.order_id, entry.recorded_at)
    d: Any = data
    return EntryFacts(d["log"], d["seq"], d["action"], d["user_id"], d["order_id"], d["recorded_at"])


def entry_facts_of_text(text: str) -> EntryFacts:
    """entry_facts(json.loads(text)), read straight off the stored text when it has the canonical spelling.

    One anchored pattern (_CANONICAL_ENTRY) accepts only canonical JSON that entry_facts accepts, and takes the
    facts from its groups: no dict, no copies of the kilobyte of base64 a sealed entry holds. Anything else (any
    escape, several sealed members, a day past the 28th) goes the parsing route, which accepts and rejects as
    before, so this route changes how fast an entry is read, never whether it is accepted."""
    match = _CANONICAL_ENTRY.fullmatch(text)
    if match is not None:
        action, log, order_id, recorded_at, sealed, pad, seq, user_id = match.groups()
        if (int(seq) <= MAX_SAFE_INTEGER and (recorded_at[8:10] <= "28" or _is_timestamp(recorded_at))
                and _sealed_tail_ok(sealed, pad)):
            return EntryFacts(log, int(seq), action, user_id, order_id, recorded_at)
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise LedgerFormatError(f"unreadable, not JSON: {exc}") from exc
    return entry_facts(data)


def _sealed_tail_ok(sealed: str | None, pad: str | None) -> bool:
    """The length and padding rules of canonical base64 for the one sealed value the pattern captured."""
    if sealed is None or pad is None:
        return True  # no sealed member
    if (len(sealed) + len(pad)) % 4:
        return False
    return not pad or sealed[-1] in (_BEFORE_ONE_PAD if pad == "=" else _BEFORE_TWO_PADS)


_JSON_CHAR = r'[^"\\\x00-\x1f\ud800-\udfff]'  # a string character canonical JSON writes as itself
_CANONICAL_ENTRY = re.compile(
    r'\{"action":"(paid|upload|retrieve)"'
    rf',"digests":\{{(?:"{_JSON_CHAR}+":"[0-9a-f]{{64}}"(?:,"{_JSON_CHAR}+":"[0-9a-f]{{64}}")*)?\}}'
    r',"log":"(parent|side)"'
    rf',"order_id":"({_JSON_CHAR}*)"'
    r',"recorded_at":"([1-9][0-9]{3}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]'
    r'(?:\.[0-9]{3})?Z)"'
    rf',"sealed":\{{(?:"{_JSON_CHAR}+":"([A-Za-z0-9+/]*)(={{0,2}})")?\}}'
    r',"seq":(0|[1-9][0-9]{0,15})'
    rf',"type":"carparker\.entry/v1","user_id":"({_JSON_CHAR}+)","version":1\}}')


def _entry_is_valid(data: object) -> bool:
    if type(data) is not dict or data.keys() != _ENTRY_KEYS:
        return False
    log, seq, action, user_id = data["log"], data["seq"], data["action"], data["user_id"]
    return (data["type"] == ENTRY_TYPE and data["version"] == FORMAT_VERSION and type(data["version"]) is int
            and type(log) is str and log in LOGS and type(seq) is int and 0 <= seq <= MAX_SAFE_INTEGER
            and type(action) is str and action in ACTIONS and type(user_id) is str and user_id != ""
            and type(data["order_id"]) is str and _is_timestamp(data["recorded_at"])
            and _is_sealed_map(data["sealed"]) and _is_map(data["digests"], _is_hex64))


def _is_text(value: object) -> bool:
    return type(value) is str and value != ""


def _is_timestamp(value: object) -> bool:
    """parse_timestamp's rules, without building the datetime it returns."""
    if type(value) is not str or _TIMESTAMP.fullmatch(value) is None:
        return False
    try:
        datetime.fromisoformat(value[:19])
    except ValueError:
        return False
    return True


def _is_map(value: object, valid: Callable[[object], bool]) -> bool:
    return type(value) is dict and all(_is_text(k) and valid(v) for k, v in value.items())


def _is_sealed_map(value: object) -> bool:
    return type(value) is dict and all(map(_is_text, value)) and _all_canonical_base64(value.values())


def _is_hex64(value: object) -> bool:
    return type(value) is str and _HEX64.fullmatch(value) is not None


_BASE64_CHARS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="
# The last character before padding carries 2 (one '=') or 4 (two) unused bits, which canonical base64 zeroes.
_BEFORE_ONE_PAD = frozenset("AEIMQUYcgkosw048")
_BEFORE_TWO_PADS = frozenset("AQgw")


def _all_canonical_base64(values: Iterable[object]) -> bool:
    """_require_base64 for many values at once: one C pass over all their characters for the alphabet, then
    the shape of each (length, padding, zero unused bits). Decoding and re-encoding each value, as the
    definition reads, costs several times more on the kilobytes of ciphertext a paid entry holds."""
    try:
        joined = "".join(values)  # type: ignore[arg-type]  # anything but str raises TypeError
    except TypeError:
        return False
    if not joined.isascii() or joined.encode("ascii").translate(None, _BASE64_CHARS):
        return False
    return all(map(_base64_shape_ok, cast("Iterable[str]", values)))  # all str, or join had failed


def _base64_shape_ok(value: str) -> bool:
    body = value.rstrip("=")
    pad = len(value) - len(body)
    if len(value) % 4 or pad > 2 or "=" in body:
        return False
    return pad == 0 or body[-1] in (_BEFORE_ONE_PAD if pad == 1 else _BEFORE_TWO_PADS)


def header_to_dict(header: BlockHeader) -> dict[str, object]:
    data: dict[str, object] = {"type": BLOCK_TYPE}
    data.update((f.name, getattr(header, f.name)) for f in fields(header))
    return data


def header_bytes(header: BlockHeader) -> bytes:
    return canonical_bytes(header_to_dict(header))


def header_hash(header: BlockHeader) -> str:
    """Lowercase hex SHA-256 of the header's canonical bytes: the chain link and QC subject."""
    return hashlib.sha256(header_bytes(header)).hexdigest()


def signing_payload(header: BlockHeader) -> bytes:
    """The exact bytes validators sign (ECDSA P-256 / SHA-256, KMS MessageType RAW)."""
    return SIGNING_CONTEXT + header_bytes(header)


def header_from_dict(data: object) -> BlockHeader:
    values = _fields_of(data, BLOCK_TYPE, BlockHeader)
    return BlockHeader(**values)  # type: ignore[arg-type]  # validated in __post_init__


def build_block(ledger_id: str, log: str, height: int, prev: BlockHeader | None,
                all_leaf_hashes_so_far: Sequence[bytes], new_entries: Sequence[Entry],
                cut_at: str, *, validators_hash: str) -> BlockHeader:
    """Cut the next block of ``log`` from ``new_entries``.

    ``all_leaf_hashes_so_far`` are the leaf hashes of every earlier entry of the log
    (seq 0 .. prev.tree_size - 1); ``validators_hash`` is validator_set_hash of the
    current validator set. Raises BlockMismatchError if the arguments do not continue
    ``prev``.
    """
    first_seq = len(all_leaf_hashes_so_far)
    prev_hash = GENESIS_PREV_HASH if prev is None else header_hash(prev)
    _require_link(prev, ledger_id=ledger_id, log=log, height=height, first_seq=first_seq,
                  prev_hash=prev_hash, validators_hash=validators_hash, cut_at=cut_at)
    _require_entries_continue(log, first_seq, new_entries)
    leaves = [*all_leaf_hashes_so_far, *(entry_leaf_hash(e) for e in new_entries)]
    return BlockHeader(ledger_id=ledger_id, log=log, height=height, first_seq=first_seq,
                       entry_count=len(new_entries), tree_size=len(leaves),
                       root=root_from_leaf_hashes(leaves).hex(), prev_hash=prev_hash,
                       validators_hash=validators_hash, cut_at=cut_at)


def check_block(header: BlockHeader, prev: BlockHeader | None,
                leaf_hashes: Sequence[bytes]) -> None:
    """Recompute ``header`` from its predecessor and the log's leaf hashes 0..tree_size-1.

    This is what each validator runs before signing. Raises BlockMismatchError naming the
    first rule that fails.
    """
    _require_link(prev, ledger_id=header.ledger_id, log=header.log, height=header.height,
                  first_seq=header.first_seq, prev_hash=header.prev_hash,
                  validators_hash=header.validators_hash, cut_at=header.cut_at)
    if len(leaf_hashes) != header.tree_size:
        raise BlockMismatchError("counts", expected=header.tree_size, computed=len(leaf_hashes))
    root = root_from_leaf_hashes(leaf_hashes).hex()
    if root != header.root:
        raise BlockMismatchError("root", expected=header.root, computed=root)


def _require_link(prev: BlockHeader | None, *, ledger_id: str, log: str, height: int,
                  first_seq: int, prev_hash: str, validators_hash: str, cut_at: str) -> None:
    if prev is None:
        expected = {"height": 0, "counts": 0, "link": GENESIS_PREV_HASH}
    else:
        # Validator-set rotation is not designed yet, so a log keeps the set it began with.
        expected = {"height": prev.height + 1, "counts": prev.tree_size,
                    "link": header_hash(prev), "ledger_id": prev.ledger_id, "log": prev.log,
                    "validators": prev.validators_hash}
    actual = {"height": height, "counts": first_seq, "link": prev_hash,
              "ledger_id": ledger_id, "log": log, "validators": validators_hash}
    for what, want in expected.items():
        if actual[what] != want:
            raise BlockMismatchError(what, expected=want, computed=actual[what])
    # Time may stand still (two blocks in one millisecond) but never run backwards.
    if prev is not None and parse_timestamp(cut_at) < parse_timestamp(prev.cut_at):
        raise BlockMismatchError("time", expected=f">= {prev.cut_at}", computed=cut_at)


def _require_entries_continue(log: str, first_seq: int, entries: Sequence[Entry]) -> None:
    if not entries:
        raise BlockMismatchError("counts", expected="at least one entry", computed=0)
    for offset, entry in enumerate(entries):
        if entry.log != log:
            raise BlockMismatchError("log", expected=log, computed=entry.log)
        if entry.seq != first_seq + offset:
            raise BlockMismatchError("seq", expected=first_seq + offset, computed=entry.seq)


def _fields_of(data: object, type_tag: str, cls: type) -> dict[str, object]:
    if not isinstance(data, Mapping):
        raise LedgerFormatError(f"{type_tag}: expected a JSON object, got {type(data).__name__}")
    names = {f.name for f in fields(cls)}
    unknown = sorted(set(data) - names - {"type"})
    missing = sorted((names | {"type"}) - set(data))
    if unknown or missing:
        raise LedgerFormatError(f"{type_tag}: unknown fields {unknown}, missing fields {missing}")
    if data["type"] != type_tag:
        raise LedgerFormatError(f"type is {data['type']!r}, want {type_tag!r}")
    return {name: data[name] for name in names}


def _require_version(value: object) -> None:
    if type(value) is not int or value != FORMAT_VERSION:
        raise LedgerFormatError(f"version {value!r} is not supported (want {FORMAT_VERSION})")


def _require_int(name: str, value: object, minimum: int = 0) -> None:
    # type() rather than isinstance(): True is an int to Python but not to the format.
    if type(value) is not int or not minimum <= value <= MAX_SAFE_INTEGER:
        raise LedgerFormatError(f"{name} must be an integer in [{minimum}, 2^53-1], got {value!r}")


def _require_str(name: str, value: object, allow_empty: bool = False) -> None:
    if not isinstance(value, str) or (not value and not allow_empty):
        raise LedgerFormatError(f"{name} must be a {'' if allow_empty else 'non-empty '}string")


def _require_choice(name: str, value: object, choices: frozenset[str]) -> None:
    if not isinstance(value, str) or value not in choices:
        raise LedgerFormatError(f"{name} {value!r} is not one of {sorted(choices)}")


def _require_hex64(name: str, value: object) -> None:
    if not isinstance(value, str) or not _HEX64.fullmatch(value):
        raise LedgerFormatError(f"{name} must be 64 lowercase hex digits, got {value!r}")


def _require_base64(name: str, value: object) -> None:
    """Standard alphabet, padded, and canonical (re-encoding gives the same text)."""
    try:
        ok = isinstance(value, str) and base64.b64encode(
            base64.b64decode(value.encode("ascii"), validate=True)).decode("ascii") == value
    except (UnicodeEncodeError, binascii.Error):
        ok = False
    if not ok:
        raise LedgerFormatError(f"{name} must be canonical standard base64")


def _frozen_map(name: str, value: object,
                check: Callable[[str, object], None]) -> Mapping[str, str]:
    if not isinstance(value, Mapping):
        raise LedgerFormatError(f"{name} must be an object")
    for key, item in value.items():
        _require_str(f"{name} key", key)
        check(f"{name}[{key!r}]", item)
    return MappingProxyType(dict(value))
