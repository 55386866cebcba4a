"""Cognito user pool as our IdentityProvider; JWTs verified against the pool's published keys."""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.request
from collections.abc import Callable
from typing import Any

import boto3
import jwt
from botocore.exceptions import ClientError

from ..domain.errors import ConflictError, InvalidInputError, NotFoundError, UnauthenticatedError, UnavailableError
from ..services.ports import Tokens

log = logging.getLogger(__name__)
JWKS_TTL_S = 3600
JWKS_MISS_INTERVAL_S = 60  # at most one refetch per minute for tokens naming an unknown key

_ERRORS = {
    "UsernameExistsException": lambda m: ConflictError("an account with this email already exists", field="email", code="account_exists"),
    "InvalidPasswordException": lambda m: InvalidInputError(
        "password must be at least 10 characters with upper- and lower-case letters and a digit", field="password", code="weak_password"),
    "InvalidParameterException": lambda m: InvalidInputError(m, field="email"),
    "NotAuthorizedException": lambda m: UnauthenticatedError("wrong email or password", field="password", code="bad_credentials"),
    "UserNotConfirmedException": lambda m: UnauthenticatedError("confirm your email first", field="email", code="not_confirmed"),
    "UserNotFoundException": lambda m: UnauthenticatedError("wrong email or password", field="email", code="bad_credentials"),
    "CodeMismatchException": lambda m: InvalidInputError("wrong confirmation code", field="code"),
    "ExpiredCodeException": lambda m: InvalidInputError("the confirmation code has expired", field="code"),
    "TooManyRequestsException": lambda m: UnavailableError("too many attempts; try again later"),
    "LimitExceededException": lambda m: UnavailableError("too many attempts; try again later"),
    "TooManyFailedAttemptsException": lambda m: UnavailableError("too many attempts; try again later"),
    "PasswordResetRequiredException": lambda m: UnauthenticatedError("this account needs a new password", field="password",
                                                                     code="password_reset_required"),
}


def _translate(exc: ClientError) -> Exception:
    code = exc.response.get("Error", {}).get("Code", "")
    message = exc.response.get("Error", {}).get("Message", code)
    factory = _ERRORS.get(code)
    return factory(message) if factory else exc


def fetch_jwks(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - URL from config
        document = json.load(response)
    if not isinstance(document, dict):
        raise ValueError("the JWKS document is not a JSON object")
    return document


class Jwks:
    """The pool's public keys, cached per container.

    Known keys are kept for JWKS_TTL_S. A token naming a key we do not have triggers a refetch (the pool
    may have rotated), but at most one per JWKS_MISS_INTERVAL_S: misses are cached too, so a stream of
    tokens with made-up `kid`s costs one fetch per interval, not one per request. The clock and the
    fetcher are parameters so this is tested without sleeping or a network.
    """

    def __init__(self, url: str, *, fetch: Callable[[str], dict[str, Any]] = fetch_jwks,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.url, self.fetch, self.clock = url, fetch, clock
        self.keys: dict[str, Any] = {}
        self.fetched: float | None = None
        self.lock = threading.Lock()

    def _due(self, kid: str, now: float) -> bool:
        if self.fetched is None or now - self.fetched > JWKS_TTL_S:
            return True
        return kid not in self.keys and now - self.fetched >= JWKS_MISS_INTERVAL_S

    def key(self, kid: str) -> Any:
        with self.lock:
            now = self.clock()
            if self._due(kid, now):
                self.fetched = now  # also when the fetch fails: an outage is not retried on every request
                try:
                    document = self.fetch(self.url)
                    self.keys = {k["kid"]: jwt.PyJWK(k).key for k in document["keys"]}
                except (OSError, ValueError, KeyError, TypeError, jwt.PyJWKError):
                    log.warning("could not fetch the JWKS from %s; keeping %d known keys", self.url, len(self.keys), exc_info=True)
            if not self.keys:
                raise UnavailableError("the sign-in service's keys cannot be fetched; try again shortly")
            found = self.keys.get(kid)
        if found is None:
            raise UnauthenticatedError("token signed by an unknown key", code="invalid_token")
        return found


_JWKS: dict[str, Jwks] = {}


class CognitoIdentityProvider:
    def __init__(self, pool_id: str, client_id: str, issuer: str, jwks_url: str, region: str, auto_confirm: bool) -> None:
        self.pool_id, self.client_id, self.issuer = pool_id, client_id, issuer
        self.client = boto3.client("cognito-idp", region_name=region)
        self.jwks = _JWKS.setdefault(jwks_url, Jwks(jwks_url))
        self.auto_confirm = auto_confirm

    def sign_up(self, email: str, password: str) -> str:
        try:
            response = self.client.sign_up(
                ClientId=self.client_id, Username=email, Password=password, UserAttributes=[{"Name": "email", "Value": email}]
            )
            if self.auto_confirm:
                self.client.admin_confirm_sign_up(UserPoolId=self.pool_id, Username=email)
        except ClientError as exc:
            raise _translate(exc) from exc
        return str(response["UserSub"])

    def confirm(self, email: str, code: str) -> None:
        try:
            self.client.confirm_sign_up(ClientId=self.client_id, Username=email, ConfirmationCode=code)
        except ClientError as exc:
            raise _translate(exc) from exc

    def sign_in(self, email: str, password: str) -> Tokens:
        try:
            result = self.client.initiate_auth(
                ClientId=self.client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters={"USERNAME": email, "PASSWORD": password}
            )["AuthenticationResult"]
        except ClientError as exc:
            raise _translate(exc) from exc
        return Tokens(result["IdToken"], result["AccessToken"], result.get("RefreshToken"), int(result["ExpiresIn"]))

    def verify(self, token: str) -> dict[str, object]:
        """Check signature, issuer, audience, expiry and token use of an ID token."""
        try:
            header = jwt.get_unverified_header(token)
            claims = jwt.decode(
                token, self.jwks.key(str(header.get("kid"))), algorithms=["RS256"], audience=self.client_id, issuer=self.issuer,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
        except jwt.PyJWTError as exc:
            raise UnauthenticatedError(f"invalid token: {exc}", code="invalid_token") from exc
        if claims.get("token_use") != "id":
            raise UnauthenticatedError("an ID token is required", code="invalid_token")
        return dict(claims)

    def _username(self, user_id: str) -> str:
        found = self.client.list_users(UserPoolId=self.pool_id, Filter=f'sub = "{user_id}"', Limit=1)["Users"]
        if not found:
            raise NotFoundError("no such user in the user pool", field="user_id")
        return str(found[0]["Username"])

    def sign_out_everywhere(self, user_id: str) -> None:
        try:
            self.client.admin_user_global_sign_out(UserPoolId=self.pool_id, Username=self._username(user_id))
        except ClientError as exc:
            raise _translate(exc) from exc

    def find_user_id(self, email: str) -> str | None:
        """The account (its `sub`) whose sign-in address this is, or None; `email` is normalised by the caller."""
        try:
            found = self.client.admin_get_user(UserPoolId=self.pool_id, Username=email)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "UserNotFoundException":
                return None
            raise _translate(exc) from exc
        return next((str(a["Value"]) for a in found.get("UserAttributes", []) if a["Name"] == "sub"), None)

    def delete_user(self, user_id: str) -> None:
        """Remove the sign-in for good (the address can sign up again as a new account); idempotent."""
        try:
            self.client.admin_delete_user(UserPoolId=self.pool_id, Username=self._username(user_id))
        except NotFoundError:
            return
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "UserNotFoundException":
                return
            raise _translate(exc) from exc

    def add_to_group(self, user_id: str, group: str) -> None:
        try:
            self.client.admin_add_user_to_group(UserPoolId=self.pool_id, Username=self._username(user_id), GroupName=group)
        except ClientError as exc:
            raise _translate(exc) from exc
