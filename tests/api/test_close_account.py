"""POST /me/close over the real stack: sessions end and the user's sealed data is gone."""

from __future__ import annotations

import pytest

from chalicelib import bootstrap
from chalicelib.domain.errors import KeyErasedError
from tests.helpers import PASSWORD, ApiClient


def test_closing_my_account_erases_my_data_and_refuses_my_token(api: ApiClient) -> None:
    alice, bob = api.sign_up(), api.sign_up()
    enclave = bootstrap.deps().enclave
    hers = enclave.seal(alice.user_id, "ledger-field", "entry-1", b"AB123C")
    his = enclave.seal(bob.user_id, "ledger-field", "entry-2", b"XY987Z")
    r = api.post("/me/close", alice)
    assert r.status == 200, r.body
    assert r.body["status"] == "closed" and r.body["data_erased"] is True
    assert api.get("/me", alice).status == 401
    assert api.post("/auth/signin", body={"email": alice.email, "password": PASSWORD}).status == 401
    with pytest.raises(KeyErasedError):
        enclave.unseal(alice.user_id, "ledger-field", "entry-1", hers)
    assert enclave.unseal(bob.user_id, "ledger-field", "entry-2", his) == b"XY987Z"
    assert api.get("/me", bob).status == 200
