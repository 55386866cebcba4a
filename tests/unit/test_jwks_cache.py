"""The JWKS cache: a token naming an unknown key costs at most one fetch per interval, however many arrive."""

from __future__ import annotations

import json
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from chalicelib.adapters.cognito import JWKS_MISS_INTERVAL_S, JWKS_TTL_S, Jwks
from chalicelib.domain.errors import UnauthenticatedError, UnavailableError

URL = "https://cognito-idp.example/pool/.well-known/jwks.json"


def jwk(kid: str) -> dict[str, Any]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    return {**json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key)), "kid": kid, "alg": "RS256", "use": "sig"}


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


class Pool:
    """What the pool publishes, and how often it was asked."""

    def __init__(self, *kids: str) -> None:
        self.keys = [jwk(k) for k in kids]
        self.fetches = 0
        self.down = False

    def __call__(self, url: str) -> dict[str, Any]:
        assert url == URL
        self.fetches += 1
        if self.down:
            raise OSError("connection refused")
        return {"keys": list(self.keys)}


def test_unknown_kids_cost_one_fetch_per_interval_not_one_per_request() -> None:
    pool, clock = Pool("k1"), Clock()
    cache = Jwks(URL, fetch=pool, clock=clock)
    assert cache.key("k1") is not None and pool.fetches == 1
    clock.t += JWKS_MISS_INTERVAL_S
    for n in range(500):
        with pytest.raises(UnauthenticatedError):
            cache.key(f"forged-{n}")
        clock.t += 0.01  # 5 seconds of a flood in all
    assert pool.fetches == 2  # the first miss refetched (the pool may have rotated); the rest waited
    clock.t += JWKS_MISS_INTERVAL_S
    with pytest.raises(UnauthenticatedError):
        cache.key("forged-again")
    assert pool.fetches == 3


def test_a_rotated_key_is_picked_up_on_the_first_miss_and_known_keys_need_no_fetch() -> None:
    pool, clock = Pool("k1"), Clock()
    cache = Jwks(URL, fetch=pool, clock=clock)
    cache.key("k1")
    clock.t += JWKS_MISS_INTERVAL_S
    pool.keys.append(jwk("k2"))
    assert cache.key("k2") is not None and pool.fetches == 2
    for _ in range(100):
        cache.key("k1")
        cache.key("k2")
    assert pool.fetches == 2
    clock.t += JWKS_TTL_S + 1
    cache.key("k1")
    assert pool.fetches == 3  # known keys are refreshed once the TTL is over


def test_an_unreachable_pool_is_not_asked_again_on_every_request() -> None:
    pool, clock = Pool("k1"), Clock()
    pool.down = True
    cache = Jwks(URL, fetch=pool, clock=clock)
    for _ in range(50):
        with pytest.raises(UnavailableError):
            cache.key("k1")
    assert pool.fetches == 1
    pool.down = False
    clock.t += JWKS_MISS_INTERVAL_S
    assert cache.key("k1") is not None and pool.fetches == 2
