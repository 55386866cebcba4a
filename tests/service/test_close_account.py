"""Account closure: the key is destroyed, sessions end, the account is refused afterwards."""

from __future__ import annotations

import pytest

from chalicelib.domain.errors import KeyErasedError, UnauthenticatedError
from chalicelib.services import accounts
from tests.fakes import NOON, FakeEnclave, FakeIdentityProvider, FakeUserRepository, FixedClock, user


def test_closing_erases_the_key_ends_sessions_and_refuses_the_account() -> None:
    users, idp, enclave, clock = FakeUserRepository(), FakeIdentityProvider(), FakeEnclave(), FixedClock(NOON)
    users.add(user("alice"))
    users.add(user("bob"))
    sealed = enclave.seal("alice", "id-document", "front", b"ID")
    kept = enclave.seal("bob", "id-document", "front", b"ID-B")
    who = accounts.principal_for({"sub": "alice"}, users=users)
    closed = accounts.close_account(who, users=users, keys=enclave, idp=idp, clock=clock)
    assert closed.status == "closed" and closed.closed_at == clock.now() and users.get("alice").status == "closed"
    assert idp.signed_out == ["alice"] and enclave.erased == {"alice"}
    with pytest.raises(KeyErasedError):
        enclave.unseal("alice", "id-document", "front", sealed)
    assert enclave.unseal("bob", "id-document", "front", kept) == b"ID-B"
    with pytest.raises(UnauthenticatedError):
        accounts.principal_for({"sub": "alice"}, users=users)


def test_closing_again_after_a_partial_failure_finishes_the_job() -> None:
    users, idp, enclave, clock = FakeUserRepository(), FakeIdentityProvider(), FakeEnclave(), FixedClock(NOON)
    users.add(user("carol"))
    who = accounts.principal_for({"sub": "carol"}, users=users)
    enclave.erase_user("carol")  # an earlier attempt got this far and crashed
    accounts.close_account(who, users=users, keys=enclave, idp=idp, clock=clock)
    again = accounts.close_account(who, users=users, keys=enclave, idp=idp, clock=clock)
    assert again.status == "closed" and users.get("carol").version == 2
