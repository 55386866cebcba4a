"""Personal fields (licence plates above all) as the repositories store them: sealed, or as a blind index.

What an operator reading the tables finds instead of a plate (docs/enclave.md, "What is sealed"):

- the fields themselves, as one Encryption SDK message sealed through the enclave to an owner, with the
  purpose and the item's id in its encryption context: reservations to their parker, memberships and gate
  events to the car park's pseudo-owner `carpark:<id>` (holders and drivers at the gate are not
  necessarily users), notifications to the feed's owner, stored API responses to the calling user;
- the gate's lookup key as a blind index: an HMAC, under a key only the enclave holds, of the same
  "<car park>#<confusion-folded plate>" string the gate always queried, so one indexed query still finds
  every candidate and the exact or fuzzy match runs on the few candidates' unsealed plates;
- request fingerprints (hashes of bodies that contain a plate, which a table reader could brute-force
  over the small space of plates) as blind indexes too.

Erasure: once an owner's key is destroyed (account closed), their fields open to ERASED rather than
failing the read, and writes of such an item store no sealed fields at all.
"""

from __future__ import annotations

import hmac
import json
from typing import Any, Protocol

from ..domain.accounts import ERASED as ACCOUNT_ERASED
from ..domain.errors import KeyErasedError
from ..domain.gate import gate_key

ERASED = ACCOUNT_ERASED  # one spelling for every erased field (domain/accounts.py)
PLATE = "plate"  # purpose of a reservation's or membership's sealed fields
GATE_INDEX = "gate"  # blind-index purpose of the gate's lookup key
_BLOCK = 64  # sealed plaintexts are padded to a multiple of this, so a ciphertext's length hides a plate's


class SealingEnclave(Protocol):
    """The two enclave ports the repositories use (adapters/enclave.py KmsEnclave implements both)."""

    def seal(self, user_id: str, purpose: str, object_id: str, plaintext: bytes) -> bytes: ...
    def unseal(self, user_id: str, purpose: str, object_id: str, ciphertext: bytes) -> bytes: ...
    def blind_index(self, purpose: str, value: str) -> str: ...


def carpark_owner(carpark_id: str) -> str:
    """The pseudo-owner that a car park's sealed fields belong to. Never a user id (Cognito subs have no colon)."""
    return f"carpark:{carpark_id}"


class FieldSealer:
    def __init__(self, enclave: SealingEnclave) -> None:
        self.enclave = enclave

    def seal(self, owner: str, purpose: str, object_id: str, fields: dict[str, Any]) -> bytes | None:
        """The fields as one sealed message; None if the owner's key was erased (nothing can be sealed to them)."""
        text = json.dumps(fields, sort_keys=True, separators=(",", ":"))
        padded = text + " " * (-len(text) % _BLOCK)  # JSON ignores trailing white space
        try:
            return self.enclave.seal(owner, purpose, object_id, padded.encode())
        except KeyErasedError:
            return None

    def open(self, owner: str, purpose: str, object_id: str, sealed: bytes | None) -> dict[str, Any] | None:
        """The sealed fields; None if there are none or the owner's key was erased."""
        if sealed is None:
            return None
        try:
            fields = json.loads(self.enclave.unseal(owner, purpose, object_id, bytes(sealed)))
        except KeyErasedError:
            return None
        assert isinstance(fields, dict)
        return fields

    def gate_tag(self, carpark_id: str, plate: str) -> str:
        """The gate index key: one tag for every plate a camera could confuse with this one, at this car park."""
        return self.enclave.blind_index(GATE_INDEX, gate_key(carpark_id, plate))

    def tag(self, purpose: str, value: str) -> str:
        return self.enclave.blind_index(purpose, value)

    def matches(self, purpose: str, value: str, stored_tag: str) -> bool:
        return hmac.compare_digest(self.tag(purpose, value), stored_tag)

    def fingerprint_as_stored(self, purpose: str, asked: str, stored_tag: str) -> str:
        """A stored request fingerprint, for the service to compare with the one it asked with: only its tag is
        stored, so the fingerprint read back is `asked` when the tags agree, and the (different) tag otherwise."""
        return asked if self.matches(purpose, asked, stored_tag) else stored_tag
