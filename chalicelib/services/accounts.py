"""Sign-up, sign-in, the caller's identity and profile."""

from __future__ import annotations

from dataclasses import replace

from ..domain.accounts import ACTIVE, CLOSED, SELF_SERVICE_ROLES, Principal, User, normalise_email
from ..domain.errors import InvalidInputError, NotFoundError, UnauthenticatedError
from .order_ports import Notification, NotificationFeed
from .ports import Clock, IdentityProvider, Tokens, UserRepository


def _check_roles(roles: tuple[str, ...]) -> tuple[str, ...]:
    if not roles or not set(roles) <= SELF_SERVICE_ROLES:
        raise InvalidInputError("roles must be a non-empty subset of parker, sharer", field="roles")
    return tuple(sorted(set(roles)))


def sign_up(
    email: str, password: str, display_name: str, roles: tuple[str, ...], *, idp: IdentityProvider, users: UserRepository, clock: Clock
) -> User:
    roles = _check_roles(roles)
    email = normalise_email(email)
    user_id = idp.sign_up(email, password)
    user = User(user_id, email, display_name, roles, ACTIVE, clock.now())
    users.add(user)
    return user


def confirm(email: str, code: str, *, idp: IdentityProvider) -> None:
    idp.confirm(normalise_email(email), code)


def sign_in(email: str, password: str, *, idp: IdentityProvider, users: UserRepository, clock: Clock) -> Tokens:
    email = normalise_email(email)
    tokens = idp.sign_in(email, password)
    claims = idp.verify(tokens.id_token)
    user_id = str(claims["sub"])
    try:
        user = users.get(user_id)
    except NotFoundError:
        # Sign-up reached the user pool but not our table (a crash in between): finish it now.
        user = User(user_id, email, email.split("@")[0], ("parker", "sharer"), ACTIVE, clock.now())
        users.add(user)
    if user.status == CLOSED:
        raise UnauthenticatedError("this account is closed", field="email", code="account_closed")
    return tokens


def principal_for(claims: dict[str, object], *, users: UserRepository) -> Principal:
    """The caller behind a verified token; closed accounts are refused even with an unexpired token."""
    user_id = str(claims["sub"])
    try:
        user = users.get(user_id)
    except NotFoundError:
        raise UnauthenticatedError("no account for this token; sign in again", code="no_account") from None
    if user.status != ACTIVE:
        raise UnauthenticatedError("this account is closed", code="account_closed")
    groups = claims.get("cognito:groups") or []
    return Principal(
        user_id=user.user_id,
        email=user.email,
        groups=frozenset(str(g) for g in groups) if isinstance(groups, list) else frozenset(),
        roles=frozenset(user.roles),
    )


def profile(principal: Principal, *, users: UserRepository) -> User:
    return users.get(principal.user_id)


def notifications(principal: Principal, *, feed: NotificationFeed, limit: int) -> list[Notification]:
    """The caller's own feed, newest first."""
    return feed.feed(principal.user_id, limit)


def update_profile(
    principal: Principal, display_name: str | None, roles: tuple[str, ...] | None, *, users: UserRepository
) -> User:
    user = users.get(principal.user_id)
    changed = replace(
        user,
        display_name=display_name if display_name is not None else user.display_name,
        roles=_check_roles(roles) if roles is not None else user.roles,
        version=user.version + 1,
    )
    users.save(changed, user.version)
    return changed
